"""OpenV's RunPod serverless worker: renders Mochi 1 videos and uploads them to UploadThing."""

__version__ = "0.1.0"

// `@openv/protocol/worker`: the RunPod worker's contract (its input, output and progress, and
// RunPod's job object), which the server and the worker speak and an app never sees.
export type {
  RunPodJob,
  RunPodJobStatus,
  RunPodRunRequest,
  WorkerErrorCode,
  WorkerInput,
  WorkerOutput,
  WorkerProgress,
} from "./runpod.js";
export {
  RunPodJobSchema,
  RunPodJobStatusSchema,
  RunPodRunRequestSchema,
  WorkerInputSchema,
  WorkerOutputSchema,
  WorkerProgressSchema,
  workerErrorCodes,
} from "./runpod.js";

// posters21: how posters and scrub sprites are derived from a stored MP4 (adapters/media/).

/** The video a preview is derived from. */
export interface PreviewSource {
  /** Writes the MP4 to `path` (streamed, not held in memory where the storage can stream). */
  writeTo(path: string): Promise<void>;
  /** Width in pixels, as recorded. */
  width: number;
  /** Height in pixels, as recorded. */
  height: number;
  /** Frames, as recorded (the file may hold a few more or fewer). */
  frames: number;
  /** Frames per second, as recorded. */
  fps: number;
}

/** A derived image: small enough to hold in memory. */
export interface DerivedImage {
  /** The encoded image. */
  bytes: Uint8Array;
  /** Its media type, e.g. `image/jpeg`. */
  contentType: "image/jpeg" | "image/webp";
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** A poster and a sprite sheet of one video. */
export interface DerivedPreviews {
  /** One still, the video's size or at most 640 px wide. */
  poster: DerivedImage;
  /** `columns × rows` frames of `frameWidth × frameHeight`, one every `interval` seconds. */
  sprite: DerivedImage & {
    /** Frames per row. */
    columns: number;
    /** Rows of frames. */
    rows: number;
    /** Width of one frame in pixels. */
    frameWidth: number;
    /** Height of one frame in pixels. */
    frameHeight: number;
    /** Seconds of video between two frames. */
    interval: number;
  };
}

/** Derives a poster and a sprite sheet from a video; bounded in time and memory by the adapter. */
export interface PreviewExtractor {
  /** A human-readable name for logs. */
  readonly name: string;
  /** Derives both images. Throws when the video cannot be read or the extraction fails or times out. */
  extract(source: PreviewSource): Promise<DerivedPreviews>;
}

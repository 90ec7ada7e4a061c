/** One Server-Sent Event as received. */
export interface RecordedEvent {
  event: string;
  id: string | null;
  data: unknown;
}

/** A `video` event's data: a video or a tombstone. */
export interface VideoChange {
  id: string;
  status?: string;
  progress?: number | null;
  url?: string | null;
  deleted?: boolean;
  updatedAt: string;
}

/**
 * A `GET /videos/events` stream read in the background the way a browser's EventSource reads it:
 * every event is kept in order, and when the stream ends or fails it is opened again after
 * `reconnectMs` with `Last-Event-ID`. A test waits for a condition on the events with a deadline.
 * Plain fetch, no msw (msw buffers streamed answers).
 */
export class SseRecorder {
  readonly events: RecordedEvent[] = [];
  /** How many times the stream was opened (1 + reconnects). */
  connections = 0;
  /** Why the last connection ended, if one did. */
  lastEnd: unknown = null;
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #reconnectMs: number;
  readonly #controller = new AbortController();
  readonly #waiters = new Set<() => void>();
  #lastEventId: string | null = null;
  #loop: Promise<void> = Promise.resolve();

  private constructor(url: string, headers: Record<string, string>, reconnectMs: number) {
    this.#url = url;
    this.#headers = headers;
    this.#reconnectMs = reconnectMs;
  }

  /** Opens the stream; resolves once the server answered 200 the first time. */
  static async open(url: string, headers: Record<string, string>, reconnectMs = 100): Promise<SseRecorder> {
    const recorder = new SseRecorder(url, headers, reconnectMs);
    const first = await recorder.#connect();
    recorder.#loop = recorder.#run(first);
    return recorder;
  }

  /** The `video` events' data, in order of arrival. */
  get changes(): VideoChange[] {
    return this.events.filter((event) => event.event === "video").map((event) => event.data as VideoChange);
  }

  /** Each video's latest state as the events tell it (the later `updatedAt` wins). */
  view(): Map<string, VideoChange> {
    const latest = new Map<string, VideoChange>();
    for (const change of this.changes) {
      const known = latest.get(change.id);
      if (!known || Date.parse(change.updatedAt) >= Date.parse(known.updatedAt)) latest.set(change.id, change);
    }
    return latest;
  }

  /** Resolves once `check` holds for the events so far; rejects after `timeoutMs`. */
  async waitFor(what: string, check: (recorder: this) => boolean, timeoutMs = 15_000): Promise<void> {
    if (check(this)) return;
    await new Promise<void>((resolve, reject) => {
      const onEvent = () => {
        if (!check(this)) return;
        clearTimeout(timer);
        this.#waiters.delete(onEvent);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(onEvent);
        reject(
          new Error(
            `SSE: timed out after ${timeoutMs} ms waiting for ${what}; ${this.connections} connection(s), last end: ${String(this.lastEnd)}; last events: ${JSON.stringify(this.events.slice(-10))}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(onEvent);
    });
  }

  async close(): Promise<void> {
    this.#controller.abort();
    await this.#loop;
  }

  async #connect(): Promise<Response> {
    const response = await fetch(this.#url, {
      headers: {
        accept: "text/event-stream",
        ...this.#headers,
        ...(this.#lastEventId !== null && { "last-event-id": this.#lastEventId }),
      },
      signal: this.#controller.signal,
    });
    if (response.status !== 200) {
      throw new Error(`SSE: ${this.#url} answered ${response.status}: ${await response.text()}`);
    }
    this.connections += 1;
    return response;
  }

  async #run(first: Response): Promise<void> {
    let response: Response | null = first;
    while (!this.#controller.signal.aborted) {
      try {
        response ??= await this.#connect();
        await this.#read(response);
        this.lastEnd = "ended by the server";
      } catch (error) {
        this.lastEnd = error;
      }
      response = null;
      if (this.#controller.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, this.#reconnectMs));
    }
  }

  async #read(response: Response): Promise<void> {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split("\n")) {
            const colon = line.indexOf(":");
            if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
          }
          if (fields.id !== undefined) this.#lastEventId = fields.id;
          if (fields.event) {
            this.events.push({
              event: fields.event,
              id: fields.id ?? null,
              data: fields.data ? JSON.parse(fields.data) : null,
            });
          }
        }
        for (const waiter of [...this.#waiters]) waiter();
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }
}

/** How much of an upload's body has been sent. */
export interface UploadProgress {
  /** Bytes sent so far. */
  loaded: number;
  /** The body's size in bytes. */
  total: number;
}

const sizeOf = (body: BodyInit | null | undefined): number =>
  body instanceof Blob ? body.size : body instanceof ArrayBuffer || ArrayBuffer.isView(body) ? body.byteLength : 0;

/**
 * Sends a request and reports the body's progress. `fetch` cannot observe an upload, so a browser
 * (which has XMLHttpRequest) sends it with XHR and reports as the bytes leave; elsewhere, or with
 * a custom `fetch`, it goes through fetch and reports the start and the end.
 */
export function sendWithProgress(
  url: string,
  init: RequestInit,
  onProgress: (progress: UploadProgress) => void,
  customFetch: typeof globalThis.fetch | undefined,
): Promise<Response> {
  const total = sizeOf(init.body);
  if (customFetch || typeof XMLHttpRequest !== "function") {
    onProgress({ loaded: 0, total });
    return (customFetch ?? globalThis.fetch)(url, init).then((response) => {
      onProgress({ loaded: total, total });
      return response;
    });
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const signal = init.signal;
    const onAbort = () => xhr.abort();
    xhr.open(init.method as string, url);
    for (const [name, value] of Object.entries(init.headers as Record<string, string>))
      xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total });
    xhr.onloadend = () => {
      signal?.removeEventListener("abort", onAbort);
      if (!xhr.status) return reject(signal?.reason ?? new TypeError("The upload failed."));
      // "name: value" lines, as a Headers object: the request id and Retry-After live there.
      const headers = xhr
        .getAllResponseHeaders()
        .trim()
        .split(/[\r\n]+/)
        .filter(Boolean)
        .map((line) => line.split(/: ?(.*)/s, 2) as [string, string]);
      resolve(new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, headers }));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    xhr.send(init.body as XMLHttpRequestBodyInit);
  });
}

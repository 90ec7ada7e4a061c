import { headers as protocolHeaders } from "@openv/protocol";
import type { APIPromise } from "../options.js";

export type Sent<T> = Promise<{ data: T; response: Response }>;

/** The data of a sent call, with `.withResponse()` for the response and its request id. */
export function apiPromise<R, T>(sent: Sent<R>, map: (data: R) => T): APIPromise<T> {
  const data = sent.then((answer) => map(answer.data));
  return Object.assign(data, {
    withResponse: () => {
      // Only the response was asked for: its rejection is the one to report.
      data.catch(() => {});
      return sent.then(({ data: body, response }) => ({
        data: map(body),
        response,
        requestId: response.headers.get(protocolHeaders.requestId),
      }));
    },
  });
}

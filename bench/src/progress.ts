/** Progress lines on stderr while the bench runs, each with the time since the start. */
export interface Progress {
  /** A phase or a step of one. */
  step(message: string): void;
  /** A detail under the current step. */
  detail(message: string): void;
}

export function createProgress(): Progress {
  const started = performance.now();
  const stamp = () => `[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
  return {
    step: (message) => process.stderr.write(`${stamp()} ▶ ${message}\n`),
    detail: (message) => process.stderr.write(`${stamp()}     ${message}\n`),
  };
}

// The server's JS heap after a full garbage collection, read through the V8 inspector: a server
// started with `inspectPort` (servers.ts) listens for the inspector on that loopback port. RSS says
// how much memory the process holds, garbage and V8's spare pages included; the heap after GC says
// what the open streams keep alive.

/** Bytes of JS heap in use after two full collections, or NaN when the inspector cannot be reached. */
export async function heapUsedAfterGc(inspectPort: number): Promise<number> {
  try {
    const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as {
      webSocketDebuggerUrl?: string;
    }[];
    const address = targets[0]?.webSocketDebuggerUrl;
    if (!address) return Number.NaN;
    const socket = new WebSocket(address);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    const pending = new Map<number, (result: unknown) => void>();
    socket.onmessage = (message) => {
      const answer = JSON.parse(String(message.data)) as { id?: number; result?: unknown };
      if (answer.id === undefined) return;
      pending.get(answer.id)?.(answer.result);
      pending.delete(answer.id);
    };
    let nextId = 0;
    const call = (method: string) =>
      new Promise<unknown>((resolve) => {
        nextId += 1;
        pending.set(nextId, resolve);
        socket.send(JSON.stringify({ id: nextId, method, params: {} }));
      });
    try {
      await call("HeapProfiler.collectGarbage");
      await call("HeapProfiler.collectGarbage");
      const usage = (await call("Runtime.getHeapUsage")) as { usedSize?: number } | undefined;
      return usage?.usedSize ?? Number.NaN;
    } finally {
      socket.close();
    }
  } catch {
    return Number.NaN;
  }
}

import { EventEmitter } from "node:events";
import type { VideoOrTombstone } from "@openv/protocol";
import type { Events } from "../../core/ports.js";

/** In-process events: enough for one server instance (the embedded default). */
export function createMemoryEvents(): Events {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    name: "in-process",
    async publish(userId: string, change: VideoOrTombstone) {
      emitter.emit(userId, change);
    },
    subscribe(userId: string, listener: (change: VideoOrTombstone) => void) {
      emitter.on(userId, listener);
      return () => emitter.off(userId, listener);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

import { EventEmitter } from "node:events";
import type { Events, VideoChangeEvent } from "../../core/ports.js";

/**
 * In-process events: enough for one server instance (the embedded default). Nothing sits between
 * publisher and subscribers, so nothing is ever missed and `onMissed` is never called.
 */
export function createMemoryEvents(): Events {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    name: "in-process",
    async publish(userId: string, event: VideoChangeEvent) {
      emitter.emit(userId, event);
    },
    subscribe(userId: string, listener: (event: VideoChangeEvent) => void) {
      emitter.on(userId, listener);
      return () => emitter.off(userId, listener);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

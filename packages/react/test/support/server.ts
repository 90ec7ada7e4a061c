// The real OpenV server in-process, shared with the SDK's tests (one helper, not two copies).
export {
  type RealServer,
  ScriptedProvider,
  smallVideo,
  startRealServer as startServer,
} from "../../../sdk/test/support/real-server.js";

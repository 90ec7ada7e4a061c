import "@openv/react/styles.css";
import "./app.css";
import { createClient } from "@openv/sdk";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";

// Same origin by default: the reference server serves this build and the API together.
const baseUrl = import.meta.env.VITE_OPENV_API_URL ?? "/api";

// Development auth only: `?as=alice` acts as user "alice" (the X-OpenV-User header). A server
// with Clerk configured ignores it and uses the signed-in session instead.
const devUser = new URLSearchParams(window.location.search).get("as");

const client = createClient({ baseUrl, ...(devUser && { headers: { "x-openv-user": devUser } }) });

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(
  <StrictMode>
    <App client={client} />
  </StrictMode>,
);

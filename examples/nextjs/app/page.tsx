import { OpenVApp } from "./openv-app";

// The page is static HTML; everything OpenV does happens in the browser against /api.
export default function Home() {
  return <OpenVApp />;
}

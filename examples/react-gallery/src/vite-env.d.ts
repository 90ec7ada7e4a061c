/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Where the OpenV API is mounted. Default "/api" (same origin). */
  readonly VITE_OPENV_API_URL?: string;
}

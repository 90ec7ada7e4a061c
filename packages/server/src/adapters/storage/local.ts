import { copyFile, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Storage, StoredFile } from "../../core/ports.js";

const keyPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export interface LocalStorageOptions {
  /** Folder the files live in. */
  directory: string;
  /** The public URL the files are served under, e.g. `http://127.0.0.1:3000/api/files` (resolved per call). */
  baseUrl: () => string;
}

/** Files on this machine's disk, served by the plugin's `/files/` route (with Range support). */
export function createLocalStorage({ directory, baseUrl }: LocalStorageOptions): Storage {
  const pathOf = (key: string) => {
    if (!keyPattern.test(key)) throw new Error(`Invalid storage key "${key}"`);
    return path.join(directory, key);
  };
  return {
    name: `local files in ${directory}`,
    async putFile(key: string, sourcePath: string): Promise<StoredFile> {
      const target = pathOf(key);
      await mkdir(directory, { recursive: true });
      // Copy then rename: readers never see a half-written file.
      const partial = `${target}.partial`;
      await copyFile(sourcePath, partial);
      await rename(partial, target);
      return { key, url: `${baseUrl()}/${encodeURIComponent(key)}` };
    },
    async deleteFiles(keys: string[]): Promise<void> {
      await Promise.all(keys.map((key) => rm(pathOf(key), { force: true })));
    },
    keyForUrl(url: string): string | null {
      const prefix = `${baseUrl()}/`;
      if (!url.startsWith(prefix)) return null;
      const key = decodeURIComponent(url.slice(prefix.length));
      return keyPattern.test(key) ? key : null;
    },
  };
}

import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CopyRequest, Storage, StoredFile } from "../../core/ports.js";
import { type CopyFromUrlOptions, downloadOptionsFor, downloadToTempFile } from "./download.js";

const keyPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/** Whether `key` names a finished local file (not a `.partial` one still being written). */
export const isLocalFileKey = (key: string) => keyPattern.test(key) && !key.endsWith(".partial");

/** Settings of `createLocalStorage`. */
export interface LocalStorageOptions {
  /** Folder the files live in. */
  directory: string;
  /** The public URL the files are served under, e.g. `http://127.0.0.1:3000/api/files` (resolved per call). */
  baseUrl: () => string;
  /** Limits on copying a provider's file from elsewhere (`copyFromUrl`). @default 1 GiB, 10 minutes */
  copy?: CopyFromUrlOptions;
}

/** Files on this machine's disk, served by the plugin's `/files/` route (with Range support). */
export function createLocalStorage({ directory, baseUrl, copy = {} }: LocalStorageOptions): Storage {
  const pathOf = (key: string) => {
    if (!keyPattern.test(key)) throw new Error(`Invalid storage key "${key}"`);
    return path.join(directory, key);
  };
  /** Where the next `listKeys` goes on: after this name; null to start from the first. */
  let listResumeAfter: string | null = null;
  const storage: Storage = {
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
    async putBytes(key: string, bytes: Uint8Array): Promise<StoredFile> {
      const target = pathOf(key);
      await mkdir(directory, { recursive: true });
      const partial = `${target}.partial`;
      await writeFile(partial, bytes);
      await rename(partial, target);
      return { key, url: `${baseUrl()}/${encodeURIComponent(key)}` };
    },
    async readBytes(key: string): Promise<Uint8Array> {
      return new Uint8Array(await readFile(pathOf(key)));
    },
    // posters21
    async readToFile(key: string, targetPath: string): Promise<void> {
      await copyFile(pathOf(key), targetPath);
    },
    async listKeys({ olderThan, limit }: { olderThan: Date; limit: number }): Promise<string[]> {
      // In name order, from after the last key an earlier call stopped at (its limit reached), so
      // successive sweeps walk the whole folder instead of the same first files.
      const names = (await readdir(directory).catch(() => [] as string[])).sort();
      const start = listResumeAfter === null ? 0 : names.findIndex((name) => name > (listResumeAfter as string));
      const keys: string[] = [];
      for (const name of start < 0 ? [] : names.slice(start)) {
        if (!isLocalFileKey(name)) continue;
        const info = await stat(path.join(directory, name)).catch(() => null);
        if (!info?.isFile() || info.mtime >= olderThan) continue;
        keys.push(name);
        if (keys.length >= limit) {
          listResumeAfter = name;
          return keys;
        }
      }
      listResumeAfter = null;
      return keys;
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
    async copyFromUrl(key: string, url: string, contentType: string, request?: CopyRequest): Promise<StoredFile> {
      pathOf(key); // a bad key fails before the download, not after it
      const download = await downloadToTempFile(url, downloadOptionsFor(copy, request, contentType));
      try {
        return await storage.putFile(key, download.path, contentType);
      } finally {
        await download.cleanup();
      }
    },
  };
  return storage;
}

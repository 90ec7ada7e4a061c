/**
 * The files of a fresh in-memory embedded database with the migrations applied (PGlite's
 * `dumpDataDir`), per migrations folder (`undefined`: the package's own). In-memory stores start
 * from a copy of it (adapters/store/embedded.ts), so PGlite's initdb and the schema engine run once
 * per process, not once per store. Kept apart from embedded.ts (no PGlite import) so that a
 * process can be handed an image made elsewhere cheaply.
 */
const images = new Map<string | undefined, Promise<Blob>>();
const given = new Map<string | undefined, () => Promise<Blob>>();

/** The image for `migrationsDir`, if this process has one or was given one; else undefined. */
export function migratedImage(migrationsDir: string | undefined): Promise<Blob> | undefined {
  const load = given.get(migrationsDir);
  if (load && !images.has(migrationsDir)) {
    given.delete(migrationsDir);
    keepMigratedImage(migrationsDir, load());
  }
  return images.get(migrationsDir);
}

/** Keeps `image` for `migrationsDir`; a failed image is forgotten, so the next store makes one. */
export function keepMigratedImage(migrationsDir: string | undefined, image: Promise<Blob>): void {
  images.set(migrationsDir, image);
  image.catch(() => {
    if (images.get(migrationsDir) === image) images.delete(migrationsDir);
  });
}

/**
 * Hands this process an image of the package's own migrations made elsewhere, loaded when the
 * first in-memory store opens (a test run makes one before its test processes start, and each
 * of them starts every in-memory database from it). Migrations added since it was made are
 * applied on top, as on any database.
 */
export function provideMigratedImage(load: () => Promise<Blob>): void {
  given.set(undefined, load);
}

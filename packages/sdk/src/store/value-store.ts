/**
 * One value that React components read with `useSyncExternalStore`: `get()` returns the same object
 * until `set()` replaces it, and every subscriber hears about each replacement.
 */
export class ValueStore<T> {
  #value: T;
  readonly #listeners = new Set<() => void>();

  constructor(initial: T) {
    this.#value = initial;
  }

  /** The current value: the same object until `set` replaces it. */
  get = (): T => this.#value;

  /** Replaces the value and tells every subscriber (nothing happens for the same value). */
  set(value: T): void {
    if (Object.is(value, this.#value)) return;
    this.#value = value;
    for (const listener of [...this.#listeners]) listener();
  }

  /** Merges `patch` into the current value (objects only). */
  update(patch: Partial<T>): void {
    this.set({ ...this.#value, ...patch });
  }

  /** Adds a listener; returns its removal. The count of listeners is `size`. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** How many subscribers it has. */
  get size(): number {
    return this.#listeners.size;
  }
}

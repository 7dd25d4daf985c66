/**
 * Runs operations one after another, in the order they were handed in. An operation handed in
 * while nothing is running runs at once, synchronously, so a membership change whose data is
 * already cached takes effect before the call returns (a kicked user stops receiving at once).
 */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;

  /** Runs `op` after every operation handed in before it; resolves or rejects with its result. */
  run<T>(op: () => T | Promise<T>): Promise<T> {
    if (this.#pending === 0) {
      let result: T | Promise<T>;
      try {
        result = op();
      } catch (err) {
        return Promise.reject(err);
      }
      if (!(result instanceof Promise)) return Promise.resolve(result);
      return this.#track(result);
    }
    return this.#track(this.#tail.then(op));
  }

  /** Operations handed in and not finished. */
  get pending(): number {
    return this.#pending;
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#pending++;
    const done = p.finally(() => {
      this.#pending--;
    });
    this.#tail = done.then(
      () => {},
      () => {},
    );
    return done;
  }
}

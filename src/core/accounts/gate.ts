/**
 * A counting semaphore with a bounded queue: at most `limit` tasks run at once,
 * at most `queueLimit` wait (in order), and a waiter whose `signal` aborts
 * (its request closed) leaves the queue without running. Running tasks are
 * never interrupted: they finish, so no half-done work is left behind.
 */

/** The queue is full: the caller should answer "try again shortly". */
export class GateFullError extends Error {
  override readonly name = "GateFullError";
}

interface Waiter {
  start(): void;
  cancel(): void;
}

export class Gate {
  readonly #limit: number;
  readonly #queueLimit: number;
  #running = 0;
  readonly #queue: Waiter[] = [];

  constructor(limit: number, queueLimit = Infinity) {
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError("Gate limit must be a positive integer");
    if (queueLimit !== Infinity && (!Number.isInteger(queueLimit) || queueLimit < 0)) throw new TypeError("Gate queue limit must be a whole number");
    this.#limit = limit;
    this.#queueLimit = queueLimit;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Runs `task` when a slot is free. Rejects with GateFullError when the queue is
   * full, and with the signal's reason when it aborts before the task started.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    // A finishing task hands its slot straight to the next waiter (the count stays
    // up), so a newcomer arriving before the waiter wakes cannot take it as well.
    if (this.#running >= this.#limit) await this.#wait(signal);
    else this.#running++;
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next.start();
      else this.#running--;
    }
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    if (this.#queue.length >= this.#queueLimit) return Promise.reject(new GateFullError("the queue is full"));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => waiter.cancel();
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        cancel: () => {
          const at = this.#queue.indexOf(waiter);
          if (at >= 0) this.#queue.splice(at, 1);
          reject(signal?.reason as Error); // as throwIfAborted does: the caller recognises its own signal's reason
        },
      };
      this.#queue.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

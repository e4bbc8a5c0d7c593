/**
 * Timers that never keep a process alive: a verifier is a background helper,
 * and a resource server must be able to exit without calling `close()`.
 */

export function unrefTimeout(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(fn, ms);
  // Node and Bun timers have unref(); browsers and workers return a number.
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** Resolves after `ms`, or at once when `signal` aborts (without rejecting). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => { clearTimeout(timer); signal.removeEventListener("abort", done); resolve(); };
    const timer = unrefTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

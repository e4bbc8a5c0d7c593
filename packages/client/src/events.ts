// A minimal listener set: listeners must not be able to break the client, so
// one that throws is reported asynchronously (like an EventTarget does) and
// the others still run.

/** Creates a listener set for values of type E. */
export function listeners<E>() {
  const set = new Set<(event: E) => void>();
  return {
    add(fn: (event: E) => void): () => void {
      set.add(fn);
      return () => void set.delete(fn);
    },
    emit(event: E): void {
      for (const fn of [...set]) {
        try {
          fn(event);
        } catch (error) {
          setTimeout(() => {
            throw error;
          });
        }
      }
    },
  };
}

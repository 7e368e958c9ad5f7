// Waiting for typing to pause before acting on it (searching, filtering a list).

export interface Debounced<A extends unknown[]> {
  /** Starts the wait again; `fn` runs with the last call's arguments once it has passed. */
  (...args: A): void;
  /** Drops a waiting call (when the typing is handled otherwise, or the component goes away). */
  cancel(): void;
}

/** `fn`, run `ms` milliseconds after the last of a quick run of calls. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const call = (...args: A): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, ms);
  };
  return Object.assign(call, {
    cancel(): void {
      clearTimeout(timer);
      timer = undefined;
    },
  });
}

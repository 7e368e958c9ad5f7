// A choice remembered for next time in the window's local storage (the export format, a
// reminder). Storage that cannot be used (private mode, full) only means the default is offered
// again; nothing else is lost.

export function remembered(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function remember(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Not remembered: the default is offered next time.
  }
}

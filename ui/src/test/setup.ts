// Set up once for every component test (vitest `setupFiles`, see vite.config.ts).

// jsdom has no ResizeObserver (VirtualList measures its height with one).
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
} as unknown as typeof ResizeObserver;

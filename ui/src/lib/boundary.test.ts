// The UI talks to Rust only through src/lib/ipc.ts (DESIGN.md, "Front end"): no other module of
// the app imports @tauri-apps. Tests and their helpers (src/test/) may, to mock the Rust side.
import { describe, expect, it } from 'vitest';

const sources = import.meta.glob<string>('/src/**/*.{ts,svelte}', {
  query: '?raw',
  import: 'default',
  eager: true,
});

describe('the IPC boundary', () => {
  it('keeps every @tauri-apps import in src/lib/ipc.ts', () => {
    const importers = Object.entries(sources)
      .filter(([path]) => !path.endsWith('.test.ts') && !path.startsWith('/src/test/'))
      .filter(([, text]) => /from\s+['"]@tauri-apps\//.test(text))
      .map(([path]) => path);
    expect(Object.keys(sources).length).toBeGreaterThan(3);
    expect(importers).toEqual(['/src/lib/ipc.ts']);
  });
});

// A mocked Rust side for component tests: answers commands from a table, records the calls.
import { flushSync, mount, unmount, type Component } from 'svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { AppStatus } from '../lib/ipc';

export const status: AppStatus = {
  data_folder: '/home/an/.local/share/wijkwerk',
  store_error: null,
  language: 'nl',
  version: '0.1.0',
  today: '2026-01-14',
  demo: false,
  passphrase: null,
};

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

/** Answers each command with `answers[cmd]` (a value, or a function of the arguments). */
export function mockCommands(
  answers: Record<string, unknown | ((args: Record<string, unknown>) => unknown)>,
): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    if (!(cmd in answers)) throw { code: 'test', message: `unexpected command ${cmd}`, field: null };
    const answer = answers[cmd];
    return typeof answer === 'function' ? (answer as (x: Record<string, unknown>) => unknown)(a) : answer;
  });
  return calls;
}

let mounted: ReturnType<typeof mount> | undefined;

/** Mounts a component and lets its first loads finish. */
export async function render<P extends Record<string, unknown>>(
  component: Component<P>,
  props: P,
): Promise<HTMLElement> {
  const target = document.createElement('div');
  document.body.append(target);
  mounted = mount(component, { target, props });
  await settle();
  return target;
}

/** Lets pending promises and timers (up to `ms`) run, then updates the DOM. */
export async function settle(ms = 0): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, ms / 20));
    flushSync();
  }
}

export function cleanup(): void {
  if (mounted) unmount(mounted);
  mounted = undefined;
  document.body.innerHTML = '';
  clearMocks();
}

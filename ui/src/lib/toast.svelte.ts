// Short messages at the bottom of the window ("Actiepunt is verwijderd. Ongedaan maken"), read
// out by screen readers. A message with an undo action stays a little longer. At most three are
// shown: during fast work the oldest earlier message without an undo (else the oldest) makes
// room; the newest always shows.

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
  undo?: () => Promise<void> | void;
  /** A button of its own beside the message ("Openen"). */
  action?: { label: string; run: () => Promise<void> | void };
}

let next = 1;
/** The most messages shown at once. */
export const MAX_TOASTS = 3;
let list = $state<Toast[]>([]);

export function toasts(): Toast[] {
  return list;
}

export function dismiss(id: number): void {
  list = list.filter((toast) => toast.id !== id);
}

export function showToast(
  message: string,
  options: {
    kind?: 'info' | 'error';
    undo?: () => Promise<void> | void;
    action?: Toast['action'];
    millis?: number;
  } = {},
): number {
  const id = next++;
  let shown = [
    ...list,
    { id, message, kind: options.kind ?? ('info' as const), undo: options.undo, action: options.action },
  ];
  while (shown.length > MAX_TOASTS) {
    // Never the one just added (it may be an error); of the others a plain one first.
    const plain = shown.slice(0, -1).findIndex((toast) => !toast.undo);
    shown = shown.filter((_, i) => i !== (plain >= 0 ? plain : 0));
  }
  list = shown;
  const millis = options.millis ?? (options.undo ? 10_000 : 5_000);
  setTimeout(() => dismiss(id), millis);
  return id;
}

// Short messages at the bottom of the window ("Actiepunt is verwijderd. Ongedaan maken"), read
// out by screen readers. A message with an undo action stays a little longer.

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
  undo?: () => Promise<void> | void;
}

let next = 1;
let list = $state<Toast[]>([]);

export function toasts(): Toast[] {
  return list;
}

export function dismiss(id: number): void {
  list = list.filter((toast) => toast.id !== id);
}

export function showToast(
  message: string,
  options: { kind?: 'info' | 'error'; undo?: () => Promise<void> | void; millis?: number } = {},
): number {
  const id = next++;
  list = [...list, { id, message, kind: options.kind ?? 'info', undo: options.undo }];
  const millis = options.millis ?? (options.undo ? 10_000 : 5_000);
  setTimeout(() => dismiss(id), millis);
  return id;
}

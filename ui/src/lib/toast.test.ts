// Messages at the bottom of the window: at most three, and an undo is the last to make room.
import { afterEach, describe, expect, it } from 'vitest';
import { dismiss, MAX_TOASTS, showToast, toasts } from './toast.svelte';

afterEach(() => {
  for (const toast of toasts()) dismiss(toast.id);
});

describe('toasts', () => {
  it('shows at most three; the oldest plain message makes room, an undo stays', () => {
    showToast('Contact is verwijderd.', { undo: () => {} });
    for (const n of [1, 2, 3, 4]) showToast(`Opgeslagen ${n}`);
    const shown = toasts().map((t) => t.message);
    expect(shown.length).toBe(MAX_TOASTS);
    expect(shown).toEqual(['Contact is verwijderd.', 'Opgeslagen 3', 'Opgeslagen 4']);
  });

  it('always shows the newest, also when the others all have an undo', () => {
    for (const n of [1, 2, 3]) showToast(`Verwijderd ${n}`, { undo: () => {} });
    showToast('Opslaan mislukt.', { kind: 'error' });
    const shown = toasts().map((t) => t.message);
    expect(shown).toEqual(['Verwijderd 2', 'Verwijderd 3', 'Opslaan mislukt.']);
  });
});

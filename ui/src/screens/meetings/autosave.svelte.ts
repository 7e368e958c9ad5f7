// Minutes are never lost. The texts of an agenda item (description, minutes, decision) are saved
// while the coordinator types: ~800 ms after the last key, on blur, when the item goes away
// (navigating elsewhere) and on `beforeunload`. Until a save has succeeded, the text is also kept
// in localStorage (one key per agenda item), so a crash, a closed window or a refused write
// leaves it there; on the next load it comes back when the stored text is still the one it was
// typed over (otherwise, something newer arrived from elsewhere and the coordinator chooses).

import { toIpcError, updateRecord } from '../../lib/ipc';

export const DEBOUNCE_MS = 800;
export const TEXT_FIELDS = ['description', 'minutes', 'decision'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
export type Texts = Record<TextField, string>;
export type SaveState = 'saved' | 'pending' | 'saving' | 'error';

/** What localStorage holds for an item while its text is not saved yet. */
export interface Draft {
  /** The texts as typed. */
  texts: Texts;
  /** The stored texts they were typed over. */
  base: Texts;
  /** When they were typed (ms since 1970). */
  at: number;
}

export function draftKey(itemId: string): string {
  return `wijkwerk.agenda-draft.${itemId}`;
}

export function readDraft(itemId: string): Draft | null {
  try {
    const raw = localStorage.getItem(draftKey(itemId));
    if (!raw) return null;
    const draft = JSON.parse(raw) as Draft;
    return draft && typeof draft === 'object' && draft.texts ? draft : null;
  } catch {
    return null;
  }
}

function writeDraft(itemId: string, draft: Draft): void {
  try {
    localStorage.setItem(draftKey(itemId), JSON.stringify(draft));
  } catch {
    // A full or unavailable localStorage: the save itself still runs.
  }
}

function clearDraft(itemId: string): void {
  try {
    localStorage.removeItem(draftKey(itemId));
  } catch {
    // Nothing to do.
  }
}

/** The stored texts of an agenda item, `null` as ''. */
export function textsOf(item: { description?: string | null; minutes?: string | null; decision?: string | null }): Texts {
  return {
    description: item.description ?? '',
    minutes: item.minutes ?? '',
    decision: item.decision ?? '',
  };
}

const same = (a: string, b: string) => a.trim() === b.trim();

const live = new Set<ItemAutosave>();

/** Starts saving every item with unsaved text (before the window closes). */
export function flushAll(): void {
  for (const saver of live) void saver.flush();
}

if (typeof window !== 'undefined') {
  window.addEventListener('beforeunload', flushAll);
  window.addEventListener('pagehide', flushAll);
}

/** The autosave of one agenda item's texts. */
export class ItemAutosave {
  texts = $state<Texts>({ description: '', minutes: '', decision: '' });
  state = $state<SaveState>('saved');
  error = $state<string | null>(null);
  /** A draft from an earlier session that was typed over a text that has changed since. */
  conflict = $state<Draft | null>(null);
  /** When a draft of an earlier session was put back (ms), for the notice. */
  restoredAt = $state<number | null>(null);

  private stored: Texts;
  private base: Texts;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;

  constructor(
    readonly itemId: string,
    stored: Texts,
    private readonly save: (id: string, fields: Partial<Record<TextField, string | null>>) => Promise<void> = (
      id,
      fields,
    ) => updateRecord('agenda_item', id, fields),
  ) {
    this.stored = { ...stored };
    this.base = { ...stored };
    this.texts = { ...stored };
    live.add(this);
    const draft = readDraft(itemId);
    if (!draft) return;
    const differs = TEXT_FIELDS.some((f) => !same(draft.texts[f] ?? '', stored[f]));
    if (!differs) {
      clearDraft(itemId);
    } else if (TEXT_FIELDS.every((f) => same(draft.base?.[f] ?? '', stored[f]))) {
      // The store still has what the draft was typed over: the draft is newer.
      this.useDraft(draft);
    } else {
      this.conflict = draft;
    }
  }

  /** Puts a draft's texts back and saves them. */
  useDraft(draft: Draft): void {
    this.texts = { ...this.stored, ...draft.texts };
    this.base = { ...this.stored };
    this.conflict = null;
    this.restoredAt = draft.at;
    this.changed();
  }

  /** Keeps the stored texts and drops the draft of an earlier session. */
  dropDraft(): void {
    this.conflict = null;
    clearDraft(this.itemId);
  }

  /** Whether some text differs from what is stored. */
  get dirty(): boolean {
    return TEXT_FIELDS.some((f) => this.texts[f] !== this.stored[f]);
  }

  /** The coordinator typed in `field`. */
  edit(field: TextField, value: string): void {
    this.texts = { ...this.texts, [field]: value };
    this.changed();
  }

  private changed(): void {
    if (!this.dirty) {
      if (this.state === 'pending') this.state = 'saved';
      clearDraft(this.itemId);
      return;
    }
    writeDraft(this.itemId, { texts: { ...this.texts }, base: { ...this.base }, at: Date.now() });
    if (this.state !== 'saving') this.state = 'pending';
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, DEBOUNCE_MS);
  }

  /** Saves now what is not saved yet (and waits for a save under way first). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.running) await this.running;
    if (!this.dirty) return;
    this.running = this.saveOnce();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  private async saveOnce(): Promise<void> {
    const sent: Texts = { ...this.texts };
    const fields: Partial<Record<TextField, string | null>> = {};
    for (const f of TEXT_FIELDS) {
      if (sent[f] !== this.stored[f]) fields[f] = sent[f].trim() === '' ? null : sent[f];
    }
    this.state = 'saving';
    this.error = null;
    try {
      await this.save(this.itemId, fields);
    } catch (e) {
      // Keep the text (on screen and in localStorage) and say why.
      this.state = 'error';
      this.error = toIpcError(e).message;
      return;
    }
    this.stored = sent;
    this.base = { ...sent };
    if (this.dirty) {
      // Typed on while saving: the draft is current; save that too.
      this.state = 'pending';
      this.changed();
    } else {
      clearDraft(this.itemId);
      this.state = 'saved';
    }
  }

  /** The item was read again (after another change on the page, or a sync): take over stored
   * texts the coordinator is not editing. */
  sync(stored: Texts): void {
    const next = { ...this.texts };
    for (const f of TEXT_FIELDS) {
      const editing = this.texts[f] !== this.stored[f];
      const agrees = same(stored[f], this.texts[f]);
      // Keep the text as typed when the store agrees (the core trims it).
      this.stored[f] = agrees ? this.texts[f] : stored[f];
      if (!editing) {
        this.base[f] = stored[f];
        if (!agrees) next[f] = stored[f];
      }
    }
    this.texts = next;
    if (!this.dirty && this.state === 'pending') this.state = 'saved';
  }

  /** The item leaves the screen: save what is left, stop listening. */
  dispose(): void {
    void this.flush().finally(() => live.delete(this));
  }
}

// The autosave of an agenda item's texts on its own: drafts from an earlier session, text typed
// while a reload comes in, and a save that fails.
import { afterEach, describe, expect, it } from 'vitest';
import { ItemAutosave, draftKey, readDraft, type Texts } from './autosave.svelte';

const empty: Texts = { description: '', minutes: '', decision: '' };

afterEach(() => localStorage.clear());

function recorder(fail = false) {
  const saved: Record<string, unknown>[] = [];
  const save = async (_id: string, fields: Record<string, unknown>) => {
    if (fail) throw { code: 'io', message: 'Kan niet schrijven.', field: null };
    saved.push(fields);
  };
  return { saved, save };
}

describe('ItemAutosave', () => {
  it('leaves a draft typed over text that changed elsewhere for the coordinator to choose', async () => {
    localStorage.setItem(
      draftKey('i1'),
      JSON.stringify({ texts: { ...empty, minutes: 'mijn tekst' }, base: empty, at: 1 }),
    );
    const { saved, save } = recorder();
    const saver = new ItemAutosave('i1', { ...empty, minutes: 'tekst van een collega' }, save);
    expect(saver.texts.minutes).toBe('tekst van een collega');
    expect(saver.conflict?.texts.minutes).toBe('mijn tekst');

    saver.useDraft(saver.conflict!);
    expect(saver.texts.minutes).toBe('mijn tekst');
    await saver.flush();
    expect(saved).toEqual([{ minutes: 'mijn tekst' }]);
    expect(readDraft('i1')).toBeNull();
    saver.dispose();
  });

  it('drops a draft that the store already has', () => {
    localStorage.setItem(draftKey('i2'), JSON.stringify({ texts: { ...empty, minutes: 'klaar ' }, base: empty, at: 1 }));
    const saver = new ItemAutosave('i2', { ...empty, minutes: 'klaar' }, recorder().save);
    expect(saver.conflict).toBeNull();
    expect(saver.restoredAt).toBeNull();
    expect(readDraft('i2')).toBeNull();
    saver.dispose();
  });

  it('keeps text being typed when the item is read again, and takes over the other fields', () => {
    const saver = new ItemAutosave('i3', empty, recorder().save);
    saver.edit('minutes', 'bezig met ');
    saver.sync({ ...empty, decision: 'Besloten elders' });
    expect(saver.texts).toEqual({ description: '', minutes: 'bezig met ', decision: 'Besloten elders' });
    expect(saver.dirty).toBe(true);
    saver.dispose();
  });

  it('keeps a trailing space the core trimmed away', async () => {
    const { save } = recorder();
    const saver = new ItemAutosave('i4', empty, save);
    saver.edit('minutes', 'woord ');
    await saver.flush();
    saver.sync({ ...empty, minutes: 'woord' });
    expect(saver.texts.minutes).toBe('woord ');
    expect(saver.dirty).toBe(false);
    saver.dispose();
  });

  it('keeps the text and the draft when the save fails', async () => {
    const saver = new ItemAutosave('i5', empty, recorder(true).save);
    saver.edit('decision', 'Akkoord');
    await saver.flush();
    expect(saver.state).toBe('error');
    expect(saver.error).toBe('Kan niet schrijven.');
    expect(saver.texts.decision).toBe('Akkoord');
    expect(readDraft('i5')?.texts.decision).toBe('Akkoord');
  });
});

// Words for the codes the core stores (crates/core/src/schema.rs), in the interface language.

import { label, t } from './i18n.svelte';

export const kindLabel = (kind: string): string => label('kind', kind);
export const statusLabel = (status: string): string => label('status', status);
export const positionLabel = (position: string): string => label('role', position);
export const entityLabel = (entity: string): string => label('entity', entity);
/** A step of the participation ladder (informeren … meebeslissen). */
export const stepLabel = (step: string): string => label('step', step);

/** "Kernoverleg, Dorpsraad Groet · Dorpshuis": kind, who or where, and location. */
export function appointmentDetail(item: {
  kind: string;
  context: string | null;
  location: string | null;
}): string {
  const what = [kindLabel(item.kind), item.context].filter(Boolean).join(', ');
  return item.location ? `${what} · ${item.location}` : what;
}

/** "2 lege zetels; geen voorzitter, penningmeester" */
export function vacancyDetail(vacancy: { empty_seats: number; missing_positions: string[] }): string {
  const parts: string[] = [];
  if (vacancy.empty_seats > 0) parts.push(emptySeats(vacancy.empty_seats));
  if (vacancy.missing_positions.length > 0) {
    parts.push(
      t('common.no_positions', { positions: vacancy.missing_positions.map(positionLabel).join(', ') }),
    );
  }
  return parts.join('; ');
}

/** "1 dag" / "3 dagen" */
export function days(n: number): string {
  return t('common.days', { n });
}

/** "1 lege zetel" / "2 lege zetels" */
export function emptySeats(n: number): string {
  return t('common.empty_seats', { n });
}

// Dutch names for the codes the core stores (crates/core/src/schema.rs).

const KINDS: Record<string, string> = {
  ledenvergadering: 'Ledenvergadering',
  kernoverleg: 'Kernoverleg',
  bestuursoverleg: 'Bestuursoverleg',
  netwerkbijeenkomst: 'Netwerkbijeenkomst',
  other: 'Overig',
  kernbezoek: 'Kernbezoek',
  wijkschouw: 'Wijkschouw',
};

const STATUSES: Record<string, string> = {
  proposed: 'voorgesteld',
  planned: 'gepland',
  confirmed: 'bevestigd',
  held: 'gehouden',
  cancelled: 'geannuleerd',
  open: 'open',
  in_progress: 'in behandeling',
  waiting: 'wacht',
  done: 'afgerond',
};

const POSITIONS: Record<string, string> = {
  chair: 'voorzitter',
  secretary: 'secretaris',
  treasurer: 'penningmeester',
};

export const kindLabel = (kind: string): string => KINDS[kind] ?? kind;
export const statusLabel = (status: string): string => STATUSES[status] ?? status;
export const positionLabel = (position: string): string => POSITIONS[position] ?? position;

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
    parts.push(`geen ${vacancy.missing_positions.map(positionLabel).join(', ')}`);
  }
  return parts.join('; ');
}

/** "1 dag" / "3 dagen" */
export function days(n: number): string {
  return n === 1 ? '1 dag' : `${n} dagen`;
}

/** "1 lege zetel" / "2 lege zetels" */
export function emptySeats(n: number): string {
  return n === 1 ? '1 lege zetel' : `${n} lege zetels`;
}

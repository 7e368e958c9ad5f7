// What the project and agreement forms choose from, loaded once per screen: the area tree, the
// organisations (departments and kernoverleggen apart, so that a long list of partners never hides
// them) and the agreements. A list that cannot be read is empty (its select offers nothing).

import {
  agreementList,
  organisationList,
  type AgreementRow,
  type AreaNode,
  type OrganisationRow,
} from '../../lib/ipc';
import { loadAreas, loadOrganisations } from '../areas/tree';

export interface Choices {
  areas: AreaNode[];
  organisations: OrganisationRow[];
  departments: OrganisationRow[];
  kernoverleggen: OrganisationRow[];
  agreements: AgreementRow[];
}

export const noChoices: Choices = { areas: [], organisations: [], departments: [], kernoverleggen: [], agreements: [] };

async function ofKind(kind: string): Promise<OrganisationRow[]> {
  try {
    return (await organisationList({ kind, offset: 0, limit: 500 })).items;
  } catch {
    return [];
  }
}

export async function loadChoices(): Promise<Choices> {
  const [areas, organisations, departments, kernoverleggen, agreements] = await Promise.all([
    loadAreas(),
    loadOrganisations(),
    ofKind('department'),
    ofKind('kernoverleg'),
    agreementList().catch(() => [] as AgreementRow[]),
  ]);
  return { areas, organisations, departments, kernoverleggen, agreements };
}

/** "1 januari 2026 t/m 31 december 2027", "vanaf …", "tot en met …", or "—". */
export function periodText(
  start: string | null | undefined,
  end: string | null | undefined,
  day: (date: string) => string,
  t: (key: string, params?: Record<string, string | number>) => string,
): string {
  if (start && end) return t('agr.period_value', { from: day(start), to: day(end) });
  if (start) return t('proj.from', { date: day(start) });
  if (end) return t('proj.until', { date: day(end) });
  return t('common.none');
}

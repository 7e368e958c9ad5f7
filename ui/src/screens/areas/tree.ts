// Small helpers around the area tree that the Gebieden, Bezoeken and Actiepunten screens share:
// the tree as choices in a select (indented by depth) and names by id.

import { areaTree, organisationList, type AreaNode, type OrganisationRow } from '../../lib/ipc';
import { localeTag } from '../../lib/i18n.svelte';

/** "    Egmond aan Zee": the name indented by its depth (non-breaking spaces, so a select shows them). */
export function indented(node: AreaNode): string {
  return `${'\u00a0\u00a0\u00a0'.repeat(node.depth)}${node.name}`;
}

/** 12.345 in the interface language. */
export function number(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  return new Intl.NumberFormat(localeTag()).format(n);
}

/** The area tree; an empty list when it cannot be read (a select then simply offers nothing). */
export async function loadAreas(): Promise<AreaNode[]> {
  try {
    return await areaTree();
  } catch {
    return [];
  }
}

/** Organisations to choose from (the first 500 by name). */
export async function loadOrganisations(): Promise<OrganisationRow[]> {
  try {
    return (await organisationList({ offset: 0, limit: 500 })).items;
  } catch {
    return [];
  }
}

/** A name by id in a list of things with `id` and `name`. */
export function nameOf(list: { id: string; name: string }[], id: string | null | undefined): string | null {
  if (!id) return null;
  return list.find((item) => item.id === id)?.name ?? null;
}

// Where the app is: a hash route such as `#/vergaderingen/<id>`, so that the browser's back and
// forward (Alt+Left, Alt+Right) work, and a screen can link to any record.

export type Screen =
  | 'vandaag'
  | 'gebieden'
  | 'organisaties'
  | 'contacten'
  | 'vergaderingen'
  | 'bezoeken'
  | 'actiepunten'
  | 'overeenkomsten'
  | 'projecten'
  | 'jaarplanning'
  | 'rapportage'
  | 'instellingen';

export const SCREENS: Screen[] = [
  'vandaag',
  'gebieden',
  'organisaties',
  'contacten',
  'vergaderingen',
  'bezoeken',
  'actiepunten',
  'overeenkomsten',
  'projecten',
  'jaarplanning',
  'rapportage',
  'instellingen',
];

export interface Route {
  screen: Screen;
  /** The record the screen shows, when it shows one. */
  id: string | null;
  /** Anything after `?` (filters a link carries). */
  params: URLSearchParams;
}

export function parse(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [first, id] = path.split('/');
  const screen = (SCREENS as string[]).includes(first) ? (first as Screen) : 'vandaag';
  return { screen, id: id ? decodeURIComponent(id) : null, params: new URLSearchParams(query) };
}

/** The hash of a route: href(`vergaderingen`, id). */
export function href(screen: Screen, id?: string | null, params?: Record<string, string>): string {
  let hash = `#/${screen}`;
  if (id) hash += `/${encodeURIComponent(id)}`;
  if (params && Object.keys(params).length > 0) hash += `?${new URLSearchParams(params)}`;
  return hash;
}

let current = $state<Route>(parse(typeof location === 'undefined' ? '' : location.hash));

if (typeof window !== 'undefined') {
  window.addEventListener('hashchange', () => {
    current = parse(location.hash);
  });
}

export function route(): Route {
  return current;
}

export function navigate(screen: Screen, id?: string | null, params?: Record<string, string>): void {
  const hash = href(screen, id, params);
  if (location.hash === hash) return;
  location.hash = hash;
  current = parse(hash);
}

/** The screen that shows a record of this entity (for search hits and links). */
export function screenOf(entity: string): Screen {
  switch (entity) {
    case 'area':
      return 'gebieden';
    case 'organisation':
      return 'organisaties';
    case 'contact':
      return 'contacten';
    case 'meeting':
    case 'agenda_item':
      return 'vergaderingen';
    case 'visit':
    case 'stop':
    case 'finding':
      return 'bezoeken';
    case 'action_point':
      return 'actiepunten';
    case 'agreement':
      return 'overeenkomsten';
    case 'project':
    case 'milestone':
      return 'projecten';
    default:
      return 'vandaag';
  }
}

// The words of the global search (Ctrl+K); see common.ts for how the dictionaries work.

export const nl = {
  'search.title': 'Zoeken',
  'search.placeholder': 'Zoek in contacten, organisaties, vergaderingen, notulen, actiepunten…',
  'search.results': 'Zoekresultaten',
  'search.nothing': 'Niets gevonden voor “{text}”.',
  'search.help': 'Typ een of meer woorden; het begin van een woord is genoeg. Pijltjes kiezen, Enter opent.',
};

export const en: typeof nl = {
  'search.title': 'Search',
  'search.placeholder': 'Search contacts, organisations, meetings, minutes, action points…',
  'search.results': 'Search results',
  'search.nothing': 'Nothing found for “{text}”.',
  'search.help': 'Type one or more words; the start of a word is enough. Arrows choose, Enter opens.',
};

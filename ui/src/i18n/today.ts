// The words of the "Vandaag" screen; see common.ts for how the dictionaries work.

export const nl = {
  'today.this_week': 'Deze week',
  'today.demo':
    'Dit is de voorbeeldgemeente Bergen, om Wijkwerk te leren kennen; ze blijft op deze computer. Met de server van je gemeente werk je in een eigen, nieuwe gegevensmap.',
  'today.demo_link': 'Synchronisatie instellen',
  'today.no_meetings': 'Geen vergaderingen deze week.',
  'today.no_visits': 'Geen bezoeken deze week.',
  'today.overdue': 'Actiepunten over tijd',
  'today.no_overdue': 'Geen actiepunten over tijd.',
  'today.owner': 'Uitvoerder',
  'today.requester': 'Aanvrager',
  'today.due': 'Streefdatum',
  'today.late': 'Over tijd',
  'today.more_overdue': 'En nog {n} actiepunten over tijd.',
  'today.more_overdue_one': 'En nog 1 actiepunt over tijd.',
  'today.show_all': 'Toon alle',
  'today.vacancies': 'Vacatures in besturen',
  'today.no_vacancies': 'Alle besturen zijn compleet.',
  'today.data_folder': 'Gegevensmap:',
};

export const en: typeof nl = {
  'today.this_week': 'This week',
  'today.demo':
    'This is the demo municipality of Bergen, to get to know Wijkwerk; it stays on this computer. With your municipality’s server you work in a new data folder of its own.',
  'today.demo_link': 'Set up sync',
  'today.no_meetings': 'No meetings this week.',
  'today.no_visits': 'No visits this week.',
  'today.overdue': 'Overdue action points',
  'today.no_overdue': 'No overdue action points.',
  'today.owner': 'Owner',
  'today.requester': 'Requester',
  'today.due': 'Due date',
  'today.late': 'Overdue',
  'today.more_overdue': 'And {n} more overdue action points.',
  'today.more_overdue_one': 'And 1 more overdue action point.',
  'today.show_all': 'Show all',
  'today.vacancies': 'Board vacancies',
  'today.no_vacancies': 'Every board is complete.',
  'today.data_folder': 'Data folder:',
};

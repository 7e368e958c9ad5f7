// The words of Instellingen and of the "cannot open the data" screen; see common.ts.

export const nl = {
  'settings.language': 'Taal',
  'settings.language_help': 'De taal van Wijkwerk. Datums en tijden blijven in de tijd van Amsterdam.',
  'settings.data_folder': 'Gegevensmap',
  'settings.current_folder': 'Wijkwerk gebruikt nu:',
  'settings.open_other': 'Een andere gegevensmap openen',
  'settings.open_other_help':
    'Geef het pad van een map. Staan daar nog geen gegevens, dan maakt Wijkwerk er een nieuw bestand met de voorbeeldgemeente.',
  'settings.open': 'Openen',
  'settings.folder_opened': 'De gegevensmap is geopend.',
  'settings.about': 'Over Wijkwerk',
  'settings.about_text':
    'Wijkwerk is de werkplek van wijkcoördinatoren en gebiedsregisseurs: contacten, vergaderingen, kernbezoeken en actiepunten, ook zonder verbinding.',
  'settings.version': 'Versie {version}',
  'settings.problem_title': 'Wijkwerk kan de gegevens niet openen',
};

export const en: typeof nl = {
  'settings.language': 'Language',
  'settings.language_help': 'The language of Wijkwerk. Dates and times stay in Amsterdam time.',
  'settings.data_folder': 'Data folder',
  'settings.current_folder': 'Wijkwerk now uses:',
  'settings.open_other': 'Open another data folder',
  'settings.open_other_help':
    'Give the path of a folder. If it holds no data yet, Wijkwerk creates a new file there with the demo municipality.',
  'settings.open': 'Open',
  'settings.folder_opened': 'The data folder was opened.',
  'settings.about': 'About Wijkwerk',
  'settings.about_text':
    'Wijkwerk is the workplace of area coordinators: contacts, meetings, core visits and action points, also without a connection.',
  'settings.version': 'Version {version}',
  'settings.problem_title': 'Wijkwerk cannot open the data',
};

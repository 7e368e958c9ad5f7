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
  'settings.locked_title': 'Wachtwoord voor de gegevens',
  'settings.new_passphrase_title': 'Kies een wachtwoord voor de gegevens',
  'settings.new_passphrase_help':
    'Wijkwerk versleutelt alles wat het op deze laptop bewaart. Er is geen sleutelbos om de sleutel in te bewaren, dus beschermt een wachtwoord de gegevens. Kies er een van minstens 12 tekens. Wie het wachtwoord vergeet, kan de gegevens op deze laptop niet meer openen; wat al met de server is gedeeld, komt bij een nieuwe start weer binnen.',
  'settings.passphrase': 'Wachtwoord',
  'settings.passphrase_again': 'Nog een keer',
  'settings.passphrase_short': 'Kies een wachtwoord van minstens 12 tekens.',
  'settings.passphrase_differs': 'De twee wachtwoorden zijn niet gelijk.',
  'settings.unlock': 'Openen',
  'settings.create_with_passphrase': 'Gegevens maken',
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
  'settings.locked_title': 'Passphrase for the data',
  'settings.new_passphrase_title': 'Choose a passphrase for the data',
  'settings.new_passphrase_help':
    'Wijkwerk encrypts everything it keeps on this laptop. There is no keyring to keep the key in, so a passphrase protects the data. Choose one of at least 12 characters. Whoever forgets the passphrase cannot open the data on this laptop again; what was shared with the server comes back in on a new start.',
  'settings.passphrase': 'Passphrase',
  'settings.passphrase_again': 'Once more',
  'settings.passphrase_short': 'Choose a passphrase of at least 12 characters.',
  'settings.passphrase_differs': 'The two passphrases differ.',
  'settings.unlock': 'Open',
  'settings.create_with_passphrase': 'Create the data',
};

//! What a list's columns mean: the targets a column can have, the mapping suggested from the
//! header (Dutch and English names, as Excel lists, Outlook in both languages, Google and our own
//! vCard reader name them), and the kind of source a list is, by which a chosen mapping is
//! remembered.

use crate::normal_form::fold;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a column holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The whole name ("Jan de Vries", or "Vries, Jan de" as address books file it).
    Name,
    FirstName,
    /// Voorletters ("J.P."), used when there is no first name.
    Initials,
    /// The tussenvoegsel ("de", "van der").
    Infix,
    LastName,
    Email,
    Phone,
    Mobile,
    /// The street, or the street and number.
    Street,
    /// The house number (with its addition), put after the street.
    HouseNumber,
    Postcode,
    City,
    Notes,
    /// The organisation the person has a role in (found by name, or made).
    Organisation,
    /// The role in it ("Voorzitter", "Secretaris", "Bestuurslid", "Wijkagent").
    Function,
    /// The day the role began (dd-mm-jjjj, jjjj-mm-dd).
    RoleStart,
    /// The day the role ended.
    RoleEnd,
    /// The kind of a new organisation ("Dorpsraad", "Wijkvereniging", "Politie").
    OrganisationKind,
    /// The area (kern or wijk) of a new organisation, by name.
    Area,
    /// An organisation's website (in a list of organisations).
    Website,
}

impl Target {
    pub const ALL: [Target; 20] = [
        Target::Name,
        Target::FirstName,
        Target::Initials,
        Target::Infix,
        Target::LastName,
        Target::Email,
        Target::Phone,
        Target::Mobile,
        Target::Street,
        Target::HouseNumber,
        Target::Postcode,
        Target::City,
        Target::Notes,
        Target::Organisation,
        Target::Function,
        Target::RoleStart,
        Target::RoleEnd,
        Target::OrganisationKind,
        Target::Area,
        Target::Website,
    ];

    /// The name in JSON and on the command line (`first_name`).
    pub fn key(self) -> &'static str {
        match self {
            Target::Name => "name",
            Target::FirstName => "first_name",
            Target::Initials => "initials",
            Target::Infix => "infix",
            Target::LastName => "last_name",
            Target::Email => "email",
            Target::Phone => "phone",
            Target::Mobile => "mobile",
            Target::Street => "street",
            Target::HouseNumber => "house_number",
            Target::Postcode => "postcode",
            Target::City => "city",
            Target::Notes => "notes",
            Target::Organisation => "organisation",
            Target::Function => "function",
            Target::RoleStart => "role_start",
            Target::RoleEnd => "role_end",
            Target::OrganisationKind => "organisation_kind",
            Target::Area => "area",
            Target::Website => "website",
        }
    }

    pub fn from_key(key: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.key() == key)
    }

    /// Targets that name a person.
    pub fn names_a_person(self) -> bool {
        matches!(
            self,
            Target::Name | Target::FirstName | Target::Initials | Target::LastName
        )
    }
}

/// The meaning chosen for each column, by the column's header. A header not in it is left out
/// of the import. Given as JSON: `{"Voornaam": "first_name", "Mail": "email", "Oud": null}`.
pub type Mapping = BTreeMap<String, Option<Target>>;

/// Header names (folded, letters only: "E-mail 1 - Value" is `emailvalue`) and what they mean.
const KNOWN_HEADERS: &[(&str, Target)] = &[
    // Names.
    ("naam", Target::Name),
    ("volledigenaam", Target::Name),
    ("naamvolledig", Target::Name),
    ("weergavenaam", Target::Name),
    ("contactpersoon", Target::Name),
    ("persoon", Target::Name),
    ("name", Target::Name),
    ("fullname", Target::Name),
    ("displayname", Target::Name),
    ("voornaam", Target::FirstName),
    ("voornamen", Target::FirstName),
    ("roepnaam", Target::FirstName),
    ("firstname", Target::FirstName),
    ("givenname", Target::FirstName),
    ("voorletters", Target::Initials),
    ("voorletter", Target::Initials),
    ("initialen", Target::Initials),
    ("initials", Target::Initials),
    ("tussenvoegsel", Target::Infix),
    ("tussenvoegsels", Target::Infix),
    ("tussenv", Target::Infix),
    ("voorvoegsel", Target::Infix),
    // Outlook's "Middle Name" holds the tussenvoegsel in Dutch address books.
    ("middelstenaam", Target::Infix),
    ("middlename", Target::Infix),
    ("additionalname", Target::Infix),
    ("achternaam", Target::LastName),
    ("familienaam", Target::LastName),
    ("geslachtsnaam", Target::LastName),
    ("lastname", Target::LastName),
    ("familyname", Target::LastName),
    ("surname", Target::LastName),
    // E-mail.
    ("email", Target::Email),
    ("emailadres", Target::Email),
    ("mailadres", Target::Email),
    ("mail", Target::Email),
    ("emailaddress", Target::Email),
    ("emailvalue", Target::Email),
    // Phones: Outlook's home and business numbers, Google's labelled ones.
    ("telefoon", Target::Phone),
    ("telefoonnummer", Target::Phone),
    ("telnr", Target::Phone),
    ("tel", Target::Phone),
    ("vastetelefoon", Target::Phone),
    ("telefoonthuis", Target::Phone),
    ("telefoonwerk", Target::Phone),
    ("telefoonopwerk", Target::Phone),
    ("hoofdtelefoon", Target::Phone),
    ("phone", Target::Phone),
    ("telephone", Target::Phone),
    ("homephone", Target::Phone),
    ("businessphone", Target::Phone),
    ("primaryphone", Target::Phone),
    ("phonevalue", Target::Phone),
    ("mobiel", Target::Mobile),
    ("mobielnummer", Target::Mobile),
    ("mobieletelefoon", Target::Mobile),
    ("telefoonmobiel", Target::Mobile),
    ("gsm", Target::Mobile),
    ("mobile", Target::Mobile),
    ("mobilephone", Target::Mobile),
    ("cell", Target::Mobile),
    ("cellphone", Target::Mobile),
    // Address.
    ("straat", Target::Street),
    ("adres", Target::Street),
    ("straatenhuisnummer", Target::Street),
    ("straathuisnummer", Target::Street),
    ("postadres", Target::Street),
    ("woonadres", Target::Street),
    ("straatthuis", Target::Street),
    ("straatwerk", Target::Street),
    ("street", Target::Street),
    ("address", Target::Street),
    ("homestreet", Target::Street),
    ("businessstreet", Target::Street),
    ("addressstreet", Target::Street),
    ("huisnummer", Target::HouseNumber),
    ("huisnr", Target::HouseNumber),
    ("nr", Target::HouseNumber),
    ("huisnummertoevoeging", Target::HouseNumber),
    ("housenumber", Target::HouseNumber),
    ("postcode", Target::Postcode),
    ("postcodethuis", Target::Postcode),
    ("postcodewerk", Target::Postcode),
    ("zip", Target::Postcode),
    ("zipcode", Target::Postcode),
    ("postalcode", Target::Postcode),
    ("homepostalcode", Target::Postcode),
    ("businesspostalcode", Target::Postcode),
    ("addresspostalcode", Target::Postcode),
    ("woonplaats", Target::City),
    ("plaats", Target::City),
    ("plaatsthuis", Target::City),
    ("plaatswerk", Target::City),
    ("stad", Target::City),
    ("city", Target::City),
    ("homecity", Target::City),
    ("businesscity", Target::City),
    ("addresscity", Target::City),
    // Notes.
    ("notities", Target::Notes),
    ("notitie", Target::Notes),
    ("opmerking", Target::Notes),
    ("opmerkingen", Target::Notes),
    ("toelichting", Target::Notes),
    ("notes", Target::Notes),
    ("note", Target::Notes),
    // The organisation and the role in it.
    ("organisatie", Target::Organisation),
    ("organisatienaam", Target::Organisation),
    ("vereniging", Target::Organisation),
    ("bedrijf", Target::Organisation),
    ("instelling", Target::Organisation),
    ("dorpsraad", Target::Organisation),
    ("wijkvereniging", Target::Organisation),
    ("wijkraad", Target::Organisation),
    ("kernraad", Target::Organisation),
    ("bewonersvereniging", Target::Organisation),
    ("company", Target::Organisation),
    ("organization", Target::Organisation),
    ("organisation", Target::Organisation),
    ("organizationname", Target::Organisation),
    ("functie", Target::Function),
    ("rol", Target::Function),
    ("bestuursfunctie", Target::Function),
    ("functieinbestuur", Target::Function),
    ("jobtitle", Target::Function),
    ("role", Target::Function),
    ("function", Target::Function),
    ("organizationtitle", Target::Function),
    ("sinds", Target::RoleStart),
    ("lidsinds", Target::RoleStart),
    ("infunctiesinds", Target::RoleStart),
    ("startdatum", Target::RoleStart),
    ("begindatum", Target::RoleStart),
    ("ingangsdatum", Target::RoleStart),
    ("vanaf", Target::RoleStart),
    ("since", Target::RoleStart),
    ("startdate", Target::RoleStart),
    ("tot", Target::RoleEnd),
    ("totenmet", Target::RoleEnd),
    ("einddatum", Target::RoleEnd),
    ("enddate", Target::RoleEnd),
    ("until", Target::RoleEnd),
    ("soortorganisatie", Target::OrganisationKind),
    ("soort", Target::OrganisationKind),
    ("organisatiesoort", Target::OrganisationKind),
    ("organisationkind", Target::OrganisationKind),
    ("organizationtype", Target::OrganisationKind),
    ("kern", Target::Area),
    ("wijk", Target::Area),
    ("dorp", Target::Area),
    ("gebied", Target::Area),
    ("buurt", Target::Area),
    ("area", Target::Area),
    ("website", Target::Website),
    ("webpagina", Target::Website),
    ("webpage", Target::Website),
    ("homepage", Target::Website),
    ("url", Target::Website),
];

/// A header as it is looked up: folded, letters only (digits and punctuation dropped, so that
/// "E-mail 2 Address" and "Address 1 - Street" match their first siblings).
pub fn header_key(header: &str) -> String {
    fold(header).chars().filter(|c| c.is_alphabetic()).collect()
}

/// What a header means, if it is one we know.
pub fn suggest(header: &str) -> Option<Target> {
    let key = header_key(header);
    if key.is_empty() {
        return None;
    }
    KNOWN_HEADERS
        .iter()
        .find(|(known, _)| *known == key)
        .map(|(_, t)| *t)
        .or_else(|| {
            // "Mobiel (privé)", "Telefoon 2 (werk)": what starts like a phone's name.
            // ("E-mail Type" and "E-mail Display Name" are not addresses: e-mail is known
            // by its exact names only.)
            let starts = |p: &str| key.starts_with(p);
            if starts("mobiel") || starts("mobile") {
                Some(Target::Mobile)
            } else if starts("telefoon") || (starts("phone") && key.ends_with("value")) {
                Some(Target::Phone)
            } else {
                None
            }
        })
}

/// The kind of source a list is, by which its mapping is remembered: `vcard`, `outlook`,
/// `google`, or `list:<id>` for a list with these headers.
pub fn source_kind(headers: &[String], vcard: bool) -> String {
    if vcard {
        return "vcard".to_owned();
    }
    let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
    let has = |k: &str| keys.iter().any(|h| h == k);
    if has("givenname") && (has("groupmembership") || has("emailvalue")) {
        return "google".to_owned();
    }
    if has("firstname") && has("labels") && has("emailvalue") {
        return "google".to_owned();
    }
    if (has("firstname") && has("emailaddress") && has("businessstreet"))
        || (has("voornaam") && has("emailadres") && has("straatwerk"))
    {
        return "outlook".to_owned();
    }
    let namespace = uuid::Uuid::NAMESPACE_OID;
    let id = uuid::Uuid::new_v5(&namespace, keys.join("|").as_bytes());
    format!("list:{}", &id.simple().to_string()[..12])
}

/// The mapping suggested for a header: remembered choices first (for the headers they name),
/// else what the header's name says. Of two columns that would both be the whole name, the
/// first is kept; other targets may have several columns (the first non-empty cell counts).
pub fn suggest_mapping(headers: &[String], remembered: Option<&Mapping>) -> Mapping {
    let mut mapping = Mapping::new();
    for header in headers {
        if mapping.contains_key(header) {
            continue;
        }
        let target = match remembered.and_then(|m| m.get(header)) {
            Some(choice) => *choice,
            None => suggest(header),
        };
        mapping.insert(header.clone(), target);
    }
    mapping
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|h| (*h).to_owned()).collect()
    }

    #[test]
    fn dutch_and_english_headers() {
        for (header, target) in [
            ("Voornaam", Target::FirstName),
            ("E-mailadres", Target::Email),
            ("E-mail 2 Address", Target::Email),
            ("E-mail 1 - Value", Target::Email),
            ("Mobiele telefoon", Target::Mobile),
            ("Telefoon (thuis)", Target::Phone),
            ("Phone 1 - Value", Target::Phone),
            ("Straat", Target::Street),
            ("Postcode", Target::Postcode),
            ("Woonplaats", Target::City),
            ("Organisatie", Target::Organisation),
            ("Lid sinds", Target::RoleStart),
            ("Address 1 - Postal Code", Target::Postcode),
        ] {
            assert_eq!(suggest(header), Some(target), "{header}");
        }
        assert_eq!(suggest("Geboortedatum"), None);
        assert_eq!(suggest("Phone 1 - Label"), None);
        assert_eq!(suggest("E-mail Type"), None);
        assert_eq!(suggest("E-mail Display Name"), None);
        assert_eq!(suggest("E-mail: weergegeven naam"), None);
        assert_eq!(suggest(""), None);
    }

    #[test]
    fn sources_are_told_apart_and_a_list_keeps_its_kind() {
        let outlook = headers(&[
            "First Name",
            "Last Name",
            "E-mail Address",
            "Business Street",
        ]);
        assert_eq!(source_kind(&outlook, false), "outlook");
        let google = headers(&["Name", "Given Name", "Group Membership", "E-mail 1 - Value"]);
        assert_eq!(source_kind(&google, false), "google");
        let own = headers(&["Naam", "Functie"]);
        assert_eq!(source_kind(&own, false), source_kind(&own, false));
        assert_ne!(
            source_kind(&own, false),
            source_kind(&headers(&["Naam"]), false)
        );
        assert_eq!(source_kind(&own, true), "vcard");
    }

    #[test]
    fn a_remembered_choice_wins_over_the_suggestion() {
        let mut remembered = Mapping::new();
        remembered.insert("Naam".into(), Some(Target::LastName));
        remembered.insert("Oud".into(), None);
        let mapping = suggest_mapping(&headers(&["Naam", "Oud", "Plaats"]), Some(&remembered));
        assert_eq!(mapping["Naam"], Some(Target::LastName));
        assert_eq!(mapping["Oud"], None);
        assert_eq!(mapping["Plaats"], Some(Target::City));
    }
}

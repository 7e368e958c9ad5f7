//! vCard 2.1, 3.0 and 4.0, many cards per file, read into the table's columns; and cards written
//! out as 3.0 or 4.0.
//!
//! Read: lines are unfolded (a line starting with a space or tab continues the one before);
//! 2.1's QUOTED-PRINTABLE values continue over soft line breaks (`=` at the end) and are decoded
//! in their CHARSET; 2.1's bare parameters (`TEL;CELL:`) are types; a property's group
//! (`item1.EMAIL`) is dropped; photos, logos, sounds and keys (BASE64 data, in 2.1 also on lines
//! of their own) are skipped. A card's line is its `BEGIN:VCARD`. A file that ends inside a card
//! is refused with the card's line.
//!
//! Neither the `ical` crate's vCard parser (it refuses 2.1's bare parameters and soft line
//! breaks) nor `calcard` (it brings chrono and chrono-tz, a second and third date library into
//! the app) fit; vCard's line grammar is small, so it is read here.

use crate::{ListError, Row, Table};

/// The columns a card becomes, named as a Dutch list would name them (so the column mapping
/// recognises them like any other header).
pub const COLUMNS: [&str; 12] = [
    "Naam",
    "Voornaam",
    "Tussenvoegsel",
    "Achternaam",
    "E-mailadres",
    "Telefoon",
    "Mobiel",
    "Straat",
    "Postcode",
    "Woonplaats",
    "Organisatie",
    "Functie",
];
const NOTES: &str = "Notities";

/// One property: its name (upper case, group dropped), its parameters and its raw value.
#[derive(Debug, Clone, PartialEq)]
struct Property {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Property {
    /// A parameter's values (`TYPE=work,voice` and 2.1's bare `WORK;VOICE` alike), upper case.
    fn types(&self) -> Vec<String> {
        self.params
            .iter()
            .filter(|(k, _)| k == "TYPE")
            .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_uppercase()))
            .collect()
    }
    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn preferred(&self) -> bool {
        self.types().iter().any(|t| t == "PREF") || self.param("PREF").is_some()
    }
}

/// Whether the text holds vCards (a `BEGIN:VCARD` line before anything else).
pub fn looks_like(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.eq_ignore_ascii_case("BEGIN:VCARD"))
}

/// The cards of a file as a table with [`COLUMNS`] and the notes.
pub fn read(text: &str) -> Result<Table, ListError> {
    let mut rows = Vec::new();
    let mut card: Option<(usize, Vec<Property>)> = None;
    let lines = logical_lines(text);
    let mut skipping_data = false;
    for (line, content) in lines {
        if content.trim().is_empty() {
            skipping_data = false;
            continue;
        }
        let Some(property) = parse_line(&content) else {
            // 2.1 writes a photo's BASE64 data on lines of their own, unindented.
            if skipping_data || card.is_none() {
                continue;
            }
            return Err(ListError::Malformed {
                line,
                reason: format!("not a vCard property: {:?}", clip(&content)),
            });
        };
        skipping_data = false;
        match property.name.as_str() {
            "BEGIN" if property.value.eq_ignore_ascii_case("VCARD") => {
                if let Some((begin, _)) = card {
                    return Err(ListError::Malformed {
                        line: begin,
                        reason: "a card begins inside another (END:VCARD missing)".into(),
                    });
                }
                card = Some((line, Vec::new()));
            }
            "END" if property.value.eq_ignore_ascii_case("VCARD") => match card.take() {
                Some((begin, properties)) => rows.push(Row {
                    line: begin,
                    cells: cells(&properties),
                }),
                None => {
                    return Err(ListError::Malformed {
                        line,
                        reason: "END:VCARD without BEGIN:VCARD".into(),
                    })
                }
            },
            "PHOTO" | "LOGO" | "SOUND" | "KEY" => skipping_data = true,
            _ => {
                if let Some((_, properties)) = card.as_mut() {
                    properties.push(property);
                }
            }
        }
    }
    if let Some((begin, _)) = card {
        return Err(ListError::Malformed {
            line: begin,
            reason: "the file ends inside this card (END:VCARD missing)".into(),
        });
    }
    if rows.is_empty() {
        return Err(ListError::Empty);
    }
    let mut headers: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    headers.push(NOTES.to_owned());
    Ok(Table { headers, rows })
}

/// Physical lines joined into logical ones, each with the line it starts on.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut soft_break = false;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let folded = raw.starts_with([' ', '\t']);
        match out.last_mut() {
            Some((_, last)) if soft_break => last.push_str(raw),
            Some((_, last)) if folded && !last.is_empty() => last.push_str(&raw[1..]),
            _ => out.push((i + 1, raw.to_owned())),
        }
        // A QUOTED-PRINTABLE value whose line ends in `=` goes on on the next line.
        soft_break = false;
        if let Some((_, last)) = out.last_mut() {
            if last.ends_with('=') && is_quoted_printable(last) {
                last.pop();
                soft_break = true;
            }
        }
    }
    out
}

fn is_quoted_printable(line: &str) -> bool {
    let head = split_value(line).map_or(line, |(head, _)| head);
    head.to_ascii_uppercase().contains("QUOTED-PRINTABLE")
}

/// `name;params:value` split at the first colon outside quotes.
fn split_value(line: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    None
}

fn parse_line(line: &str) -> Option<Property> {
    let (head, value) = split_value(line)?;
    let mut parts = split_outside_quotes(head, ';').into_iter();
    let name = parts.next()?.trim();
    let name = name.rsplit('.').next().unwrap_or(name).to_ascii_uppercase();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (
                k.trim().to_ascii_uppercase(),
                v.trim().trim_matches('"').to_owned(),
            ),
            None => {
                let bare = p.trim().to_ascii_uppercase();
                match bare.as_str() {
                    "QUOTED-PRINTABLE" | "BASE64" | "8BIT" | "7BIT" | "B" => {
                        ("ENCODING".to_owned(), bare)
                    }
                    _ => ("TYPE".to_owned(), bare),
                }
            }
        })
        .collect();
    Some(Property {
        name,
        params,
        value: value.to_owned(),
    })
}

fn split_outside_quotes(s: &str, separator: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// The property's value as text: QUOTED-PRINTABLE decoded in its CHARSET (UTF-8 unless named).
fn text_value(p: &Property) -> String {
    let encoding = p.param("ENCODING").unwrap_or("").to_ascii_uppercase();
    if encoding != "QUOTED-PRINTABLE" {
        return p.value.clone();
    }
    let bytes = quoted_printable::decode(p.value.as_bytes(), quoted_printable::ParseMode::Robust)
        .unwrap_or_else(|_| p.value.as_bytes().to_vec());
    let charset = p.param("CHARSET").unwrap_or("UTF-8");
    let encoding =
        encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let (text, _, had_errors) = encoding.decode(&bytes);
    if had_errors && encoding == encoding_rs::UTF_8 {
        encoding_rs::WINDOWS_1252.decode(&bytes).0.into_owned()
    } else {
        text.into_owned()
    }
}

/// A structured value's components (`N`, `ADR`, `ORG`): split at unescaped `;`, unescaped.
fn components(value: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => out.last_mut().map_or((), |s| s.push('\n')),
                Some(other) => out.last_mut().map_or((), |s| s.push(other)),
                None => {}
            },
            ';' => out.push(String::new()),
            _ => out.last_mut().map_or((), |s| s.push(c)),
        }
    }
    out.into_iter().map(|s| s.trim().to_owned()).collect()
}

/// A text value unescaped (`\n`, `\,`, `\;`, `\\`).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out.trim().to_owned()
}

fn cells(properties: &[Property]) -> Vec<String> {
    // The first property of a name, the preferred one where one says so.
    let pick = |names: &[&str], want: &dyn Fn(&Property) -> bool| -> Option<&Property> {
        let matching: Vec<&Property> = properties
            .iter()
            .filter(|p| names.contains(&p.name.as_str()) && want(p))
            .collect();
        matching
            .iter()
            .find(|p| p.preferred())
            .or(matching.first())
            .copied()
    };
    let any = |_: &Property| true;
    let is_mobile = |p: &Property| p.types().iter().any(|t| t == "CELL" || t == "MOBILE");
    let is_fax = |p: &Property| p.types().iter().any(|t| t == "FAX");
    let text = |p: Option<&Property>| p.map(|p| unescape(&text_value(p))).unwrap_or_default();
    let parts = |p: Option<&Property>| p.map(|p| components(&text_value(p))).unwrap_or_default();
    let part = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();

    let n = parts(pick(&["N"], &any));
    let adr = parts(pick(&["ADR"], &any));
    let org = parts(pick(&["ORG"], &any));
    let number = |p: Option<&Property>| {
        let t = text(p);
        t.strip_prefix("tel:").map_or(t.clone(), str::to_owned)
    };
    let phone = number(pick(&["TEL"], &|p| !is_mobile(p) && !is_fax(p)));
    let mobile = number(pick(&["TEL"], &is_mobile));
    let function = match text(pick(&["TITLE"], &any)) {
        t if t.is_empty() => text(pick(&["ROLE"], &any)),
        t => t,
    };
    vec![
        text(pick(&["FN"], &any)),
        part(&n, 1),
        // N's prefixes are titles ("Dr."); a Dutch tussenvoegsel is in the family name.
        String::new(),
        part(&n, 0),
        text(pick(&["EMAIL"], &any)),
        phone,
        mobile,
        part(&adr, 2),
        part(&adr, 5),
        part(&adr, 3),
        part(&org, 0),
        function,
        text(pick(&["NOTE"], &any)),
    ]
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

/// A contact (or an organisation) as a card is written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Card {
    pub uid: String,
    /// A person, or an organisation (the card of an association itself).
    pub kind: CardKind,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub street: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub organisation: Option<String>,
    pub function: Option<String>,
    /// A website (`URL`).
    pub url: Option<String>,
    pub notes: Option<String>,
    /// Further organisations the person has a role in (`CATEGORIES`, as Google shows labels).
    pub categories: Vec<String>,
}

/// Whom a card is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CardKind {
    #[default]
    Individual,
    /// An organisation: 4.0's `KIND:org`; 3.0 has no kind, so its name is left empty and Apple's
    /// `X-ABShowAs:COMPANY` added (Outlook and Google show the organisation's name either way).
    Organisation,
}

/// Which vCard a file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// 3.0 (RFC 2426): what Outlook and Google import without question.
    V3,
    /// 4.0 (RFC 6350).
    V4,
}

/// Cards as a file: CRLF, lines folded at 75 octets, text escaped.
pub fn write(cards: &[Card], version: Version) -> Vec<u8> {
    let mut file = VcardWriter::new(version);
    for card in cards {
        file.card(card);
    }
    file.finish()
}

/// A file of cards written a card at a time.
pub struct VcardWriter {
    out: String,
    version: Version,
}

impl VcardWriter {
    pub fn new(version: Version) -> VcardWriter {
        VcardWriter {
            out: String::new(),
            version,
        }
    }

    pub fn card(&mut self, card: &Card) {
        let version = self.version;
        let organisation = card.kind == CardKind::Organisation;
        let mut line = |s: String| fold_into(&mut self.out, &s);
        line("BEGIN:VCARD".into());
        line(
            match version {
                Version::V3 => "VERSION:3.0",
                Version::V4 => "VERSION:4.0",
            }
            .into(),
        );
        if version == Version::V4 {
            line(
                if organisation {
                    "KIND:org"
                } else {
                    "KIND:individual"
                }
                .into(),
            );
        }
        line(format!("UID:{}", escape(&card.uid)));
        line(format!("FN:{}", escape(&card.name)));
        if !organisation {
            let (given, family) = split_name(&card.name);
            line(format!("N:{};{};;;", escape(&family), escape(&given)));
        } else if version == Version::V3 {
            // 3.0 requires N; an organisation has no person's name.
            line("N:;;;;".into());
            line("X-ABShowAs:COMPANY".into());
        }
        let place = if organisation { "work" } else { "home" };
        if let Some(email) = &card.email {
            line(format!("EMAIL;TYPE=internet:{}", escape(email)));
        }
        let tel_type = |t: &str| match version {
            Version::V3 => format!("TYPE={t},voice"),
            Version::V4 => format!("TYPE=\"{t},voice\""),
        };
        if let Some(mobile) = &card.mobile {
            line(format!("TEL;{}:{}", tel_type("cell"), escape(mobile)));
        }
        if let Some(phone) = &card.phone {
            line(format!("TEL;{}:{}", tel_type(place), escape(phone)));
        }
        if card.street.is_some() || card.postcode.is_some() || card.city.is_some() {
            let f = |v: &Option<String>| escape(v.as_deref().unwrap_or(""));
            line(format!(
                "ADR;TYPE={place}:;;{};{};;{};Nederland",
                f(&card.street),
                f(&card.city),
                f(&card.postcode)
            ));
        }
        if let Some(org) = &card.organisation {
            line(format!("ORG:{}", escape(org)));
        }
        if let Some(function) = &card.function {
            line(format!("TITLE:{}", escape(function)));
        }
        if let Some(url) = &card.url {
            line(format!("URL:{}", escape(url)));
        }
        if !card.categories.is_empty() {
            let list: Vec<String> = card.categories.iter().map(|c| escape(c)).collect();
            line(format!("CATEGORIES:{}", list.join(",")));
        }
        if let Some(notes) = &card.notes {
            line(format!("NOTE:{}", escape(notes)));
        }
        line("END:VCARD".into());
    }

    /// The file's bytes (UTF-8).
    pub fn finish(self) -> Vec<u8> {
        self.out.into_bytes()
    }
}

/// "Jan de Vries" as given name "Jan" and family name "de Vries" (the family name keeps its
/// tussenvoegsel, as Dutch address books file it). A name of one word is the family name.
pub fn split_name(name: &str) -> (String, String) {
    match name.trim().split_once(' ') {
        Some((given, family)) => (given.to_owned(), family.trim().to_owned()),
        None => (String::new(), name.trim().to_owned()),
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets, never inside a character, ended by CRLF.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(table: &Table, row: usize, name: &str) -> String {
        let i = table.headers.iter().position(|h| h == name).unwrap();
        table.rows[row].cells[i].clone()
    }

    #[test]
    fn version_2_1_with_quoted_printable_bare_types_and_a_photo() {
        let table = read(concat!(
            "BEGIN:VCARD\r\nVERSION:2.1\r\n",
            "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:de Vries;Jo=C3=ABlle\r\n",
            "FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Jo=EBlle de Vries\r\n",
            "TEL;CELL;VOICE:06-12345678\r\n",
            "TEL;HOME:072-5123456\r\n",
            "NOTE;ENCODING=QUOTED-PRINTABLE:regel een=0D=0A=\r\nregel twee\r\n",
            "PHOTO;JPEG;ENCODING=BASE64:\r\n/9j/4AAQSkZJRgABAQ\r\nAAAQABAAD\r\n\r\n",
            "item1.EMAIL;INTERNET;PREF:joelle@example.nl\r\n",
            "END:VCARD\r\n",
        ))
        .unwrap();
        assert_eq!(col(&table, 0, "Naam"), "Joëlle de Vries");
        assert_eq!(col(&table, 0, "Voornaam"), "Joëlle");
        assert_eq!(col(&table, 0, "Achternaam"), "de Vries");
        assert_eq!(col(&table, 0, "Mobiel"), "06-12345678");
        assert_eq!(col(&table, 0, "Telefoon"), "072-5123456");
        assert_eq!(col(&table, 0, "E-mailadres"), "joelle@example.nl");
        assert_eq!(col(&table, 0, "Notities"), "regel een\r\nregel twee");
    }

    #[test]
    fn version_3_and_4_folded_escaped_and_many_per_file() {
        let table = read(concat!(
            "BEGIN:VCARD\nVERSION:3.0\nFN:Piet Bakker\nORG:Dorpsraad Schoorl\\, afd. Noord;Bestuur\n",
            "TITLE:Voorzitter\nADR;TYPE=home:;;Duinweg 3;Schoorl;;1871 AB;Nederland\n",
            "NOTE:eerste\\nt\n weede\nEND:VCARD\n",
            "BEGIN:VCARD\nVERSION:4.0\nFN:Anna\nTEL;TYPE=\"cell,voice\";VALUE=uri:tel:+31612345678\n",
            "EMAIL;PREF=1:anna@example.nl\nEND:VCARD\n",
        ))
        .unwrap();
        assert_eq!(table.rows.len(), 2);
        assert_eq!(
            col(&table, 0, "Organisatie"),
            "Dorpsraad Schoorl, afd. Noord"
        );
        assert_eq!(col(&table, 0, "Functie"), "Voorzitter");
        assert_eq!(col(&table, 0, "Postcode"), "1871 AB");
        assert_eq!(col(&table, 0, "Woonplaats"), "Schoorl");
        assert_eq!(col(&table, 0, "Notities"), "eerste\ntweede");
        assert_eq!(col(&table, 1, "Mobiel"), "+31612345678");
        assert_eq!(table.rows[1].line, 10);
    }

    #[test]
    fn a_file_ending_inside_a_card_is_refused_with_its_line() {
        let err = read("BEGIN:VCARD\nFN:A\nEND:VCARD\nBEGIN:VCARD\nFN:B\n").unwrap_err();
        assert!(
            matches!(err, ListError::Malformed { line: 4, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn an_organisation_card_has_its_kind_and_no_persons_name() {
        let card = Card {
            uid: "o1".into(),
            kind: CardKind::Organisation,
            name: "Dorpsraad Groet".into(),
            phone: Some("072-5091234".into()),
            url: Some("https://groet.example".into()),
            categories: vec!["Dorpsraad".into()],
            ..Card::default()
        };
        let v4 = String::from_utf8(write(std::slice::from_ref(&card), Version::V4)).unwrap();
        assert!(v4.contains("KIND:org\r\n"), "{v4}");
        assert!(!v4.contains("\r\nN:"), "{v4}");
        assert!(
            v4.contains("TEL;TYPE=\"work,voice\":072-5091234\r\n"),
            "{v4}"
        );
        let v3 = String::from_utf8(write(&[card], Version::V3)).unwrap();
        assert!(v3.contains("\r\nN:;;;;\r\n"), "{v3}");
        assert!(v3.contains("URL:https://groet.example\r\n"), "{v3}");
        assert_eq!(col(&read(&v3).unwrap(), 0, "Naam"), "Dorpsraad Groet");
    }

    #[test]
    fn written_cards_read_back() {
        let card = Card {
            uid: "c1".into(),
            name: "Jan de Vries".into(),
            email: Some("jan@example.nl".into()),
            mobile: Some("06-12345678".into()),
            street: Some("Dorpsstraat 1".into()),
            postcode: Some("1861 AB".into()),
            city: Some("Bergen".into()),
            organisation: Some("Dorpsraad Bergen; Noord".into()),
            notes: Some("lang ".repeat(30)),
            ..Card::default()
        };
        for version in [Version::V3, Version::V4] {
            let bytes = write(std::slice::from_ref(&card), version);
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.split("\r\n").all(|l| l.len() <= 75), "{text}");
            let table = read(&text).unwrap();
            assert_eq!(col(&table, 0, "Naam"), "Jan de Vries");
            assert_eq!(col(&table, 0, "Achternaam"), "de Vries");
            assert_eq!(col(&table, 0, "Organisatie"), "Dorpsraad Bergen; Noord");
            assert_eq!(
                col(&table, 0, "Notities"),
                card.notes.clone().unwrap().trim()
            );
        }
    }
}

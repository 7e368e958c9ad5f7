//! Bytes into text: the encodings contact lists arrive in.
//!
//! Dutch Excel saves "CSV (gescheiden door lijstscheidingsteken)" in Windows-1252 and "CSV UTF-8"
//! with a byte order mark; Outlook exports in the system's ANSI code page (Windows-1252 on a
//! Dutch Windows); some programs write UTF-16 ("Unicode text"). The order of the checks: a byte
//! order mark decides; then valid UTF-8 is UTF-8 (Windows-1252 text with diacritics is almost
//! never valid UTF-8); then UTF-16 without a mark, seen from its zero bytes; else Windows-1252,
//! unless the bytes hold what no text in it holds (zero bytes, bytes 1252 leaves undefined).

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// The encoding a text was read in, as the import report names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16,
    Windows1252,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 (met BOM)",
            TextEncoding::Utf16 => "UTF-16",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Why bytes are not text in an encoding a contact list comes in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error(
        "line {line}: the file holds a zero byte: it is not text (a program's own file format?)"
    )]
    Binary { line: usize },
    #[error(
        "line {line}: byte 0x{byte:02X} is not a character in UTF-8 nor in Windows-1252: the \
         encoding is unknown (save the list as \"CSV UTF-8\")"
    )]
    UnknownEncoding { line: usize, byte: u8 },
}

/// The text of the bytes and the encoding it was read in.
pub fn decode(bytes: &[u8]) -> Result<(String, TextEncoding), TextError> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        let kind = if encoding == UTF_8 {
            TextEncoding::Utf8Bom
        } else {
            TextEncoding::Utf16
        };
        let (text, had_errors) = encoding.decode_without_bom_handling(body);
        if had_errors && encoding == UTF_8 {
            // A BOM followed by bytes that are not UTF-8: name the first one.
            let valid = std::str::from_utf8(body).map_err(|e| e.valid_up_to()).err();
            let at = valid.unwrap_or(0);
            return Err(TextError::UnknownEncoding {
                line: line_at(body, at),
                byte: body.get(at).copied().unwrap_or(0),
            });
        }
        return finish(text.into_owned(), kind);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return finish(text.to_owned(), TextEncoding::Utf8);
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return finish(text.into_owned(), TextEncoding::Utf16);
    }
    // Windows-1252: every byte is a character except these five, which no Excel writes.
    if let Some(at) = bytes
        .iter()
        .position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
    {
        return Err(TextError::UnknownEncoding {
            line: line_at(bytes, at),
            byte: bytes[at],
        });
    }
    let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
    finish(text.into_owned(), TextEncoding::Windows1252)
}

fn finish(text: String, kind: TextEncoding) -> Result<(String, TextEncoding), TextError> {
    match text.find('\0') {
        Some(at) => Err(TextError::Binary {
            line: text[..at].matches('\n').count() + 1,
        }),
        None => Ok((text, kind)),
    }
}

/// UTF-16 without a byte order mark: ASCII text in it has a zero in every other byte.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zeros_odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    let zeros_even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    if zeros_odd * 10 >= pairs * 9 && zeros_even == 0 {
        Some(UTF_16LE)
    } else if zeros_even * 10 >= pairs * 9 && zeros_odd == 0 {
        Some(UTF_16BE)
    } else {
        None
    }
}

fn line_at(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_from_dutch_excel() {
        // "Coördinator" as Dutch Excel saves it: ö is one byte, 0xF6.
        let (text, enc) = decode(b"Functie\r\nCo\xF6rdinator\r\n").unwrap();
        assert_eq!(text, "Functie\r\nCoördinator\r\n");
        assert_eq!(enc, TextEncoding::Windows1252);
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(
            decode("\u{FEFF}Ĳsselstein".as_bytes()).unwrap(),
            ("Ĳsselstein".to_owned(), TextEncoding::Utf8Bom)
        );
        assert_eq!(
            decode("Ĳsselstein".as_bytes()).unwrap(),
            ("Ĳsselstein".to_owned(), TextEncoding::Utf8)
        );
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let mut le: Vec<u8> = vec![0xFF, 0xFE];
        for unit in "Naam;E-mail\r\nJoëlle;j@x.nl".encode_utf16() {
            le.extend(unit.to_le_bytes());
        }
        assert_eq!(decode(&le).unwrap().0, "Naam;E-mail\r\nJoëlle;j@x.nl");
        assert_eq!(decode(&le[2..]).unwrap().0, "Naam;E-mail\r\nJoëlle;j@x.nl");
    }

    #[test]
    fn refuses_binary_and_unknown_bytes_with_their_line() {
        assert_eq!(decode(b"a;b\r\nc\x00d"), Err(TextError::Binary { line: 2 }));
        assert_eq!(
            decode(b"a;b\nc\nd\x81"),
            Err(TextError::UnknownEncoding {
                line: 3,
                byte: 0x81
            })
        );
    }
}

"""Checks the contact exports (`wijkwerk export-contacts`) the way other programs read them,
against the contacts as the CLI lists them in JSON: names, e-mail addresses and phone numbers
must survive, and so must diacritics ("Henriëtte", "Wijkcoördinator").

    check_contacts.py csv CONTACTS.csv CONTACTS.json        (Python's csv, as Dutch Excel reads it:
                                                             utf-8-sig, `;`, CRLF)
    check_contacts.py xlsx CONTACTS.xlsx CONTACTS.json      (openpyxl)
    check_contacts.py converted FILE.xlsx CONTACTS.json     (the CSV as LibreOffice read it with
                                                             Dutch settings, saved as XLSX)
    check_contacts.py vcard CONTACTS.vcf CONTACTS.json 3.0  (vobject, from PyPI)
    check_contacts.py board BOARD.csv BOARD.json            (a board list against `organisation
                                                             board`)

Prints one line per check: `ok: ...` or `FAILED: ...`; exits 1 when a check failed.
"""

import csv
import io
import json
import sys

failures = 0

COLUMNS = [
    "Naam", "Voornaam", "Achternaam", "E-mailadres", "Telefoon", "Mobiel", "Straat", "Postcode",
    "Woonplaats", "Organisatie", "Functie", "Andere organisaties", "Notities",
]
ROLE_COLUMNS = [
    "Organisatie", "Functie", "Sinds", "Naam", "Voornaam", "Achternaam", "E-mailadres", "Telefoon",
    "Mobiel", "Straat", "Postcode", "Woonplaats", "Notities",
]
FUNCTIONS = {
    "chair": "Voorzitter", "vice_chair": "Vicevoorzitter", "secretary": "Secretaris",
    "treasurer": "Penningmeester", "board_member": "Bestuurslid",
}


def check(condition, message):
    global failures
    if condition:
        print(f"  ok: {message}")
    else:
        failures += 1
        print(f"  FAILED: {message}")


def reference(path):
    """The contacts from `wijkwerk contact list` JSON: (name, email, phones) each."""
    items = json.load(open(path, encoding="utf-8"))["items"]
    return [
        (c["name"], c.get("email") or "", {p for p in (c.get("phone"), c.get("mobile")) if p})
        for c in items
    ]


def check_rows(name, header, rows, contacts):
    """A table of people (header and rows of text) against the reference contacts."""
    check(header == COLUMNS, f"{name}: the columns the importer knows ({', '.join(header[:4])}, ...)")
    check(len(rows) == len(contacts), f"{name}: a row per contact ({len(rows)} of {len(contacts)})")
    at = {h: i for i, h in enumerate(header)}
    seen = {
        (r[at["Naam"]], r[at["E-mailadres"]], frozenset(p for p in (r[at["Telefoon"]], r[at["Mobiel"]]) if p))
        for r in rows
        if len(r) == len(header)
    }
    lost = [c for c in contacts if (c[0], c[1], frozenset(c[2])) not in seen]
    check(not lost, f"{name}: every name, e-mail address and phone number as stored (lost: {lost[:3]})")
    phones = sum(len(c[2]) for c in contacts)
    check(phones > 0, f"{name}: {phones} phone numbers compared (leading zeros kept)")
    names = [r[at["Naam"]] for r in rows]
    check("Henriëtte Bosman" in names, f"{name}: 'Henriëtte Bosman' with its diaeresis")
    check(
        any("coördinator" in r[at["Functie"]].lower() for r in rows if len(r) == len(header)),
        f"{name}: a 'Wijkcoördinator' function with its diaeresis",
    )


def check_csv(path, contacts_path):
    data = open(path, "rb").read()
    check(data.startswith(b"\xef\xbb\xbf"), "CSV: UTF-8 with a byte order mark (Excel sees UTF-8)")
    check(b"\n" not in data.replace(b"\r\n", b""), "CSV: every line ends in CRLF")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    check_rows("CSV", rows[0], rows[1:], reference(contacts_path))


def sheet_rows(path):
    import openpyxl  # Debian's python3-openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    rows = [
        ["" if v is None else v for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    return book, sheet, rows


def check_xlsx(path, contacts_path):
    book, sheet, rows = sheet_rows(path)
    check(book.sheetnames == ["Contacten"], f"XLSX: one sheet 'Contacten' ({book.sheetnames})")
    check(sheet.freeze_panes == "A2", f"XLSX: the header stays in view ({sheet.freeze_panes})")
    check(all(isinstance(v, str) for row in rows for v in row), "XLSX: every cell is text")
    check_rows("XLSX", rows[0], rows[1:], reference(contacts_path))


def check_converted(path, contacts_path):
    _, _, rows = sheet_rows(path)
    rows = [[str(v) for v in row] for row in rows]
    width = len(COLUMNS)
    rows = [row + [""] * (width - len(row)) for row in rows]
    check_rows("CSV in LibreOffice", rows[0], rows[1:], reference(contacts_path))


def check_vcard(path, contacts_path, version):
    import vobject  # PyPI's vobject, in the script's venv

    data = open(path, "rb").read()
    lines = data.split(b"\r\n")
    check(b"\n" not in data.replace(b"\r\n", b""), f"vCard {version}: every line ends in CRLF")
    check(all(len(line) <= 75 for line in lines), f"vCard {version}: no line longer than 75 octets")
    cards = list(vobject.readComponents(data.decode("utf-8")))
    contacts = reference(contacts_path)
    check(len(cards) == len(contacts), f"vCard {version}: a card per contact ({len(cards)} of {len(contacts)})")
    check(
        all(c.version.value == version for c in cards),
        f"vCard {version}: every card says VERSION:{version}",
    )
    seen = set()
    for card in cards:
        name = card.fn.value
        emails = [e.value for e in card.contents.get("email", [])]
        phones = frozenset(t.value for t in card.contents.get("tel", []))
        seen.add((name, emails[0] if emails else "", phones))
    lost = [c for c in contacts if (c[0], c[1], frozenset(c[2])) not in seen]
    check(not lost, f"vCard {version}: every name, e-mail address and phone number (lost: {lost[:3]})")
    henriette = [c for c in cards if c.fn.value == "Henriëtte Bosman"]
    check(
        henriette and henriette[0].n.value.given == "Henriëtte" and henriette[0].n.value.family == "Bosman",
        "vCard: 'Henriëtte Bosman' as given and family name",
    )
    titles = [c.title.value for c in cards if "title" in c.contents]
    check(any("coördinator" in t.lower() for t in titles), f"vCard {version}: a 'Wijkcoördinator' title")


def function(kind, title):
    """A board position in Dutch, with its title beside it unless the title already says it."""
    word = FUNCTIONS[kind]
    title = (title or "").strip()
    if not title:
        return word
    return title if word.lower() in title.lower() else f"{word} ({title})"


def check_board(path, board_path):
    board = json.load(open(board_path, encoding="utf-8"))
    text = open(path, "rb").read().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    check(rows[0] == ROLE_COLUMNS, f"board: the columns ({', '.join(rows[0][:4])}, ...)")
    at = {h: i for i, h in enumerate(rows[0])}
    got = [(r[at["Naam"]], r[at["Functie"]], r[at["Sinds"]]) for r in rows[1:]]
    want = [
        (r["contact_name"], function(r["kind"], r.get("title")), r["start_date"])
        for r in board["current"]
    ]
    check(got == want, f"board: the current board, chair first, in Dutch ({got[:2]} ...)")


def main():
    kind, *args = sys.argv[1:]
    {
        "csv": check_csv,
        "xlsx": check_xlsx,
        "converted": check_converted,
        "vcard": check_vcard,
        "board": check_board,
    }[kind](*args)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

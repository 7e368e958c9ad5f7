#!/usr/bin/env python3
"""Writes the fuzz targets' seed files into fuzz/corpus/<target>/seed-*: small, realistic contact
lists (Dutch Excel's CSV in Windows-1252, UTF-8 with BOM, Outlook's and Google's CSV, UTF-16 text,
vCard 2.1/3.0/4.0, XLSX/ODS written here with stored zip entries so that the fuzzer's mutations
reach the XML), the core's .ics fixtures and sync requests. Workbooks that LibreOffice writes
(deflated XLSX, ODS and XLS) are added when `soffice` is there. Run from anywhere; the seeds are
committed, this only says how they were made."""

import gzip
import json
import pathlib
import shutil
import subprocess
import tempfile
import zipfile

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"


def seed(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (folder / f"seed-{name}").write_bytes(data)


# Delimited text ------------------------------------------------------------------------------

DUTCH_EXCEL = (
    "Naam;Voornaam;Tussenvoegsel;Achternaam;E-mailadres;Telefoon;Mobiel;Straat;Postcode;"
    "Woonplaats;Organisatie;Functie\r\n"
    "Joëlle de Vries;Joëlle;de;Vries;joelle@example.nl;072-5123456;06-12345678;Dorpsstraat 1;"
    "1861 AB;Bergen;Dorpsraad Bergen;Coördinator\r\n"
    "\"Bakker, P.\";Piet;;Bakker;;0725 123 456;;\"Duinweg 3\r\nachterom\";1871ab;Schoorl;"
    "\"Wijkraad \"\"Noord\"\"\";Voorzitter\r\n"
    ";;;;;;;;;;;\r\n"
    "René Özdemir;René;;Özdemir;rene@example.nl;+31 72 512 34 56;;;;Egmond aan Zee;;Penningmeester\r\n"
)
OUTLOOK = (
    '"First Name","Middle Name","Last Name","Title","Company","Job Title","Business Street",'
    '"Business City","Business Postal Code","Business Phone","Mobile Phone","E-mail Address",'
    '"Notes"\r\n'
    '"Anna","van der","Berg","","Stichting Dorpshuis","Secretaris","Kerkweg 2","Bergen",'
    '"1861 KL","072-5812345","06-87654321","anna@example.nl","regel een\r\nregel twee"\r\n'
)
GOOGLE = (
    "Name,Given Name,Additional Name,Family Name,Organization 1 - Name,Organization 1 - Title,"
    "E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,"
    "Phone 2 - Value,Address 1 - Street,Address 1 - City,Address 1 - Postal Code\n"
    "Kees Jansen,Kees,,Jansen,Vereniging Schoorl,Lid,* Work,kees@example.nl,Mobile,"
    "+31 6 12345678,Work,072 509 1234,Laan 5,Schoorl,1871 CD\n"
)

seed("lists_delimited", "dutch-excel-1252.csv", DUTCH_EXCEL.encode("cp1252"))
seed("lists_delimited", "utf8-bom.csv", "\ufeff" + DUTCH_EXCEL.replace("Vries;", "Vrĳs;"))
seed("lists_delimited", "outlook.csv", OUTLOOK.encode("cp1252"))
seed("lists_delimited", "google.csv", GOOGLE)
seed("lists_delimited", "sep-hint.csv", "sep=,\r\nNaam,Plaats\r\n\"Vries; J. de\",Bergen\r\n")
seed(
    "lists_delimited",
    "utf16le-tabs.txt",
    "\ufeffNaam\tE-mail\tTelefoon\r\nJoëlle\tj@example.nl\t06-12345678\r\n".encode("utf-16-le"),
)
seed(
    "lists_delimited",
    "utf16be-nobom.txt",
    "Naam\tPlaats\r\nPiet\tGroet\r\n".encode("utf-16-be"),
)
seed("lists_delimited", "one-column.csv", "Naam\nJan de Vries\nPiet\n")

# vCards --------------------------------------------------------------------------------------

VCARD_21 = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:de Vries;Jo=C3=ABlle\r\n"
    "FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Jo=EBlle de Vries\r\n"
    "ORG;ENCODING=QUOTED-PRINTABLE:Dorpsraad Bergen =\r\nNoord;Bestuur\r\n"
    "TEL;CELL;VOICE:06-12345678\r\nTEL;HOME:072-5123456\r\nTEL;WORK;FAX:072-5000000\r\n"
    "ADR;HOME;ENCODING=QUOTED-PRINTABLE:;;Dorpsstraat 1;Bergen;;1861 AB;Nederland\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:regel een=0D=0A=\r\nregel twee=\r\n\r\n"
    "PHOTO;JPEG;ENCODING=BASE64:\r\n/9j/4AAQSkZJRgABAQ\r\nAAAQABAAD\r\n\r\n"
    "item1.EMAIL;INTERNET;PREF:joelle@example.nl\r\nX-MS-OL-DEFAULT-POSTAL-ADDRESS:1\r\n"
    "END:VCARD\r\n"
)
VCARD_30 = (
    "BEGIN:VCARD\nVERSION:3.0\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\nFN:Piet Bakker\n"
    "N:Bakker;Piet;;;\nORG:Dorpsraad Schoorl\\, afd. Noord;Bestuur\nTITLE:Voorzitter\n"
    "item1.EMAIL;type=INTERNET;type=pref:piet@example.nl\nitem1.X-ABLabel:_$!<Other>!$_\n"
    "TEL;type=CELL;type=VOICE;type=pref:+31 6 12345678\n"
    "ADR;TYPE=home:;;Duinweg 3;Schoorl;;1871 AB;Nederland\n"
    "NOTE:eerste\\nt\n weede\nEND:VCARD\n"
)
VCARD_40 = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:individual\r\nUID:urn:uuid:0190d6a0-0000-7000-8000-0000000000"
    "01\r\nFN:Anna van der Berg\r\nN:van der Berg;Anna;;;\r\n"
    'TEL;TYPE="cell,voice";VALUE=uri;PREF=1:tel:+31612345678\r\n'
    "TEL;TYPE=home;VALUE=uri:tel:+31725123456\r\nEMAIL;PREF=1:anna@example.nl\r\n"
    "ROLE:Secretaris\r\nCATEGORIES:Dorpsraad Bergen,Wijkschouw\r\nEND:VCARD\r\n"
)
seed("lists_vcard", "v21-quoted-printable.vcf", VCARD_21)
seed("lists_vcard", "v21-outlook-1252.vcf", VCARD_21.replace("=C3=AB", "=EB").encode("cp1252"))
seed("lists_vcard", "v30-apple.vcf", VCARD_30)
seed("lists_vcard", "v40.vcf", VCARD_40)
seed("lists_vcard", "two-cards.vcf", VCARD_30 + VCARD_40)

# Workbooks -----------------------------------------------------------------------------------

def stored_zip(parts):
    out = tempfile.SpooledTemporaryFile()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, text in parts:
            z.writestr(name, text)
    out.seek(0)
    return out.read()


XLSX = stored_zip(
    [
        (
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>",
        ),
        (
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        ),
        (
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Contacten" sheetId="1" r:id="rId1"/></sheets></workbook>',
        ),
        (
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        ),
        (
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">'
            "<si><t>Naam</t></si><si><t>Telefoon</t></si><si><t>Joëlle de Vries</t></si><si><t>Lid sinds</t></si></sst>",
        ),
        (
            "xl/worksheets/sheet1.xml",
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<dimension ref="A1:C2"/><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>3</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>612345678</v></c><c r="C2" t="inlineStr"><is><t>2019-03-01</t></is></c></row>'
            "</sheetData></worksheet>",
        ),
    ]
)
ODS = stored_zip(
    [
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        (
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
        ),
        (
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            "<office:body><office:spreadsheet>"
            '<table:table table:name="Blad1">'
            "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>Naam</text:p></table:table-cell>"
            "<table:table-cell office:value-type=\"string\"><text:p>Lid sinds</text:p></table:table-cell>"
            "<table:table-cell office:value-type=\"string\"><text:p>Actief</text:p></table:table-cell></table:table-row>"
            '<table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="string"><text:p>Piet Bakker</text:p></table:table-cell>'
            '<table:table-cell office:value-type="date" office:date-value="2019-03-01"><text:p>01-03-19</text:p></table:table-cell>'
            '<table:table-cell office:value-type="boolean" office:boolean-value="true" table:number-columns-repeated="2"><text:p>WAAR</text:p></table:table-cell></table:table-row>'
            "</table:table></office:spreadsheet></office:body></office:document-content>",
        ),
    ]
)
seed("lists_workbook", "stored.xlsx", XLSX)
seed("lists_workbook", "stored.ods", ODS)

if shutil.which("soffice"):
    with tempfile.TemporaryDirectory() as work:
        csv = pathlib.Path(work) / "contacten.csv"
        csv.write_bytes(DUTCH_EXCEL.encode("utf-8"))
        for ext, filt in [("xlsx", "xlsx"), ("ods", "ods"), ("xls", "xls:MS Excel 97")]:
            subprocess.run(
                ["soffice", "--headless", f"-env:UserInstallation=file://{work}/profile",
                 "--infilter=CSV:59,34,76,1", "--convert-to", filt, "--outdir", work, str(csv)],
                check=True, capture_output=True,
            )
            seed("lists_workbook", f"libreoffice.{ext}", (pathlib.Path(work) / f"contacten.{ext}").read_bytes())

# The whole read: one of each kind.
for target in ["lists_delimited", "lists_vcard", "lists_workbook"]:
    for path in sorted((CORPUS / target).glob("seed-*")):
        seed("lists_read", path.name[len("seed-"):], path.read_bytes())

# Calendars: the core's fixtures --------------------------------------------------------------

for path in sorted((ROOT / "crates/core/tests/fixtures/calendar").glob("*.ics")):
    seed("calendar_import", path.name, path.read_bytes())

# Sync requests -------------------------------------------------------------------------------

PUSH = {
    "client_id": "0190d6a0-0000-7000-8000-000000000001",
    "changesets": [
        {
            "client_seq": 1,
            "tx_id": "0190d6a0-0001-7000-8000-000000000002",
            "changes": [
                {
                    "entity": "contact",
                    "id": "0190d6a0-0002-7000-8000-000000000003",
                    "fields": {
                        "name": {"v": "Joëlle de Vries", "c": "019ab697e800-000000-00000000deadbeef"},
                        "email": {"v": "joelle@example.nl", "c": "019ab697e800-000000-00000000deadbeef"},
                        "deleted": {"v": False, "c": "019ab697e800-000000-00000000deadbeef"},
                    },
                }
            ],
        },
        {
            "client_seq": 2,
            "tx_id": "0190d6a0-0001-7000-8000-000000000004",
            "changes": [
                {
                    "entity": "meeting",
                    "id": "0190d6a0-0002-7000-8000-000000000005",
                    "fields": {
                        "attendees": {
                            "v": ["0190d6a0-0002-7000-8000-000000000003"],
                            "c": "019ab697e801-000001-00000000deadbeef",
                            "b": "019ab697e800-000000-00000000deadbeef",
                        },
                        "budget_cents": {"v": 123456, "c": "019ab697e801-000001-00000000deadbeef"},
                        "notes": {"v": None, "c": "019ab697e801-000001-00000000deadbeef"},
                    },
                },
                {
                    "entity": "meeting",
                    "id": "0190d6a0-0002-7000-8000-000000000005",
                    "fields": {"notes": {"v": "later", "c": "019ab697e801-000001-00000000deadbeef"}},
                },
            ],
        },
        {"client_seq": 1, "tx_id": "0190d6a0-0001-7000-8000-000000000006", "changes": []},
    ],
    "compression": "zstd-next-year",
}
text = json.dumps(PUSH, ensure_ascii=False, separators=(",", ":")).encode()
seed("server_push", "push.json", text)
seed("server_push", "push.json.gz", gzip.compress(text, mtime=0))
skew = json.loads(json.dumps(PUSH))
skew["changesets"][0]["changes"][0]["fields"]["name"]["c"] = "0fffffffffff-ffffff-ffffffffffffffff"
skew["changesets"][1]["changes"][0]["entity"] = "Meeting!"
seed("server_push", "refused.json", json.dumps(skew))
seed("server_pull", "first", "after=0")
seed("server_pull", "page", "after=17&tx=0190d6a0-0000-7000-8000-000000000001&limit=5000")
seed("server_pull", "odd", "limit=0&after=-1&tx=&x=%20")

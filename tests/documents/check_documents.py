"""Checks the yearly report's XLSX and CSV against the same report as JSON (the figures must be
the same in every format), the way a council clerk's tools read them.

    check_documents.py xlsx REPORT.xlsx REPORT.json   (openpyxl)
    check_documents.py csv REPORT.csv REPORT.json      (Python's csv, as Dutch Excel reads it)
    check_documents.py converted-csv FILE.csv REPORT.json (the key figures sheet, as LibreOffice
                                                         wrote it after converting the XLSX)

Prints one line per check: `ok: ...` or `FAILED: ...`; exits 1 when a check failed.
"""

import csv
import datetime
import io
import json
import sys

failures = 0


def check(condition, message):
    global failures
    if condition:
        print(f"  ok: {message}")
    else:
        failures += 1
        print(f"  FAILED: {message}")


def key_figures(report):
    """The figures the "Kerncijfers" table shows, by their Dutch label, from the JSON."""
    total = report["total"]
    points = total["action_points"]
    money = total["werkkapitaal"]
    return {
        "Kernbezoeken gehouden": total["kernbezoeken_held"],
        "Actiepunten geopend": points["opened"],
        "Actiepunten afgehandeld": points["closed"],
        "Werkkapitaal verdeeld": money["allocated_cents"],
        "Werkkapitaal uitgegeven": money["spent_cents"],
    }


def as_cents(value):
    return round(float(value) * 100)


def check_xlsx(path, report):
    import openpyxl  # Debian's python3-openpyxl

    workbook = openpyxl.load_workbook(path)
    names = workbook.sheetnames
    check(names[0] == "Over dit rapport", f"the first sheet is about the report ({names[0]!r})")
    check("Kerncijfers" in names, f"a sheet per table ({len(names)} sheets: {', '.join(names)})")
    check(all(len(n) <= 31 for n in names), "every sheet name fits Excel's 31 characters")
    about = workbook["Over dit rapport"]
    made = [row[1] for row in about.iter_rows(values_only=True) if row[0] == "Gemaakt op"]
    check(
        made and isinstance(made[0], datetime.datetime),
        f"'Gemaakt op' is a date cell ({made!r})",
    )
    rows = {row[0]: row for row in workbook["Kerncijfers"].iter_rows(values_only=True)}
    for label, expected in key_figures(report).items():
        row = rows.get(label)
        if row is None:
            check(False, f"Kerncijfers has a row {label!r}")
            continue
        value = row[1]
        if label.startswith("Werkkapitaal"):
            check(
                isinstance(value, (int, float)) and as_cents(value) == expected,
                f"{label}: {value!r} euro is the JSON's {expected} cents",
            )
        else:
            check(
                isinstance(value, int) and value == expected,
                f"{label}: {value!r} (a number) is the JSON's {expected}",
            )
    # Dates are dates: in the lists of action points, every date column holds datetimes.
    dated = 0
    for sheet in workbook.worksheets[1:]:
        if not sheet.title.startswith(("Stilstaande", "Afgehandeld zonder")):
            continue
        header = [c.value for c in sheet[1]]
        for col, title in enumerate(header):
            if title in ("Geopend", "Deadline", "Laatst bijgewerkt", "Datum", "Afgehandeld"):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                    if cell.value is not None:
                        dated += 1
                        if not isinstance(cell.value, datetime.datetime):
                            check(False, f"{sheet.title}!{cell.coordinate} is a date, not {cell.value!r}")
                            return
    check(dated > 0, f"date columns hold date cells ({dated} of them)")


def check_csv(path, report, converted=False):
    data = open(path, "rb").read()
    if not converted:
        check(data.startswith(b"\xef\xbb\xbf"), "the CSV starts with a UTF-8 byte order mark")
        check(b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b""), "lines end in CRLF")
    text = data.decode("utf-8-sig")
    delimiter = ";" if not converted else ","
    rows = {row[0]: row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row}
    for label, expected in key_figures(report).items():
        row = rows.get(label)
        if row is None or len(row) < 2:
            check(False, f"the CSV has a row {label!r}")
            continue
        value = row[1]
        if label.startswith("Werkkapitaal"):
            if converted:
                number = as_cents(value)
            else:
                # Dutch Excel: a decimal comma, no thousands separator.
                check("," in value and "." not in value, f"{label} has a decimal comma ({value!r})")
                number = as_cents(value.replace(",", "."))
            check(number == expected, f"{label}: {value} is the JSON's {expected} cents")
        else:
            check(value == str(expected), f"{label}: {value} is the JSON's {expected}")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    kind, path, report_path = sys.argv[1:]
    report = json.load(open(report_path, encoding="utf-8"))
    if kind == "xlsx":
        check_xlsx(path, report)
    elif kind == "csv":
        check_csv(path, report)
    elif kind == "converted-csv":
        check_csv(path, report, converted=True)
    else:
        print(__doc__)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

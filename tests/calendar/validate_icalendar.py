"""Parses each calendar file with Python's `icalendar` (PyPI) and reports any error it records.

Usage: python validate_icalendar.py FILE...   One line per file; exit status 1 if any failed.
"""
import sys

import icalendar


def errors_of(component):
    """Errors icalendar recorded while parsing (it is lenient and keeps them on the component)."""
    found = [(component.name, e) for e in getattr(component, "errors", [])]
    for sub in component.subcomponents:
        found.extend(errors_of(sub))
    return found


def check(path):
    with open(path, "rb") as f:
        data = f.read()
    calendar = icalendar.Calendar.from_ical(data)
    errors = errors_of(calendar)
    if errors:
        raise ValueError(f"errors recorded: {errors}")
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    entries = 0
    for component in calendar.walk():
        if component.name not in ("VEVENT", "VTODO"):
            continue
        uid = str(component.get("UID", ""))
        if not uid:
            raise ValueError(f"{component.name} without UID")
        stamp = component.decoded("DTSTAMP")
        if getattr(stamp, "tzinfo", None) is None or stamp.utcoffset().total_seconds() != 0:
            raise ValueError(f"{uid}: DTSTAMP is not UTC")
        if component.name == "VEVENT":
            start = component.decoded("DTSTART")
            end = component.decoded("DTEND")
            tzid = component["DTSTART"].params.get("TZID")
            if tzid and tzid not in zones:
                raise ValueError(f"{uid}: TZID {tzid} without VTIMEZONE")
            if end < start:
                raise ValueError(f"{uid}: ends before it starts")
        else:
            component.decoded("DUE")
        entries += 1
    # What icalendar writes back must parse again to the same entries.
    again = icalendar.Calendar.from_ical(calendar.to_ical())
    if len([c for c in again.walk() if c.name in ("VEVENT", "VTODO")]) != entries:
        raise ValueError("writing it back lost entries")
    return entries


def main(paths):
    failed = 0
    for path in paths:
        try:
            n = check(path)
            print(f"icalendar ok: {path} ({n} entries)")
        except Exception as error:  # noqa: BLE001 - report every kind of failure per file
            failed += 1
            print(f"icalendar FAILED: {path}: {error}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Structural RFC 5545 checks of calendar exports, without any library.

Usage: python check_structure.py FILE...            one line per file; exit 1 if any failed
       python check_structure.py --same A B         the same events (UID, DTSTART) in A and B

Checks: CRLF line ends only; at most 75 octets a line; a VTIMEZONE for every TZID used; DTSTAMP
in UTC; UIDs unique (per RECURRENCE-ID).
"""
import sys


def unfold(data):
    text = data.decode("utf-8")
    lines = []
    for physical in text.split("\r\n"):
        if not physical:
            continue
        if physical[0] in " \t":
            lines[-1] += physical[1:]
        else:
            lines.append(physical)
    return lines


def check(path):
    with open(path, "rb") as f:
        data = f.read()
    if not data.endswith(b"\r\n"):
        raise ValueError("does not end with CRLF")
    if b"\n" in data.replace(b"\r\n", b"") or b"\r" in data.replace(b"\r\n", b""):
        raise ValueError("a line end that is not CRLF")
    for number, line in enumerate(data.split(b"\r\n"), start=1):
        if len(line) > 75:
            raise ValueError(f"line {number} has {len(line)} octets")
    tzids, zones, seen = set(), set(), set()
    uid, rid = None, ""
    for line in unfold(data):
        head, _, value = line.partition(":")
        name, *params = head.split(";")
        for param in params:
            if param.startswith("TZID="):
                tzids.add(param[5:].strip('"'))
        if name == "TZID":
            zones.add(value)
        elif name == "DTSTAMP" and not (value.endswith("Z") and len(value) == 16):
            raise ValueError(f"DTSTAMP not in UTC: {value}")
        elif name == "UID":
            uid = value
        elif name == "RECURRENCE-ID":
            rid = value
        elif line in ("END:VEVENT", "END:VTODO"):
            key = (uid, rid)
            if key in seen:
                raise ValueError(f"UID {uid} appears twice")
            seen.add(key)
            uid, rid = None, ""
    missing = tzids - zones
    if missing:
        raise ValueError(f"TZID without VTIMEZONE: {sorted(missing)}")
    return len(seen)


def events(path):
    """UID -> DTSTART line, per event."""
    with open(path, "rb") as f:
        data = f.read()
    out, uid, start = {}, None, None
    for line in unfold(data):
        if line == "BEGIN:VEVENT":
            uid, start = None, None
        elif line.startswith("UID:"):
            uid = line[4:]
        elif line.startswith("DTSTART"):
            start = line
        elif line == "END:VEVENT":
            out[uid] = start
    return out


def main(args):
    if args[:1] == ["--same"]:
        a, b = events(args[1]), events(args[2])
        if a != b:
            only_a = sorted(set(a.items()) - set(b.items()))[:3]
            only_b = sorted(set(b.items()) - set(a.items()))[:3]
            print(f"structure FAILED: {args[1]} and {args[2]} differ: {only_a} vs {only_b}")
            return 1
        print(f"structure ok: the same {len(a)} events in {args[1]} and {args[2]}")
        return 0
    failed = 0
    for path in args:
        try:
            n = check(path)
            print(f"structure ok: {path} ({n} entries)")
        except Exception as error:  # noqa: BLE001
            failed += 1
            print(f"structure FAILED: {path}: {error}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

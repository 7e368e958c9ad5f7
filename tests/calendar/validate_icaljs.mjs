// Parses each calendar file with ical.js (npm) and reports anything it could not read.
// Usage: node validate_icaljs.mjs FILE...   Prints one line per file; exits 1 if any failed.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const text = readFileSync(file, "utf8");
    const root = new ICAL.Component(ICAL.parse(text));
    if (root.name !== "vcalendar") throw new Error(`root is ${root.name}, not vcalendar`);
    // Every VTIMEZONE is registered so that TZIDs resolve to it, as a calendar program does.
    const zones = new Set();
    for (const vtz of root.getAllSubcomponents("vtimezone")) {
      const tz = new ICAL.Timezone(vtz);
      ICAL.TimezoneService.register(tz, tz.tzid);
      zones.add(tz.tzid);
    }
    let events = 0;
    for (const component of [...root.getAllSubcomponents("vevent"), ...root.getAllSubcomponents("vtodo")]) {
      const uid = component.getFirstPropertyValue("uid");
      if (!uid) throw new Error(`${component.name} without UID`);
      const dtstamp = component.getFirstPropertyValue("dtstamp");
      if (!dtstamp || dtstamp.zone !== ICAL.Timezone.utcTimezone) throw new Error(`${uid}: DTSTAMP not in UTC`);
      if (component.name === "vevent") {
        const event = new ICAL.Event(component);
        const start = event.startDate;
        const end = event.endDate;
        if (!start || !end) throw new Error(`${uid}: no start or end`);
        const tzid = component.getFirstProperty("dtstart").getParameter("tzid");
        if (tzid && !zones.has(tzid)) throw new Error(`${uid}: TZID ${tzid} without VTIMEZONE`);
        if (end.compare(start) < 0) throw new Error(`${uid}: ends before it starts`);
        // Converting to an instant uses the VTIMEZONE's rules.
        if (Number.isNaN(start.toJSDate().getTime())) throw new Error(`${uid}: start is not a time`);
      } else if (!component.getFirstPropertyValue("due")) {
        throw new Error(`${uid}: task without DUE`);
      }
      events += 1;
    }
    console.log(`ical.js ok: ${file} (${events} entries)`);
  } catch (error) {
    failed += 1;
    console.log(`ical.js FAILED: ${file}: ${error.message}`);
  }
}
process.exit(failed ? 1 : 0);

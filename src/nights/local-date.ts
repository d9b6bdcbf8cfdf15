// Local calendar dates of instants in IANA time zones, through Intl (the ICU data Node ships), so
// validation and dating use the same zone database. Dates are `YYYY-MM-DD` strings throughout.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // en-CA formats a date as YYYY-MM-DD; the cache is bounded by the zones in use (a few hundred at most).
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

// IANA names are Area/Location (letters, digits, "_", "-", "+") or a few single words (UTC, GMT,
// EST5EDT); ECMA-402 also accepts offsets such as "+01:00", which are not zones and carry no DST.
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/**
 * `name` when Intl knows it as a zone, else null. Aliases stay as given (`Europe/Kyiv` is not turned
 * into ICU's `Europe/Kiev`); only the letter case is corrected when Intl resolves the name to itself.
 */
export function normalizeTimeZone(name: string): string | null {
  if (name.length > 64 || !IANA_NAME.test(name)) return null;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
  } catch {
    return null;
  }
}

/** The local date (`YYYY-MM-DD`) of `instant` in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  return formatter(timeZone).format(instant);
}

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayNumber(date: string): number {
  const m = DATE.exec(date);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  // Not Date.UTC, which reads the years 0–99 as 1900–1999.
  const day = new Date(0);
  day.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return day.getTime() / DAY_MS;
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return new Date((dayNumber(date) + days) * DAY_MS).toISOString().slice(0, 10);
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/**
 * Bounds on the instants whose local date lies in [from, to) in any zone: local time runs from
 * UTC−12 to UTC+14, so the instants lie in [from 00:00 − 14 h, to 00:00 + 12 h).
 */
export function instantBounds(from: string, to: string): { readonly fromMs: number; readonly toMs: number } {
  return { fromMs: dayNumber(from) * DAY_MS - 14 * 3_600_000, toMs: dayNumber(to) * DAY_MS + 12 * 3_600_000 };
}

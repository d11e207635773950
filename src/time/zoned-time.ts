// Wall-clock times of a named zone (IANA, e.g. Europe/Berlin): local times to UTC microseconds,
// for records written without an offset, and the calendar date of an instant in a zone, for
// per-day counts. A wall time that a DST change skips or repeats is taken with the offset in
// force just before the change.

import { readlinkSync } from 'node:fs';
import type { Micros } from '../record/time.ts';

/**
 * The IANA name of this host's zone, as Intl gives it. Intl's first use costs some 15 ms (its
 * data is loaded), and most servers run in UTC: with TZ unset and /etc/localtime a link to UTC's
 * file (which is where Intl looks, naming any of these zones UTC), the answer is known without it.
 */
export function localZone(): string {
  if (process.env['TZ'] === undefined) {
    try {
      if (/(?:^|\/)zoneinfo\/(?:Etc\/)?(?:UTC|GMT)$/.test(readlinkSync('/etc/localtime'))) return 'UTC';
    } catch {
      // not a link: Intl finds the zone
    }
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    // Throws RangeError for an unknown zone: the caller's usage error.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether `zone` names a time zone this Node.js knows. */
export function knownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The calendar date (YYYY-MM-DD) of an instant, in milliseconds, in `zone`. */
function dateAt(ms: number, zone: string): string {
  const parts = Object.fromEntries(formatter(zone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts['year']}-${parts['month']}-${parts['day']}`;
}

/** Milliseconds of a bucket of zonedDate's cache. */
const bucketMs = 15 * 60_000;
/** By zone, the date of each 15-minute bucket of UTC whose first and last instants share one (null: they do not). */
const bucketDates = new Map<string, Map<number, string | null>>();

/** The date of a bucket whose first and last instants share one, else null. */
function bucketDate(bucket: number, zone: string): string | null {
  const first = dateAt(bucket * bucketMs, zone);
  return first === dateAt(bucket * bucketMs + bucketMs - 1, zone) ? first : null;
}

/** Buckets a local day can span: 25 hours and the quarter hours at its ends. */
const dayBuckets = 102;

/**
 * The calendar date (YYYY-MM-DD) of an instant in `zone`. A report asks it of every session, and
 * Intl takes microseconds an answer: the date is kept for each quarter of an hour whose first and
 * last instants fall on one date (every zone's midnights and offset changes fall on quarter hours,
 * and none changes its offset twice within one), and asked of Intl only elsewhere. A bucket not
 * yet known brings in its whole day: dates only grow with time, so the day's first and last
 * buckets are found by bisection, some fifteen questions to Intl a day instead of two per bucket.
 */
export function zonedDate(at: Micros, zone: string): string {
  const ms = Math.floor(at / 1000);
  if (zone === 'UTC') return utcDate(ms);
  const bucket = Math.floor(ms / bucketMs);
  let dates = bucketDates.get(zone);
  if (dates === undefined) bucketDates.set(zone, (dates = new Map()));
  let date = dates.get(bucket);
  if (date === undefined) {
    date = bucketDate(bucket, zone);
    dates.set(bucket, date);
    if (date !== null) {
      const day = date;
      // The last bucket before `bucket` (and the first after it) whose date is not the day's.
      const edge = (step: 1 | -1): number => {
        let inside = bucket;
        let outside = bucket + step * dayBuckets;
        while (Math.abs(outside - inside) > 1) {
          const mid = inside + Math.trunc((outside - inside) / 2);
          if (bucketDate(mid, zone) === day) inside = mid;
          else outside = mid;
        }
        return inside;
      };
      const last = edge(1);
      for (let b = edge(-1); b <= last; b++) dates.set(b, day);
    }
  }
  return date ?? dateAt(ms, zone);
}

/** The UTC day of the last utcDate() asked, and its date: a report asks in login order. */
let utcDay = Number.NaN;
let utcDayDate = '';

/** The calendar date (YYYY-MM-DD) of an instant, in milliseconds, in UTC. */
function utcDate(ms: number): string {
  const day = Math.floor(ms / 86_400_000);
  if (day !== utcDay) {
    utcDayDate = new Date(day * 86_400_000).toISOString().slice(0, 10);
    utcDay = day;
  }
  return utcDayDate;
}

/** The calendar dates from `first` to `last` (YYYY-MM-DD), inclusive; at most `limit`. */
export function datesBetween(first: string, last: string, limit = 3700): string[] {
  const dates: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); dates.length < limit; t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10);
    dates.push(date);
    if (date >= last) break;
  }
  return dates;
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(utcMs: number, zone: string): number {
  if (zone === 'UTC') return 0;
  const parts = Object.fromEntries(formatter(zone).formatToParts(new Date(utcMs)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']), Number(parts['minute']), Number(parts['second']));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

const wallPattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;

/** `2024-03-31T02:30:00.5` in `zone` → UTC microseconds; null when the text is not such a time. */
export function zonedToMicros(text: string, zone: string): Micros | null {
  const m = wallPattern.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = ''] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(wall);
  if (Number.isNaN(wall) || check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return null;
  const before = offsetAt(wall - 86_400_000 / 2, zone);
  let utc = wall - before;
  const after = offsetAt(utc, zone);
  if (after !== before && offsetAt(wall - after, zone) === after) utc = wall - after;
  return utc * 1000 + Number((frac + '000000').slice(0, 6));
}

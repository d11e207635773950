// Times as the query commands show them, and the time arguments they take.

import { parseTimestamp, type Micros } from '../../record/time.ts';
import { UsageError } from '../usage.ts';

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');
/** `00` … `59`. */
const twoDigits = Array.from({ length: 60 }, (_, n) => two(n));
const digits = (n: number) => twoDigits[n] ?? two(n);

/**
 * The local day shortTime() met last: from `start` to `end` (ms), and its `Sat Nov 21 `. A query
 * lists thousands of logins in time order, most of them on a day met just before: the day is
 * worked out in local time once, and a login's hour and minute from its distance to midnight.
 * `start` is NaN for a day whose offset from UTC changes (a DST day): each time is then worked
 * out on its own.
 */
let day = { start: NaN, end: NaN, text: '' };

function localDay(ms: number): typeof day {
  const d = new Date(ms);
  const midnight = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const start = midnight.getTime();
  const end = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  const even = end - start === 86_400_000 && midnight.getHours() === 0 && midnight.getMinutes() === 0 && midnight.getTimezoneOffset() === new Date(end - 1).getTimezoneOffset();
  return { start: even ? start : NaN, end, text: `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ` };
}

/** `Sat Nov 21 09:00` in local time, as util-linux last shows it. */
export function shortTime(micros: Micros): string {
  const ms = Math.floor(micros / 1000);
  if (!(ms >= day.start && ms < day.end)) {
    day = localDay(ms);
    if (Number.isNaN(day.start)) {
      const d = new Date(ms);
      return `${day.text}${two(d.getHours())}:${two(d.getMinutes())}`;
    }
  }
  const minute = Math.floor((ms - day.start) / 60_000);
  return `${day.text}${twoDigits[Math.floor(minute / 60)] as string}:${twoDigits[minute % 60] as string}`;
}

/** `Sat Nov 21 09:00:00 2026` in local time, as ctime(3) writes it (util-linux last -F). */
export function fullTime(micros: Micros): string {
  const d = new Date(micros / 1000);
  return `${shortTime(micros)}:${two(d.getSeconds())} ${d.getFullYear()}`;
}

export function clockTime(micros: Micros): string {
  const d = new Date(micros / 1000);
  return `${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** ISO 8601 in local time with its offset, e.g. 2026-11-21T09:00:00+01:00. */
export function isoTime(micros: Micros): string {
  const d = new Date(micros / 1000);
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

/** `01:30` or `3+04:10`, as util-linux last writes durations. */
export function duration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const d = Math.floor(minutes / 1440);
  const hm = `${digits(Math.floor((minutes % 1440) / 60))}:${digits(minutes % 60)}`;
  return d > 0 ? `${d}+${hm}` : hm;
}

const units: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hour: 3600, hours: 3600,
  d: 86_400, day: 86_400, days: 86_400,
  w: 604_800, week: 604_800, weeks: 604_800,
};

/**
 * A time argument: RFC 3339 / ISO date-times, a date (local midnight), `HH:MM[:SS]` (today),
 * `@SECONDS` since the epoch, `today`, `yesterday`, `tomorrow`, `now`, and relative `-7d`,
 * `-12h`, `-30m`, `-45s`, `+2h` (also `-5min`, `-3 days`: util-linux's spellings).
 */
export function parseTimeArgument(text: string, now: Micros, option: string): Micros {
  const t = text.trim();
  const midnight = (offsetDays: number) => {
    const d = new Date(now / 1000);
    d.setHours(0, 0, 0, 0);
    d.setDate(d.getDate() + offsetDays);
    return d.getTime() * 1000;
  };
  if (t === 'now') return now;
  if (t === 'today') return midnight(0);
  if (t === 'yesterday') return midnight(-1);
  if (t === 'tomorrow') return midnight(1);
  const relative = /^([+-])(\d+) ?([a-z]+)$/.exec(t);
  const unit = relative ? units[relative[3] as string] : undefined;
  if (relative && unit !== undefined) return now + (relative[1] === '-' ? -1 : 1) * Number(relative[2]) * unit * 1e6;
  const epoch = /^@(\d+)$/.exec(t);
  if (epoch) return Number(epoch[1]) * 1e6;
  const clock = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (clock) {
    const [, h, mi, s = '0'] = clock;
    const d = new Date(now / 1000);
    if (Number(h) < 24 && Number(mi) < 60 && Number(s) < 60) return d.setHours(Number(h), Number(mi), Number(s), 0) * 1000;
  }
  const absolute = parseTimestamp(t);
  if (absolute !== null) return absolute;
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (local) {
    const [, y, mo, d, h = '0', mi = '0', s = '0'] = local;
    const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (!Number.isNaN(date.getTime()) && date.getDate() === Number(d)) return date.getTime() * 1000;
  }
  throw new UsageError(`${option}: cannot read time ${JSON.stringify(text)} (use RFC 3339, YYYY-MM-DD [HH:MM[:SS]], HH:MM, today, yesterday, now, -7d, -12h, -30m, @SECONDS)`);
}

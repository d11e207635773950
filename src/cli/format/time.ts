// Times as the query commands show them, and the time arguments they take.

import { parseTimestamp, type Micros } from '../../record/time.ts';
import { UsageError } from '../usage.ts';

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `Sat Nov 21 09:00` in local time, as util-linux last shows it. */
export function shortTime(micros: Micros): string {
  const d = new Date(micros / 1000);
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}`;
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
  const hm = `${two(Math.floor((minutes % 1440) / 60))}:${two(minutes % 60)}`;
  return d > 0 ? `${d}+${hm}` : hm;
}

/**
 * A time argument: RFC 3339 / ISO date-times, a date (local midnight), `today`, `yesterday`,
 * `now`, and relative `-7d`, `-12h`, `-30m`, `-45s`.
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
  const relative = /^([+-])(\d+)([smhdw])$/.exec(t);
  if (relative) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[relative[3] as 's'];
    return now + (relative[1] === '-' ? -1 : 1) * Number(relative[2]) * unit * 1e6;
  }
  const absolute = parseTimestamp(t);
  if (absolute !== null) return absolute;
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (local) {
    const [, y, mo, d, h = '0', mi = '0', s = '0'] = local;
    const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (!Number.isNaN(date.getTime()) && date.getDate() === Number(d)) return date.getTime() * 1000;
  }
  throw new UsageError(`${option}: cannot read time ${JSON.stringify(text)} (use RFC 3339, YYYY-MM-DD, today, yesterday, now, -7d, -12h, -30m)`);
}

// Timestamps of the log: RFC 3339 in UTC with exactly six fractional digits. Times travel as
// integer microseconds since the epoch (exact in a double until the year 2255).

export type Micros = number;

let epochMinusMonotonic: number | undefined;

/**
 * The monotonic clock (libuv's, as process.hrtime) in whole microseconds since node started.
 * process.uptime() reads it natively, where process.hrtime.bigint() is JavaScript that node
 * compiles on first use (a tenth of a millisecond at every login); a double holds its
 * nanoseconds exactly enough for any process's lifetime.
 */
function monotonicMicros(): number {
  return Math.floor(process.uptime() * 1e6);
}

/**
 * Wall-clock now in microseconds. Date.now() has millisecond resolution and the monotonic clock
 * has no epoch, so the two are aligned once per process by waiting for the millisecond to turn
 * over (half a millisecond on average). performance.timeOrigin would give the same precision, but
 * the `performance` global loads perf_hooks: about 2 ms at every login.
 */
export function nowMicros(): Micros {
  if (epochMinusMonotonic === undefined) {
    const start = Date.now();
    let ms = start;
    let mono = 0;
    while (ms === start) {
      mono = monotonicMicros();
      ms = Date.now();
    }
    epochMinusMonotonic = ms * 1000 - mono;
  }
  return epochMinusMonotonic + monotonicMicros();
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** The civil date of a day since the epoch, after Howard Hinnant's civil_from_days. */
function civilDate(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

/** The date of the day formatted last: times come in runs of one day. */
let lastDay = Number.NaN;
let lastDate = '';

/**
 * RFC 3339 UTC with six fractional digits, by arithmetic: several times faster than
 * Date#toISOString, which counts when a million records are imported.
 */
export function formatTimestamp(micros: Micros): string {
  const totalSeconds = Math.floor(micros / 1e6);
  const fraction = micros - totalSeconds * 1e6;
  const days = Math.floor(totalSeconds / 86_400);
  let rest = totalSeconds - days * 86_400;
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const minute = Math.floor(rest / 60);
  const second = rest - minute * 60;
  const frac = fraction >= 100_000 ? `${fraction}` : String(fraction).padStart(6, '0');
  if (days !== lastDay) lastDate = civilDate((lastDay = days));
  return `${lastDate}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}.${frac}Z`;
}

const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/** Days since the epoch of a civil date, after Howard Hinnant's days_from_civil. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The value of `count` decimal digits of `text` from `at`; -1 when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The log's own form, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, by arithmetic (a million of them are parsed
 * for `last` over a whole history); undefined for anything else, which the general parser takes.
 * A time of day past 23:59:59 or a day the month does not have is not a timestamp, as there.
 */
function parseCanonical(text: string): Micros | null | undefined {
  if (text.length !== 27 || text.charCodeAt(26) !== 90 /* Z */ || text.charCodeAt(10) !== 84 /* T */ || text.charCodeAt(19) !== 46) return undefined;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const year = digits(text, 0, 4);
  if (year < 1970) return undefined; // the general parser's rules for early years apply
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const micros = digits(text, 20, 6);
  if (month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || micros < 0) return undefined;
  if (month < 1 || month > 12 || day < 1) return null;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (monthDays[month - 1] as number) + (leap ? 1 : 0)) return null;
  const secondOfDay = hour * 3600 + minute * 60 + second;
  if (secondOfDay >= 86_400) return null;
  return (daysFromCivil(year, month, day) * 86_400 + secondOfDay) * 1e6 + micros;
}

/** Parses an RFC 3339 timestamp to microseconds; null when it is not one. */
export function parseTimestamp(text: string): Micros | null {
  const canonical = parseCanonical(text);
  return canonical !== undefined ? canonical : parseRfc3339(text);
}

/** parseTimestamp without the fast path for the log's own form: any RFC 3339 timestamp. */
export function parseRfc3339(text: string): Micros | null {
  const m = rfc3339.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(base)) return null;
  const check = new Date(base);
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return null;
  let offset = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  const micros = Number((frac + '000000').slice(0, 6));
  return (base - offset) * 1000 + micros;
}

/** Seconds between two instants, rounded to the microsecond. */
export function durationSeconds(from: Micros, to: Micros): number {
  return (to - from) / 1e6;
}

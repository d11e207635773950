// Timestamps of the log: RFC 3339 in UTC with exactly six fractional digits. Times travel as
// integer microseconds since the epoch (exact in a double until the year 2255).

export type Micros = number;

let epochMinusMonotonic: number | undefined;

/**
 * Wall-clock now in microseconds. Date.now() has millisecond resolution and process.hrtime is
 * monotonic, so the two are aligned once per process by waiting for the millisecond to turn over
 * (half a millisecond on average). performance.timeOrigin would give the same precision, but the
 * `performance` global loads perf_hooks: about 2 ms at every login.
 */
export function nowMicros(): Micros {
  if (epochMinusMonotonic === undefined) {
    const start = Date.now();
    let ms = start;
    let mono = 0n;
    while (ms === start) {
      mono = process.hrtime.bigint();
      ms = Date.now();
    }
    epochMinusMonotonic = ms * 1000 - Number(mono / 1000n);
  }
  return epochMinusMonotonic + Number(process.hrtime.bigint() / 1000n);
}

export function formatTimestamp(micros: Micros): string {
  const ms = Math.floor(micros / 1000);
  const frac = String(micros - ms * 1000).padStart(3, '0');
  // toISOString gives YYYY-MM-DDTHH:MM:SS.mmmZ; append the microsecond digits before Z.
  return `${new Date(ms).toISOString().slice(0, -1)}${frac}Z`;
}

const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp to microseconds; null when it is not one. */
export function parseTimestamp(text: string): Micros | null {
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

import { describe, expect, it } from 'vitest';
import { durationSeconds, formatTimestamp, parseRfc3339, parseTimestamp } from './time.ts';

describe('formatTimestamp()', () => {
  it('writes RFC 3339 UTC with six fractional digits', () => {
    expect(formatTimestamp(Date.UTC(2026, 10, 21, 13, 5, 9) * 1000 + 123456)).toBe('2026-11-21T13:05:09.123456Z');
    expect(formatTimestamp(0)).toBe('1970-01-01T00:00:00.000000Z');
    expect(formatTimestamp(Date.UTC(2040, 0, 1) * 1000 + 7)).toBe('2040-01-01T00:00:00.000007Z');
  });
});

describe('formatTimestamp() against Date#toISOString', () => {
  it('agrees on 100,000 instants from 1970 to 2400', () => {
    let x = 12345;
    for (let i = 0; i < 100_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const micros = Math.floor((x / 2 ** 31) * 13_569_465_600e6) + (i % 1_000_000);
      const ms = Math.floor(micros / 1000);
      const expected = `${new Date(ms).toISOString().slice(0, -1)}${String(micros - ms * 1000).padStart(3, '0')}Z`;
      expect(formatTimestamp(micros)).toBe(expected);
    }
  });
});

describe('parseTimestamp()', () => {
  it('reads back what formatTimestamp writes', () => {
    const micros = Date.UTC(2038, 0, 19, 3, 14, 8) * 1000 + 999_999;
    expect(parseTimestamp(formatTimestamp(micros))).toBe(micros);
  });

  it('applies offsets and accepts shorter fractions', () => {
    expect(parseTimestamp('2026-11-21T14:05:09.5+01:00')).toBe(Date.UTC(2026, 10, 21, 13, 5, 9) * 1000 + 500_000);
  });

  it.each(['2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', 'yesterday', '2026-11-21 13:05', ''])(
    'rejects %j',
    (text) => expect(parseTimestamp(text)).toBeNull(),
  );
});

describe('durationSeconds()', () => {
  it('reads the log\'s own form by arithmetic exactly as the general parser does, invalid dates and times included', () => {
    const odd = [
      '2026-02-29T10:00:00.000000Z', '2024-02-29T10:00:00.000000Z', '2100-02-29T00:00:00.000000Z', '2000-02-29T00:00:00.000000Z',
      '2026-04-31T00:00:00.000000Z', '2026-13-01T00:00:00.000000Z', '2026-00-10T00:00:00.000000Z', '2026-01-00T00:00:00.000000Z',
      '2026-01-01T24:00:00.000000Z', '2026-01-01T23:60:00.000000Z', '2026-01-01T23:59:60.000000Z', '2026-01-01T12:59:60.000000Z',
      '2026-01-01T12:99:00.000000Z', '1969-12-31T23:59:59.999999Z', '0026-01-01T00:00:00.000000Z', '1970-01-01T00:00:00.000000Z',
      '9999-12-31T23:59:59.999999Z', '2026-1a-01T00:00:00.000000Z', '2026-01-01T00:00:00.00000aZ', '2026-01-01t00:00:00.000000Z',
    ];
    for (const text of odd) expect([text, parseTimestamp(text)]).toEqual([text, parseRfc3339(text)]);
    let x = 99;
    const next = (n: number) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return (x >>> 8) % n;
    };
    const pick = (n: number) => String(next(n)).padStart(2, '0');
    for (let i = 0; i < 20_000; i++) {
      const text = `${1970 + next(500)}-${pick(14)}-${pick(33)}T${pick(26)}:${pick(62)}:${pick(62)}.${String(next(1_000_000)).padStart(6, '0')}Z`;
      expect([text, parseTimestamp(text)]).toEqual([text, parseRfc3339(text)]);
    }
  });

  it('keeps microsecond precision', () => {
    expect(durationSeconds(1_000_000, 3_500_001)).toBe(2.500001);
  });
});

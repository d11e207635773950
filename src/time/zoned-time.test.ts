import { describe, expect, it } from 'vitest';
import { datesBetween, knownZone, localZone, zonedDate, zonedToMicros } from './zoned-time.ts';

const utc = (iso: string) => Date.parse(iso) * 1000;

describe('zonedToMicros()', () => {
  it.each([
    ['2024-01-15T10:00:00', 'Europe/Berlin', '2024-01-15T09:00:00Z'],
    ['2024-07-15T10:00:00', 'Europe/Berlin', '2024-07-15T08:00:00Z'],
    ['2024-07-15 10:00', 'America/New_York', '2024-07-15T14:00:00Z'],
    ['2024-07-15T10:00:00', 'UTC', '2024-07-15T10:00:00Z'],
    // 02:30 does not exist on 2024-03-31 in Berlin: taken with the winter offset.
    ['2024-03-31T02:30:00', 'Europe/Berlin', '2024-03-31T01:30:00Z'],
    // 02:30 happens twice on 2024-10-27: the first (summer) one.
    ['2024-10-27T02:30:00', 'Europe/Berlin', '2024-10-27T00:30:00Z'],
  ])('%s in %s is %s', (wall, zone, expected) => {
    expect(zonedToMicros(wall, zone)).toBe(utc(expected));
  });

  it('keeps microseconds and rejects what is not a wall time', () => {
    expect(zonedToMicros('2024-01-15T10:00:00.123456', 'UTC')).toBe(utc('2024-01-15T10:00:00Z') + 123456);
    expect(zonedToMicros('2024-01-15T10:00:00Z', 'UTC')).toBeNull();
    expect(zonedToMicros('2024-02-30T10:00:00', 'UTC')).toBeNull();
    expect(knownZone('Europe/Berlin')).toBe(true);
    expect(knownZone('Mars/Olympus')).toBe(false);
  });
});

describe('localZone()', () => {
  it("is Intl's name of this process's zone, with TZ unset and set", () => {
    const before = process.env['TZ'];
    try {
      delete process.env['TZ'];
      expect(localZone()).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
      process.env['TZ'] = 'Europe/Berlin';
      expect(localZone()).toBe('Europe/Berlin');
    } finally {
      if (before === undefined) delete process.env['TZ'];
      else process.env['TZ'] = before;
    }
  });
});

describe('zonedDate() and datesBetween()', () => {
  it('gives the calendar date of an instant in a zone, whatever the process zone', () => {
    const at = Date.UTC(2026, 10, 20, 23, 30) * 1000;
    expect(zonedDate(at, 'UTC')).toBe('2026-11-20');
    expect(zonedDate(at, 'Europe/Berlin')).toBe('2026-11-21');
    expect(zonedDate(at, 'America/New_York')).toBe('2026-11-20');
  });

  it('lists every date once, across a DST change and a month end', () => {
    expect(datesBetween('2026-03-28', '2026-04-01')).toEqual(['2026-03-28', '2026-03-29', '2026-03-30', '2026-03-31', '2026-04-01']);
    expect(datesBetween('2026-11-20', '2026-11-20')).toEqual(['2026-11-20']);
  });
});

describe('zonedDate() over many instants', () => {
  it('is what Intl says of each instant, across offset changes, odd offsets and local mean times', () => {
    const formats = new Map<string, Intl.DateTimeFormat>();
    const byIntl = (ms: number, zone: string) => {
      let format = formats.get(zone);
      if (format === undefined) formats.set(zone, (format = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })));
      const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
      return `${parts['year']}-${parts['month']}-${parts['day']}`;
    };
    for (const zone of ['UTC', 'Europe/Berlin', 'America/St_Johns', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/Sao_Paulo', 'Africa/Monrovia', 'Pacific/Chatham', 'America/Santiago', 'America/Havana', 'Asia/Beirut', 'America/Asuncion']) {
      const wrong: string[] = [];
      const check = (ms: number) => {
        if (zonedDate(ms * 1000, zone) !== byIntl(ms, zone)) wrong.push(`${zone} ${new Date(ms).toISOString()}`);
      };
      // Every 31 minutes 7 seconds through 2026 (some of these zones change their offset at midnight);
      // every 5 hours and 11 seconds through the 1890s (local mean times). Each day is brought in whole
      // by its first instant asked (zonedDate), so every later instant of it checks that day's edges.
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 1_867_000) check(ms);
      for (let ms = Date.UTC(1890, 0, 1); ms < Date.UTC(1900, 0, 1); ms += 18_011_000) check(ms);
      expect(wrong.slice(0, 5)).toEqual([]);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { datesBetween, knownZone, zonedDate, zonedToMicros } from './zoned-time.ts';

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

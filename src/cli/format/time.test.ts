import { describe, expect, it } from 'vitest';
import { duration, fullTime, parseTimeArgument, shortTime } from './time.ts';
import { UsageError } from '../usage.ts';

describe('duration()', () => {
  it('writes HH:MM and D+HH:MM', () => {
    expect(duration(59)).toBe('00:00');
    expect(duration(5400)).toBe('01:30');
    expect(duration(3 * 86_400 + 4 * 3600 + 10 * 60)).toBe('3+04:10');
  });
});

describe('fullTime()', () => {
  it('writes ctime(3)\'s form in local time, the day padded with a space', () => {
    const t = new Date(2024, 4, 1, 8, 0, 5).getTime() * 1000;
    expect(fullTime(t)).toBe('Wed May  1 08:00:05 2024');
  });
});

describe('parseTimeArgument()', () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 0) * 1000;
  it.each([
    ['now', now],
    ['-7d', now - 7 * 86_400e6],
    ['-12h', now - 12 * 3600e6],
    ['-30m', now - 30 * 60e6],
    ['2026-11-20T08:00:00Z', Date.UTC(2026, 10, 20, 8) * 1000],
    ['2026-11-20T09:00:00+01:00', Date.UTC(2026, 10, 20, 8) * 1000],
    ['-5min', now - 5 * 60e6],
    ['-3 days', now - 3 * 86_400e6],
    ['+2h', now + 2 * 3600e6],
    ['@1795000000', 1_795_000_000e6],
  ])('%s', (text, expected) => expect(parseTimeArgument(text, now, '--since')).toBe(expected));

  it('reads dates, today and yesterday in local time', () => {
    const today = new Date(now / 1000);
    today.setHours(0, 0, 0, 0);
    expect(parseTimeArgument('today', now, '--since')).toBe(today.getTime() * 1000);
    expect(parseTimeArgument('yesterday', now, '--since')).toBe(today.getTime() * 1000 - 86_400e6);
    expect(parseTimeArgument('2026-11-20', now, '--since')).toBe(new Date(2026, 10, 20).getTime() * 1000);
    expect(parseTimeArgument('2026-11-20 08:30:15', now, '--since')).toBe(new Date(2026, 10, 20, 8, 30, 15).getTime() * 1000);
  });

  it('reads HH:MM and HH:MM:SS as that time today, as util-linux last -p 10:00 does', () => {
    const ten = new Date(now / 1000);
    ten.setHours(10, 0, 0, 0);
    expect(parseTimeArgument('10:00', now, '-p')).toBe(ten.getTime() * 1000);
    ten.setHours(23, 59, 30, 0);
    expect(parseTimeArgument('23:59:30', now, '-p')).toBe(ten.getTime() * 1000);
  });

  it.each(['bogus', '2026-02-30', '-7y', '', '25:00', '10:60', '-5fortnights'])('rejects %j naming the option', (text) => {
    expect(() => parseTimeArgument(text, now, '--until')).toThrow(UsageError);
    expect(() => parseTimeArgument(text, now, '--until')).toThrow(/^--until: cannot read time/);
  });
});

describe('shortTime()', () => {
  // What util-linux last shows, worked out for each time on its own.
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const expected = (ms: number) => {
    const d = new Date(ms);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}`;
  };

  it('writes each of a run of times in order, and out of order, as worked out on its own', () => {
    const start = Date.UTC(2025, 11, 30, 22, 0);
    const times = Array.from({ length: 400 }, (_, i) => start + i * 997_013);
    for (const ms of [...times, ...times.reverse()]) expect(shortTime(ms * 1000 + 999)).toBe(expected(ms));
  });

  it.each(['Europe/Berlin', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/St_Johns'])('does so across changes of offset in %s', (zone) => {
    // node takes a new TZ at once; the first time below is on a day not met before in any zone.
    const saved = process.env['TZ'];
    process.env['TZ'] = zone;
    try {
      let wrong = 0;
      let n = 0;
      for (let ms = Date.UTC(2025, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 7 * 60_000 + 13_000, n++) if (shortTime(ms * 1000) !== expected(ms)) wrong++;
      expect(n).toBeGreaterThan(100_000);
      expect(wrong).toBe(0);
    } finally {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    }
  });
});

import { describe, expect, it } from 'vitest';
import { parseLastArgs } from './last.ts';
import { parseSessionsArgs } from './sessions.ts';

const now = Date.UTC(2026, 10, 21, 12) * 1000;

describe('parseSessionsArgs()', () => {
  it.each([
    [[], { json: false, byHost: false, user: null, host: null, includeGone: false, inputs: [], wide: false }],
    [['--json', '--user', 'alice', '--host', 'web1'], { json: true, user: 'alice', host: 'web1' }],
    [['--by-host', '--include-gone', '-w'], { byHost: true, includeGone: true, wide: true }],
    [['--input', 'a.jsonl', '--input', '-'], { inputs: ['a.jsonl', '-'] }],
  ] as const)('%j', (args, expected) => {
    expect(parseSessionsArgs([...args])).toMatchObject(expected);
  });

  it('returns help and rejects unknown options and positionals', () => {
    expect(parseSessionsArgs(['-h'])).toBe('help');
    expect(() => parseSessionsArgs(['--bogus'])).toThrow(/Unknown option/);
    expect(() => parseSessionsArgs(['alice'])).toThrow();
  });
});

describe('parseLastArgs()', () => {
  it.each([
    [[], { json: false, limit: null, since: null, until: null, system: false, timeFormat: 'short' }],
    [['-n', '5', '--system', '--time-format', 'iso'], { limit: 5, system: true, timeFormat: 'iso' }],
    [['--since=-1h', '--until', 'now'], { since: now - 3600e6, until: now }],
    [['--json', '--user', 'bob', '--input', 'x'], { json: true, user: 'bob', inputs: ['x'] }],
  ] as const)('%j', (args, expected) => {
    expect(parseLastArgs([...args], now)).toMatchObject(expected);
  });

  it.each([
    [['-n', 'ten'], /-n: expected a number/],
    [['--time-format', 'unix'], /--time-format: expected short or iso/],
    [['--since', 'soon'], /--since: cannot read time/],
  ])('rejects %j', (args, message) => {
    expect(() => parseLastArgs(args, now)).toThrow(message);
  });
});

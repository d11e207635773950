import { describe, expect, it } from 'vitest';
import { parseFailedArgs } from './failed.ts';
import { parseFollowArgs } from './follow.ts';
import { parseImportArgs } from './import.ts';
import { parseLastArgs } from './last.ts';
import { parseReportArgs } from './report.ts';
import { parseRotateArgs } from './rotate.ts';
import { parseSessionsArgs } from './sessions.ts';
import { parseWatchArgs } from './watch.ts';

const now = Date.UTC(2026, 10, 21, 12) * 1000;

describe('parseSessionsArgs()', () => {
  it.each([
    [[], { json: false, byHost: false, user: null, host: null, includeGone: false, all: false, inputs: [], wide: false }],
    [['--all'], { all: true }],
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
    [[], { json: false, limit: null, since: null, until: null, system: false, timeFormat: 'short', all: false }],
    [['-n', '5', '--system', '--time-format', 'iso'], { limit: 5, system: true, timeFormat: 'iso' }],
    [['--since=-1h', '--until', 'now'], { since: now - 3600e6, until: now }],
    [['--json', '--user', 'bob', '--input', 'x'], { json: true, user: 'bob', inputs: ['x'] }],
    [['--all'], { all: true }],
    [['-a'], { all: false, hostColumn: 'last' }],
  ] as const)('%j', (args, expected) => {
    expect(parseLastArgs([...args], now)).toMatchObject(expected);
  });

  it.each([
    [['-n', 'ten'], /-n: expected a number/],
    [['--time-format', 'unix'], /--time-format: expected notime, short, full or iso/],
    [['--since', 'soon'], /--since: cannot read time/],
    [['-F', '--time-format', 'iso'], /-F and --time-format do not go together/],
    [['-a', '-R'], /-a and -R do not go together/],
    [['-d'], /Unknown option '-d'/],
  ])('rejects %j', (args, message) => {
    expect(() => parseLastArgs(args, now)).toThrow(message);
  });

  const midnight = (days: number) => {
    const d = new Date(now / 1000);
    d.setHours(0, 0, 0, 0);
    d.setDate(d.getDate() + days);
    return d.getTime() * 1000;
  };
  const tenToday = (() => {
    const d = new Date(now / 1000);
    d.setHours(10, 0, 0, 0);
    return d.getTime() * 1000;
  })();

  it.each([
    [['alice'], { names: ['alice'], user: null }],
    [['reboot'], { names: ['reboot'] }],
    [['pts/3', 'bob'], { names: ['pts/3', 'bob'] }],
    [['-5'], { limit: 5 }],
    [['-12', 'alice'], { limit: 12, names: ['alice'] }],
    [['-n', '3'], { limit: 3 }],
    [['-F'], { timeFormat: 'full' }],
    [['--time-format', 'notime'], { timeFormat: 'notime' }],
    [['-i'], { ip: true }],
    [['-x'], { system: true }],
    [['-s', 'yesterday', '-t', 'today'], { since: midnight(-1), until: midnight(0) }],
    [['--since', 'yesterday', '--until', 'today'], { since: midnight(-1), until: midnight(0) }],
    [['-p', '10:00'], { present: tenToday }],
    [['--present', '10:00'], { present: tenToday }],
    [['-a'], { hostColumn: 'last' }],
    [['-R'], { hostColumn: 'none' }],
    [['-w'], { wide: true }],
    [['-f', '/var/log/wtmp'], { inputs: ['/var/log/wtmp'] }],
    [['-f', 'a', '--input', 'b', '-f', '-'], { inputs: ['b', 'a', '-'] }],
    [['-Fixw', '-n', '2', 'root'], { timeFormat: 'full', ip: true, system: true, wide: true, limit: 2, names: ['root'] }],
    [['-s', '-2h', '--user', '-5'], { since: now - 7200e6, user: '-5', limit: null }],
    [['--', '-5'], { names: ['-5'], limit: null }],
  ] as const)('reads util-linux last\'s arguments: %j', (args, expected) => {
    expect(parseLastArgs([...args], now)).toMatchObject(expected);
  });
});

describe('parseFollowArgs()', () => {
  it.each([
    [[], { format: 'raw', checkpoint: null, fromStart: false, input: null, once: false }],
    [['--format', 'ecs', '--checkpoint', 'siem', '--from-start'], { format: 'ecs', checkpoint: 'siem', fromStart: true }],
    [['--format=otel', '--input', '/var/log/logsphere', '--once'], { format: 'otel', input: '/var/log/logsphere', once: true }],
  ] as const)('%j', (args, expected) => {
    expect(parseFollowArgs([...args])).toMatchObject(expected);
  });

  it.each([
    [['--format', 'json'], /--format: expected one of raw, ecs, otel/],
    [['--input', '-'], /standard input cannot be followed/],
    [['extra'], /Unexpected argument|positional/],
  ])('rejects %j', (args, message) => {
    expect(() => parseFollowArgs(args)).toThrow(message);
  });
});

describe('parseRotateArgs()', () => {
  it.each([
    [[], { now: false, compress: true, holdFor: null, releaseFor: null }],
    [['--now', '--no-compress'], { now: true, compress: false }],
    [['--hold-for', '4242'], { holdFor: 4242 }],
    [['--release-for', '4242'], { releaseFor: 4242 }],
  ] as const)('%j', (args, expected) => {
    expect(parseRotateArgs([...args])).toMatchObject(expected);
  });

  it.each([
    [['--hold-for', '0'], /--hold-for: not a process id/],
    [['--hold-for', '1', '--release-for', '1'], /separate steps/],
    [['--now', '--hold-for', '1'], /--now does not go with/],
  ])('rejects %j', (args, message) => {
    expect(() => parseRotateArgs(args)).toThrow(message);
  });
});

describe('parseFailedArgs()', () => {
  it.each([
    [[], { json: false, format: null, by: null }],
    [['--json', '--format', 'ecs'], { json: true, format: 'ecs' }],
    [['--by', 'rhost', '-n', '3'], { by: 'rhost', limit: 3 }],
  ] as const)('%j', (args, expected) => {
    expect(parseFailedArgs([...args], now)).toMatchObject(expected);
  });

  it.each([
    [['--format', 'ecs'], /--format goes with --json/],
    [['--json', '--format', 'ecs', '--by', 'user'], /without --by/],
    [['--json', '--format', 'raw'], /expected ecs or otel/],
  ])('rejects %j', (args, message) => {
    expect(() => parseFailedArgs(args, now)).toThrow(message);
  });
});

describe('--all: user switches too, not only logins', () => {
  it('is off by default and on when given, for sessions, last and report', () => {
    expect(parseSessionsArgs([])).toMatchObject({ all: false });
    expect(parseSessionsArgs(['--all'])).toMatchObject({ all: true });
    expect(parseReportArgs([], now)).toMatchObject({ all: false });
    expect(parseReportArgs(['--all'], now)).toMatchObject({ all: true });
    expect(parseLastArgs(['--all', 'alice'], now)).toMatchObject({ all: true, names: ['alice'] });
  });
});

describe('a value that starts with - after an option that takes a value is that value', () => {
  it.each([
    ['last --since -7d', () => parseLastArgs(['--since', '-7d'], now), { since: now - 7 * 86_400e6 }],
    ['last --until -1h', () => parseLastArgs(['--until', '-1h'], now), { until: now - 3600e6 }],
    ['failed --by rhost --since -7d', () => parseFailedArgs(['--by', 'rhost', '--since', '-7d'], now), { by: 'rhost', since: now - 7 * 86_400e6 }],
    ['report --since -7d --until -1d', () => parseReportArgs(['--since', '-7d', '--until', '-1d', '--format', 'html', '--output', 'report.html'], now), { since: now - 7 * 86_400e6, until: now - 86_400e6, output: 'report.html' }],
    ['sessions --user -x', () => parseSessionsArgs(['--user', '-x']), { user: '-x' }],
    ['watch --rules -r.json', () => parseWatchArgs(['--rules', '-r.json']), { rules: '-r.json' }],
    ['follow --checkpoint -c', () => parseFollowArgs(['--checkpoint', '-c']), { checkpoint: '-c' }],
    ['rotate --hold-for -1', () => () => parseRotateArgs(['--hold-for', '-1']), null],
    ['import wtmp --host -h', () => parseImportArgs(['wtmp', 'x', '--host', '-h']), { host: '-h' }],
  ] as const)('%s', (_name, parse, expected) => {
    if (expected === null) expect(parse()).toThrow(/--hold-for: not a process id: "-1"/);
    else expect(parse()).toMatchObject(expected);
  });

  it('is refused by the check of the option when it is not a valid value, as a usage error', () => {
    expect(() => parseLastArgs(['-n', '-5'], now)).toThrow(/-n: expected a number of lines, got "-5"/);
    expect(() => parseLastArgs(['-n', '-0'], now)).toThrow(/-n: expected a number of lines, got "-0"/);
    expect(() => parseFailedArgs(['--since', '-soon'], now)).toThrow(/--since: cannot read time "-soon"/);
  });
});

describe('--since after --until', () => {
  it.each([
    ['last', (a: string[]) => parseLastArgs(a, now)],
    ['failed', (a: string[]) => parseFailedArgs(a, now)],
  ] as const)('is a usage error for %s', (_name, parse) => {
    expect(() => parse(['--since', 'today', '--until', 'yesterday'])).toThrow(/^--until is before --since$/);
    expect(() => parse(['--since', 'yesterday', '--until', 'today'])).not.toThrow();
  });
});

import { UsageError } from './usage.ts';
import { describe, expect, it } from 'vitest';
import { attachDashValues, parseCommandArgs } from './args.ts';

const options = {
  since: { type: 'string' },
  limit: { type: 'string', short: 'n' },
  file: { type: 'string', short: 'f', multiple: true },
  system: { type: 'boolean', short: 'x' },
  json: { type: 'boolean' },
} as const;

describe('attachDashValues()', () => {
  it.each([
    [['--since', '-7d'], ['--since=-7d']],
    [['-n', '-5'], ['-n-5']],
    [['-xn', '-5'], ['-xn-5']],
    [['-f', '-', '--json'], ['-f-', '--json']],
    [['--since', 'today'], ['--since', 'today']],
    [['--since=-7d', '-n5'], ['--since=-7d', '-n5']],
    [['--json', '-x'], ['--json', '-x']],
    [['-nx', '-5'], ['-nx', '-5']],
    [['--', '--since', '-7d'], ['--', '--since', '-7d']],
    [['--bogus', '-x'], ['--bogus', '-x']],
    [['-q', '-x'], ['-q', '-x']],
  ])('%j becomes %j', (args, expected) => {
    expect(attachDashValues(args, options)).toEqual(expected);
  });
});

describe('parseCommandArgs()', () => {
  it('takes the word after an option that needs a value as that value, as getopt does', () => {
    const { values } = parseCommandArgs({ args: ['--since', '-7d', '-n', '-5', '-f', '-x', '--json'], options, strict: true });
    expect(values).toEqual({ since: '-7d', limit: '-5', file: ['-x'], json: true });
  });

  it("keeps parseArgs' errors for what remains wrong", () => {
    expect(() => parseCommandArgs({ args: ['--since'], options, strict: true })).toThrow(/argument missing/);
    expect(() => parseCommandArgs({ args: ['--bogus'], options, strict: true })).toThrow(/Unknown option '--bogus'/);
    expect(() => parseCommandArgs({ args: ['-x', 'alice'], options, strict: true })).toThrow(/Unexpected argument 'alice'/);
  });

  it('says what --db takes when its URL is missing', () => {
    const withDb = { ...options, db: { type: 'string' } } as const;
    expect(() => parseCommandArgs({ args: ['--json', '--db'], options: withDb, strict: true })).toThrow(
      new UsageError('--db needs a URL (--db URL), or --db= for LOGSPHERE_DATABASE_URL from /etc/logsphere/secrets.env'),
    );
    expect(parseCommandArgs({ args: ['--db='], options: withDb, strict: true }).values).toEqual({ db: '' });
  });
});

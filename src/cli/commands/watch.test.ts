import { describe, expect, it } from 'vitest';
import { parseWatchArgs } from './watch.ts';

describe('parseWatchArgs()', () => {
  it.each([
    [[], { rules: null, input: null, checkpoint: null, fromStart: false, once: false, check: false }],
    [['--input', '/srv/log', '--once'], { rules: null, input: '/srv/log', checkpoint: null, fromStart: false, once: true, check: false }],
    [['--checkpoint', 'cron', '--once', '--from-start'], { rules: null, input: null, checkpoint: 'cron', fromStart: true, once: true, check: false }],
    [['--rules', 'r.json', '--check'], { rules: 'r.json', input: null, checkpoint: null, fromStart: false, once: false, check: true }],
  ])('maps %j', (args, options) => {
    expect(parseWatchArgs(args)).toEqual(options);
  });

  it('refuses standard input, which cannot be followed', () => {
    expect(() => parseWatchArgs(['--input', '-'])).toThrow('--input: watch follows a file; standard input cannot be followed');
  });
});

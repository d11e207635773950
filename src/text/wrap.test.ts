import { describe, expect, it } from 'vitest';
import { wrapUsage } from './wrap.ts';

const usage = `Usage: logsphere thing [OPTIONS]

A paragraph that goes on for quite a while, longer than the width it is to fit in, with words of
several sizes, and a second line of it.

Options:
      --input PATH        read PATH (file, directory, or - for stdin); repeatable, and this description is long
                          enough to need a third line when the width is small
  -w, --wide              do not cut long fields
  sessions                who is logged in now
`;

const wordsOf = (text: string) => text.split(/\s+/).filter((w) => w !== '');

describe('wrapUsage()', () => {
  it.each([80, 60, 40])('fits every line in %i columns, the words and their order kept', (width) => {
    const fitted = wrapUsage(usage, width);
    for (const line of fitted.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(width);
    expect(wordsOf(fitted)).toEqual(wordsOf(usage));
  });

  it('keeps each description in its column and each option on its own line', () => {
    const fitted = wrapUsage(usage, 60).split('\n');
    const input = fitted.findIndex((l) => l.startsWith('      --input PATH'));
    expect(fitted[input]?.indexOf('read')).toBe(26);
    expect(fitted[input + 1]?.startsWith(' '.repeat(26))).toBe(true);
    expect(fitted.find((l) => l.startsWith('  -w, --wide'))).toBe('  -w, --wide              do not cut long fields');
    expect(fitted.find((l) => l.startsWith('  sessions'))).toBe('  sessions                who is logged in now');
    expect(fitted.slice(0, 3)).toEqual(['Usage: logsphere thing [OPTIONS]', '', 'A paragraph that goes on for quite a while, longer than the']);
  });
});

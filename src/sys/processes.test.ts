import { describe, expect, it } from 'vitest';
import { parseStartTicks, processStartTicks } from './processes.ts';

describe('parseStartTicks()', () => {
  it('counts fields after the last parenthesis, whatever the command name holds', () => {
    const tail = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21';
    expect(parseStartTicks(`1234 (sshd) ${tail}`)).toBe(987654);
    expect(parseStartTicks(`1234 (evil) (name x) ${tail}`)).toBe(987654);
  });

  it('returns null for garbage', () => {
    expect(parseStartTicks('no parenthesis')).toBeNull();
    expect(parseStartTicks('1 (x) S 1')).toBeNull();
  });

  it('reads this process from /proc', () => {
    expect(processStartTicks(process.pid)).toBeGreaterThan(0);
    expect(processStartTicks(2 ** 30)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { silentProgress, terminalProgress } from './progress.ts';

describe('terminalProgress()', () => {
  it('rewrites one line at most every 200 ms, and erases it at the end', () => {
    let now = 1000;
    const written: string[] = [];
    const p = terminalProgress((t) => written.push(t), 'import', 'bytes', () => now);
    p.report(0, 8 * 2 ** 20, 'wtmp');
    now += 100;
    p.report(2 ** 20, 8 * 2 ** 20);
    now += 150;
    p.report(4 * 2 ** 20, 8 * 2 ** 20);
    p.end();
    expect(written).toEqual(['\r\x1b[Kimport: 0% (0.0 MiB of 8.0 MiB) wtmp', '\r\x1b[Kimport: 50% (4.0 MiB of 8.0 MiB) wtmp', '\r\x1b[K']);
  });

  it('counts, never shows more than 100%, leaves out a name that is not plain text, and erases nothing it did not write', () => {
    const written: string[] = [];
    const p = terminalProgress((t) => written.push(t), 'ship', 'count', () => 0);
    p.end();
    p.report(7, 5, 'evil\u001b]0;x\u0007name');
    p.end();
    expect(written).toEqual(['\r\x1b[Kship: 100% (7 of 5)', '\r\x1b[K']);
    silentProgress.report(1, 2, 'x');
    silentProgress.end();
  });
});

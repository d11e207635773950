import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartTicks } from '../sys/processes.ts';
import { appendLines } from './append.ts';
import type { LogTarget } from './log-file.ts';
import { rotateLog } from './rotate-log.ts';
import { beginRotation } from './rotation-gate.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const target = (maxBytes = 0): LogTarget => ({ logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, fsync: false, maxBytes });
const line = (id: string) => ({ order: 1, id, line: `{"id":"${id}"}\n` });

describe('rotation and writers', () => {
  it('a writer waits while a rotation holds the log, then writes to the new file, not the renamed one', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-rotate-`);
    expect((await appendLines(target(), [line('a')])).status).toBe('written');
    const hold = beginRotation(`${dir}/run`);
    expect(hold).not.toBeNull();
    // The writer announces itself, sees the hold and withdraws (two changes in writers/), then waits.
    const turnedAway = new Promise<void>((resolve) => {
      let changes = 0;
      const w = watch(`${dir}/run/writers`, () => {
        if (++changes === 2) {
          w.close();
          resolve();
        }
      });
    });
    const appending = appendLines(target(), [line('b')]);
    await turnedAway;
    renameSync(`${dir}/log/sessions.jsonl`, `${dir}/log/sessions.jsonl.1`);
    hold?.release();
    expect((await appending).status).toBe('written');
    expect(readFileSync(`${dir}/log/sessions.jsonl.1`, 'utf8')).toBe('{"id":"a"}\n');
    expect(readFileSync(`${dir}/log/sessions.jsonl`, 'utf8')).toBe('{"id":"b"}\n');
  });

  it('a rotation waits for a writer still announced and renames only after it is done', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-rotate-`);
    expect((await appendLines(target(), [line('a')])).status).toBe('written');
    // Another process announced as a writer (alive while the test runs).
    const other = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    try {
      const pid = other.pid as number;
      const start = processStartTicks(pid);
      mkdirSync(`${dir}/run/writers`, { recursive: true });
      writeFileSync(`${dir}/run/writers/${pid}-${start}`, '');
      const busy = await rotateLog(target(), { minBytes: 1, waitMs: 50, now: () => new Date('2026-11-21T10:00:00Z') });
      expect(busy).toEqual({ status: 'busy', by: 'writers', reason: 'writers still appending after 50 ms' });
      expect(readdirSync(`${dir}/log`)).toEqual(['sessions.jsonl']);
      expect(existsSync(`${dir}/run/rotating`)).toBe(false);
      const rotating = rotateLog(target(), { minBytes: 1, waitMs: 10_000, now: () => new Date('2026-11-21T10:00:00Z') });
      rmSync(`${dir}/run/writers/${pid}-${start}`);
      expect(await rotating).toEqual({ status: 'rotated', segment: `${dir}/log/sessions-20261121T100000Z.jsonl`, bytes: 11 });
      // A second rotation in the same second gets a suffix, never the same name.
      await appendLines(target(), [line('b')]);
      const second = await rotateLog(target(), { minBytes: 1, waitMs: 100, now: () => new Date('2026-11-21T10:00:00Z') });
      expect(second).toMatchObject({ status: 'rotated', segment: `${dir}/log/sessions-20261121T100000Z-1.jsonl` });
      expect(readFileSync(`${dir}/log/sessions-20261121T100000Z.jsonl`, 'utf8')).toBe('{"id":"a"}\n');
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('the writer rotates a full log before appending', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-rotate-`);
    const big = { order: 1, id: 'x', line: `${'x'.repeat(3000)}\n` };
    await appendLines(target(4096), [big]);
    await appendLines(target(4096), [big]); // 6000 > 4096: rotated first
    const names = readdirSync(`${dir}/log`).sort();
    expect(names).toHaveLength(2);
    expect(names[1]).toBe('sessions.jsonl');
    expect(readFileSync(`${dir}/log/sessions.jsonl`, 'utf8')).toBe(big.line);
  });
});

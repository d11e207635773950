import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { shutdown, toLine } from '../record/build.ts';
import { appendLines, type AppendProgress, type PendingLine } from './append.ts';
import { RefusedPathError } from './errors.ts';
import type { LogTarget } from './log-file.ts';
import { rejectedDirOf, spooledNames, spoolDirOf, spoolLines } from './spool.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function scratch(): LogTarget {
  dir = mkdtempSync(`${tmpdir()}/ls-append-`);
  return { logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, fsync: false, maxBytes: 0 };
}

// Whole logsphere/1 records: the spool hands back only records (spool.ts).
const origin = { host: 'web1', boot_id: 'b7d1f3c2-0000-4000-8000-000000000001', source: 'systemd' } as const;
const t0 = Date.UTC(2026, 10, 21, 9, 0, 0) * 1000;
function pending(n: number): PendingLine {
  const record = shutdown(origin, t0 + n);
  return { order: t0 + n, id: record.event_id, line: toLine(record) };
}
const spoolName = (p: PendingLine) => `${String(p.order).padStart(17, '0')}-${p.id}.jsonl`;
const text = (lines: readonly PendingLine[]) => lines.map((l) => l.line).join('');
const log = (target: LogTarget) => readFileSync(target.logFile, 'utf8');

/** Sets the log's modification time `seconds` from now: in the past, a crash's leftovers; ahead, "just changed". */
function touch(path: string, seconds: number): void {
  const at = Date.now() / 1000 + seconds;
  utimesSync(path, at, at);
}

describe('appendLines()', () => {
  it('creates the log and writes every line of a call in order, reporting nothing drained', async () => {
    const target = scratch();
    const lines = [pending(1), pending(2), pending(3)];
    const progress: AppendProgress = { claimed: null, written: false };
    expect(await appendLines(target, lines, progress)).toEqual({ status: 'written', drained: 0, rejected: 0 });
    expect(log(target)).toBe(text(lines));
    expect(progress).toEqual({ claimed: null, written: true });
    const more = [pending(4)];
    expect(await appendLines(target, more)).toEqual({ status: 'written', drained: 0, rejected: 0 });
    expect(log(target)).toBe(text([...lines, ...more]));
  });

  it('keeps the lines of each call together when calls run concurrently (one write per call)', async () => {
    const target = scratch();
    const calls = Array.from({ length: 16 }, (_, i) => [pending(i * 10), pending(i * 10 + 1), pending(i * 10 + 2)]);
    const results = await Promise.all(calls.map((lines) => appendLines(target, lines)));
    expect(results.every((r) => r.status === 'written')).toBe(true);
    const written = log(target);
    for (const lines of calls) expect(written).toContain(text(lines));
    expect(written.length).toBe(calls.reduce((n, lines) => n + text(lines).length, 0));
  });

  it('writes spooled records first, oldest first, then its own, and empties the spool', async () => {
    const target = scratch();
    const [older, newer] = [pending(1), pending(2)];
    spoolLines(target.runDir, [newer, older]);
    const own = [pending(3)];
    const progress: AppendProgress = { claimed: null, written: false };
    expect(await appendLines(target, own, progress)).toEqual({ status: 'written', drained: 2, rejected: 0 });
    expect(log(target)).toBe(text([older, newer, ...own]));
    expect(spooledNames(target.runDir)).toEqual([]);
    expect(readdirSync(spoolDirOf(target.runDir))).toEqual([]);
    expect(progress).toEqual({ claimed: null, written: true });
  });

  it('moves spool entries that are not records aside, counts them as rejected and appends only records', async () => {
    const target = scratch();
    const kept = pending(1);
    spoolLines(target.runDir, [kept]);
    writeFileSync(`${spoolDirOf(target.runDir)}/00000000000000002-bad.jsonl`, 'not a record\n');
    writeFileSync(`${spoolDirOf(target.runDir)}/00000000000000003-two.jsonl`, kept.line + kept.line);
    const own = [pending(5)];
    expect(await appendLines(target, own)).toEqual({ status: 'written', drained: 1, rejected: 2 });
    expect(log(target)).toBe(text([kept, ...own]));
    expect(readdirSync(rejectedDirOf(target.runDir)).sort()).toEqual(['00000000000000002-bad.jsonl', '00000000000000003-two.jsonl']);
    expect(spooledNames(target.runDir)).toEqual([]);
  });

  it('ends a torn last line left by a crash before writing, so the record starts its own line', async () => {
    const target = scratch();
    mkdirSync(target.logDir);
    const before = pending(0);
    writeFileSync(target.logFile, `${before.line}{"schema":"logsph`);
    touch(target.logFile, -3600);
    const own = [pending(1)];
    expect((await appendLines(target, own)).status).toBe('written');
    expect(log(target)).toBe(`${before.line}{"schema":"logsph\n${text(own)}`);
  });

  it('does not end a torn line that changed just now, and writes its record again when it was glued to it', async () => {
    const target = scratch();
    mkdirSync(target.logDir);
    writeFileSync(target.logFile, '{"schema":"logsph');
    touch(target.logFile, 3600); // "changed in the last second", whatever the clock does meanwhile
    const own = [pending(1), pending(2)];
    expect(await appendLines(target, own)).toEqual({ status: 'written', drained: 0, rejected: 0 });
    // The glued copy is one malformed line for readers; the second copy stands on its own.
    expect(log(target)).toBe(`{"schema":"logsph${text(own)}${text(own)}`);
  });

  it('writes once when the file changed just now but ends in a newline', async () => {
    const target = scratch();
    mkdirSync(target.logDir);
    const before = pending(0);
    writeFileSync(target.logFile, before.line);
    touch(target.logFile, 3600);
    const own = [pending(1)];
    await appendLines(target, own);
    expect(log(target)).toBe(before.line + text(own));
  });

  it('rotates the log when the lines would take it past maxBytes, then writes to the new file', async () => {
    const target = { ...scratch(), maxBytes: 3 * pending(0).line.length };
    const first = [pending(1), pending(2)];
    await appendLines(target, first);
    // Still within maxBytes: no rotation.
    const third = [pending(3)];
    await appendLines(target, third);
    expect(readdirSync(target.logDir)).toEqual(['sessions.jsonl']);
    const fourth = [pending(4)];
    expect(await appendLines(target, fourth)).toEqual({ status: 'written', drained: 0, rejected: 0 });
    const names = readdirSync(target.logDir).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^sessions-\d{8}T\d{6}Z\.jsonl$/);
    expect(readFileSync(`${target.logDir}/${names[0]}`, 'utf8')).toBe(text([...first, ...third]));
    expect(log(target)).toBe(text(fourth));
  });

  it('writes lines larger than maxBytes to an empty log rather than rotating it', async () => {
    const target = { ...scratch(), maxBytes: 10 };
    const lines = [pending(1)];
    expect((await appendLines(target, lines)).status).toBe('written');
    expect(readdirSync(target.logDir)).toEqual(['sessions.jsonl']);
    expect(log(target)).toBe(text(lines));
  });

  it('spools the lines when the log directory cannot be made (a file where a directory must be)', async () => {
    const target = scratch();
    writeFileSync(`${dir}/not-a-dir`, '');
    const blocked = { ...target, logDir: `${dir}/not-a-dir/log`, logFile: `${dir}/not-a-dir/log/sessions.jsonl` };
    const [older, newer] = [pending(1), pending(2)];
    const progress: AppendProgress = { claimed: null, written: false };
    const result = await appendLines(blocked, [newer, older], progress);
    expect(result.status).toBe('spooled');
    expect(result.status === 'spooled' && (result.error as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(progress).toEqual({ claimed: null, written: false });
    expect(spooledNames(target.runDir)).toEqual([spoolName(older), spoolName(newer)]);
    // The next append that can write takes them first.
    const own = [pending(3)];
    expect(await appendLines(target, own)).toEqual({ status: 'written', drained: 2, rejected: 0 });
    expect(log(target)).toBe(text([older, newer, ...own]));
  });

  it('refuses to write through a symbolic link at the log path and spools the lines instead', async () => {
    const target = scratch();
    mkdirSync(target.logDir);
    writeFileSync(`${dir}/elsewhere`, 'untouched\n');
    symlinkSync(`${dir}/elsewhere`, target.logFile);
    const lines = [pending(1)];
    const result = await appendLines(target, lines);
    expect(result.status).toBe('spooled');
    const error = result.status === 'spooled' ? result.error : null;
    expect(error).toBeInstanceOf(RefusedPathError);
    expect(error?.message).toBe(`Refusing to write through ${target.logFile}: a symbolic link`);
    expect(readFileSync(`${dir}/elsewhere`, 'utf8')).toBe('untouched\n');
    expect(readFileSync(`${spoolDirOf(target.runDir)}/${spooledNames(target.runDir)[0]}`, 'utf8')).toBe(lines[0]?.line);
  });

  it('leaves records already waiting in the spool when the log is refused, and adds its own', async () => {
    const target = scratch();
    const waiting = pending(1);
    spoolLines(target.runDir, [waiting]);
    mkdirSync(target.logDir);
    symlinkSync('/dev/null', target.logFile);
    const own = pending(2);
    const progress: AppendProgress = { claimed: null, written: false };
    expect((await appendLines(target, [own], progress)).status).toBe('spooled');
    expect(progress).toEqual({ claimed: null, written: false });
    expect(spooledNames(target.runDir)).toEqual([spoolName(waiting), spoolName(own)]);
  });
});

import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, truncateSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { compressSegment } from '../store/compress-segment.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { expandInputs, readRecords } from '../input/inputs.ts';
import { reconcile } from '../reconcile/reconcile.ts';
import type { Liveness } from '../reconcile/types.ts';
import { parseTimestamp } from '../record/time.ts';
import * as build from '../record/build.ts';
import type { SessionOpenRecord, LogRecord } from '../record/types.ts';
import { catchUp, keptRecords, unendedSessions, type Checkpoint } from './sessions-checkpoint.ts';
import { decodeSessionsCheckpoint, encodeSessionsCheckpoint } from './sessions-checkpoint-file.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

let clock = Date.UTC(2026, 10, 21, 8) * 1000;
let seed = 42;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};

/** A batch of events on three hosts: opens, closes (some with a null id), boots, shutdowns. */
function batch(open: SessionOpenRecord[], size: number): LogRecord[] {
  const out: LogRecord[] = [];
  for (let i = 0; i < size; i++) {
    clock += 1_000_000;
    const host = `h${random(3)}`;
    const origin = { host, boot_id: `${host}-boot`, source: 'pam' } as const;
    const roll = random(20);
    if (roll < 9 || open.length === 0) {
      const login: build.Login = { user: `u${random(5)}`, uid: 1000, tty: `pts/${i}`, rhost: null, ruser: null, service: 'sshd', pid: 1000 + random(50_000), pid_start: random(10_000) };
      const o = build.sessionOpen(origin, login, clock);
      open.push(o);
      out.push(o);
    } else if (roll < 18) {
      const [o] = open.splice(random(open.length), 1) as [SessionOpenRecord];
      out.push(build.sessionClose({ host: o.host, boot_id: o.boot_id, source: 'pam' }, o, clock, roll === 17 ? null : o));
    } else if (roll === 18) {
      out.push(build.shutdown({ ...origin, source: 'systemd' }, clock));
    } else {
      out.push(build.boot({ host, boot_id: `${host}-boot-${i}`, source: 'systemd' }, clock, '6.1', clock - 1_000_000));
    }
  }
  return out;
}

const text = (records: LogRecord[]) => records.map(build.toLine).join('');
/** What `sessions` needs from a full read: every session that did not end with a logout. */
const current = (records: LogRecord[]) => reconcile(records).sessions.filter((s) => s.end !== 'logout');
const fullRead = () => current(readRecords([dir]).records);
const viaCheckpoint = (c: Checkpoint) => current(keptRecords(c));
/** The checkpoint as the next call has it: saved to its file and loaded. */
const throughFile = (c: Checkpoint) => decodeSessionsCheckpoint('checkpoint', encodeSessionsCheckpoint(c)) as Checkpoint;

describe('the sessions checkpoint', () => {
  it('gives the same answer as a full read after appends, reading only what was appended', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-checkpoint-`);
    const open: SessionOpenRecord[] = [];
    writeFileSync(`${dir}/sessions.jsonl`, text(batch(open, 300)));
    let step = catchUp(null, expandInputs([dir]));
    expect(step.fullRead).toBe(true);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
    for (let round = 0; round < 5; round++) {
      const before = keptRecords(step.checkpoint).length;
      appendFileSync(`${dir}/sessions.jsonl`, text(batch(open, 100)));
      step = catchUp(throughFile(step.checkpoint), expandInputs([dir]));
      expect(step.fullRead).toBe(false);
      expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
      expect(keptRecords(step.checkpoint).length).toBeLessThan(before + 100);
    }
  });

  it('keeps the earlier copy of a record written twice, whichever was appended first, as a full read counts it', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-checkpoint-`);
    const origin = { host: 'h1', boot_id: 'h1-boot', source: 'pam' } as const;
    const login: build.Login = { user: 'ann', uid: 1000, tty: 'pts/1', rhost: null, ruser: null, service: 'sshd', pid: 100, pid_start: 7 };
    const open = build.sessionOpen(origin, login, clock + 10e6);
    // A boot of another boot id after the login, then the same record dated before it: only the earlier counts.
    const boot = build.boot({ host: 'h1', boot_id: 'h1-boot-2', source: 'systemd' }, clock + 20e6, '6.1', clock + 19e6);
    const earlier = { ...boot, ts: build.sessionOpen(origin, login, clock + 5e6).ts };
    writeFileSync(`${dir}/sessions.jsonl`, text([open, boot]));
    let step = catchUp(null, expandInputs([dir]));
    expect(viaCheckpoint(step.checkpoint).map((x) => x.end)).toEqual(['crash']);
    appendFileSync(`${dir}/sessions.jsonl`, text([earlier]));
    step = catchUp(throughFile(step.checkpoint), expandInputs([dir]));
    expect(step.fullRead).toBe(false);
    expect(viaCheckpoint(step.checkpoint).map((x) => [x.user, x.end])).toEqual([['ann', null]]);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
  });

  it('answers from its rows as a full read does, liveness and user switches included, and is left as it was when nothing was appended', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-checkpoint-`);
    const open: SessionOpenRecord[] = [];
    // Some sessions run, some have no process left, of some it cannot be known (another host).
    const alive: Liveness = (s) => (s.pid % 3 === 0 ? null : s.pid % 3 === 1);
    const switches = new Set(['sshd']);
    const unended = () =>
      reconcile(readRecords([dir]).records, alive, { switchServices: [...switches] })
        .sessions.filter((s) => s.end === null || s.end === 'gone')
        .map((s) => ({ ...s, login_at: parseTimestamp(s.login_time) }));
    writeFileSync(`${dir}/sessions.jsonl`, text(batch(open, 300)));
    let step = catchUp(null, expandInputs([dir]));
    for (let round = 0; round < 3; round++) {
      expect(unendedSessions(step.checkpoint, alive, switches)).toEqual(unended());
      appendFileSync(`${dir}/sessions.jsonl`, text(batch(open, 60)));
      step = catchUp(throughFile(step.checkpoint), expandInputs([dir]));
      expect(step.changed).toBe(true);
    }
    expect(unended().some((s) => s.end === 'gone')).toBe(true);
    expect(unended().some((s) => s.end === null)).toBe(true);
    const again = catchUp(step.checkpoint, expandInputs([dir]));
    expect(again.changed).toBe(false);
    expect(again.checkpoint).toEqual(step.checkpoint);
  });

  it('catches up over more open sessions than it prunes at (a log of many hosts), as a full read answers', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-ckpt-`);
    // 12,000 sessions left open, then 12,000 opened and closed: every pruning keeps the open ones.
    const records: LogRecord[] = [];
    for (let i = 0; i < 24_000; i++) {
      clock += 1_000_000;
      const origin = { host: `h${i % 1000}`, boot_id: `h${i % 1000}-boot`, source: 'pam' } as const;
      const open = build.sessionOpen(origin, { user: `u${i % 7}`, uid: 1000, tty: `pts/${i % 64}`, rhost: null, ruser: null, service: 'sshd', pid: 1000 + i, pid_start: i }, clock);
      records.push(open);
      if (i >= 12_000) records.push(build.sessionClose(origin, open, clock + 500_000, open));
    }
    writeFileSync(`${dir}/sessions.jsonl`, text(records));
    const step = catchUp(null, expandInputs([dir]));
    expect(step.checkpoint.opens.count).toBe(12_000);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
  });

  it('waits for the rest of a line still being written', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-checkpoint-`);
    const [first, second] = batch([], 2).map(build.toLine) as [string, string];
    writeFileSync(`${dir}/sessions.jsonl`, first + second.slice(0, 30));
    let step = catchUp(null, expandInputs([dir]));
    expect(step.malformed).toEqual([]);
    appendFileSync(`${dir}/sessions.jsonl`, second.slice(30));
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect(step.fullRead).toBe(false);
    expect(step.malformed).toEqual([]);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
  });

  it('counts a line longer than the maximum once, as malformed, and reads on after it, also once it is compressed', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-checkpoint-`);
    const log = `${dir}/sessions.jsonl`;
    const [first, second, third, fourth] = batch([], 4).map(build.toLine) as [string, string, string, string];
    writeFileSync(log, first + 'x'.repeat(5 << 20)); // 5 MiB of a 9 MiB line so far
    let step = catchUp(null, expandInputs([dir]));
    expect(step.malformed).toEqual([]);
    appendFileSync(log, `${'x'.repeat(4 << 20)}\n${second}`);
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect(step.fullRead).toBe(false);
    expect(step.malformed).toEqual([{ path: log, count: 1 }]);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
    expect(readRecords([dir]).malformed).toEqual([{ path: log, count: 1 }]);
    appendFileSync(log, third);
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect(step.malformed).toEqual([]);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
    // Rotated and compressed: found by its content, nothing of it read again.
    renameSync(log, `${dir}/sessions-20261121T090000Z.jsonl`);
    await compressSegment(`${dir}/sessions-20261121T090000Z.jsonl`);
    writeFileSync(log, fourth);
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect(step.fullRead).toBe(false);
    expect(step.malformed).toEqual([]);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
    expect(readRecords([dir]).malformed).toEqual([{ path: `${dir}/sessions-20261121T090000Z.jsonl.gz`, count: 1 }]);
  });

  it('follows rotation without reading everything again: rename, new file, compression, logrotate\'s shift, retention', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-checkpoint-`);
    const open: SessionOpenRecord[] = [];
    writeFileSync(`${dir}/sessions.jsonl`, text(batch(open, 200)));
    let step = catchUp(null, expandInputs([dir]));
    // Appended, then renamed by the writer's rotation, then a new live file.
    appendFileSync(`${dir}/sessions.jsonl`, text(batch(open, 50)));
    renameSync(`${dir}/sessions.jsonl`, `${dir}/sessions-20261121T090000Z.jsonl`);
    writeFileSync(`${dir}/sessions.jsonl`, text(batch(open, 100)));
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect(step.fullRead).toBe(false);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
    // The segment compressed by logsphere rotate; another rotation that came and went meanwhile.
    await compressSegment(`${dir}/sessions-20261121T090000Z.jsonl`);
    appendFileSync(`${dir}/sessions.jsonl`, text(batch(open, 30)));
    renameSync(`${dir}/sessions.jsonl`, `${dir}/sessions-20261121T100000Z.jsonl`);
    writeFileSync(`${dir}/sessions.jsonl`, text(batch(open, 40)));
    renameSync(`${dir}/sessions.jsonl`, `${dir}/sessions-20261121T110000Z.jsonl`);
    writeFileSync(`${dir}/sessions.jsonl`, text(batch(open, 40)));
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect(step.fullRead).toBe(false);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
    // logrotate in create mode: renamed to .1, later shifted to .2 and compressed.
    appendFileSync(`${dir}/sessions.jsonl`, text(batch(open, 30)));
    renameSync(`${dir}/sessions.jsonl`, `${dir}/sessions.jsonl.1`);
    writeFileSync(`${dir}/sessions.jsonl`, text(batch(open, 30)));
    step = catchUp(step.checkpoint, expandInputs([dir]));
    renameSync(`${dir}/sessions.jsonl.1`, `${dir}/sessions.jsonl.2`);
    writeFileSync(`${dir}/sessions.jsonl.2.gz`, gzipSync(readFileSync(`${dir}/sessions.jsonl.2`)));
    rmSync(`${dir}/sessions.jsonl.2`);
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect(step.fullRead).toBe(false);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
    // Retention removes the oldest segment: its open sessions stay known to the checkpoint.
    const before = viaCheckpoint(step.checkpoint);
    rmSync(`${dir}/sessions-20261121T090000Z.jsonl.gz`);
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect(step.fullRead).toBe(false);
    expect(viaCheckpoint(step.checkpoint)).toEqual(before);
    // A file that is not part of the log's rotation may repeat history: everything is read again.
    writeFileSync(`${dir}/imported.jsonl`, text(batch([], 10)));
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect(step.fullRead).toBe(true);
  });

  it('knows a compressed segment read before by its inode, size and time, without decompressing it again', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-checkpoint-`);
    const open: SessionOpenRecord[] = [];
    const segment = `${dir}/sessions-20261121T090000Z.jsonl.gz`;
    writeFileSync(segment, gzipSync(text(batch(open, 300))));
    const rotatedAt = 1_795_000_000; // whole seconds: set again exactly below
    utimesSync(segment, rotatedAt, rotatedAt);
    writeFileSync(`${dir}/sessions.jsonl`, text(batch(open, 50)));
    let step = catchUp(null, expandInputs([dir]));
    const answer = viaCheckpoint(step.checkpoint);
    // Its bytes made unreadable in place, its size and time kept: a later call does not look.
    const fd = openSync(segment, 'r+');
    writeSync(fd, Buffer.alloc(64, 0x55), 0, 64, 32);
    closeSync(fd);
    utimesSync(segment, rotatedAt, rotatedAt);
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect([step.fullRead, step.damaged, viaCheckpoint(step.checkpoint)]).toEqual([false, [], answer]);
    // Touched: looked at again, and found damaged.
    utimesSync(segment, rotatedAt, rotatedAt + 5);
    step = catchUp(step.checkpoint, expandInputs([dir]));
    expect(step.damaged.length).toBe(1);
  });

  it('reads a damaged compressed segment up to its damage and reports the damage at every call', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-checkpoint-`);
    const open: SessionOpenRecord[] = [];
    const segment = `${dir}/sessions-20261121T090000Z.jsonl.gz`;
    const whole = gzipSync(text(batch(open, 3000)));
    writeFileSync(segment, whole.subarray(0, Math.floor(whole.length / 2)));
    writeFileSync(`${dir}/sessions.jsonl`, text(batch(open, 100)));
    const damage = `Cannot read ${segment}: not a readable gzip file (unexpected end of file)`;
    let step = catchUp(null, expandInputs([dir]));
    expect(step.damaged.map((e) => e.message)).toEqual([damage]);
    expect(step.malformed).toEqual([]);
    expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
    expect(fullRead().length).toBeGreaterThan(0);
    for (let round = 0; round < 2; round++) {
      appendFileSync(`${dir}/sessions.jsonl`, text(batch(open, 50)));
      step = catchUp(step.checkpoint, expandInputs([dir]));
      expect(step.fullRead).toBe(false);
      expect(step.damaged.map((e) => e.message)).toEqual([damage]);
      expect(viaCheckpoint(step.checkpoint)).toEqual(fullRead());
    }
  });

  it('reads everything again after truncation, and after a rewrite in place', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-checkpoint-`);
    const open: SessionOpenRecord[] = [];
    writeFileSync(`${dir}/sessions.jsonl`, text(batch(open, 200)));
    const first = catchUp(null, expandInputs([dir]));
    truncateSync(`${dir}/sessions.jsonl`, 0);
    appendFileSync(`${dir}/sessions.jsonl`, text(batch([], 50)));
    const truncated = catchUp(first.checkpoint, expandInputs([dir]));
    expect(truncated.fullRead).toBe(true);
    expect(viaCheckpoint(truncated.checkpoint)).toEqual(fullRead());
    // Same inode, longer than before, other bytes: copytruncate followed by a burst of logins.
    writeFileSync(`${dir}/sessions.jsonl`, text(batch([], 400)));
    const rewritten = catchUp(truncated.checkpoint, expandInputs([dir]));
    expect(rewritten.fullRead).toBe(true);
    expect(viaCheckpoint(rewritten.checkpoint)).toEqual(fullRead());
  });
});

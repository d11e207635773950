import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { beginRotation, endRotationOf, enterAsWriter, liveWriters, rotationUnderWay, selfIdentity } from './rotation-gate.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid and start time of a process that has ended. */
function deadProcess(): { pid: number; start: number } {
  const r = spawnSync('/bin/sh', ['-c', 'echo $$; cut -d" " -f22 /proc/$$/stat'], { encoding: 'utf8' });
  const [pid, start] = r.stdout.trim().split('\n').map(Number) as [number, number];
  return { pid, start };
}

describe('the rotation gate', () => {
  it('lets a writer in when no rotation is under way, and keeps a rotation from starting unnoticed', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-gate-`);
    const ticket = enterAsWriter(dir);
    expect(ticket).not.toBeNull();
    const me = selfIdentity();
    expect(readdirSync(`${dir}/writers`)).toEqual([`${me.pid}-${me.start}`]);
    // A rotation sees this writer (seen from another process: no exception for itself).
    expect(liveWriters(dir, null)).toBe(1);
    ticket?.leave();
    expect(liveWriters(dir, null)).toBe(0);
  });

  it('turns writers away while a live rotation holds the marker, and lets them in after release', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-gate-`);
    const hold = beginRotation(dir);
    expect(hold).not.toBeNull();
    expect(beginRotation(dir)).toBeNull(); // one rotation at a time
    expect(rotationUnderWay(dir)).toBe(true);
    expect(enterAsWriter(dir)).toBeNull();
    expect(readdirSync(`${dir}/writers`)).toEqual([]); // the turned-away writer withdrew
    hold?.release();
    expect(existsSync(`${dir}/rotating`)).toBe(false);
    expect(enterAsWriter(dir)).not.toBeNull();
  });

  it('ignores and clears a dead rotation\'s marker and dead writers\' announcements', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-gate-`);
    const dead = deadProcess();
    writeFileSync(`${dir}/rotating`, `${dead.pid}-${dead.start}`);
    mkdirSync(`${dir}/writers`);
    writeFileSync(`${dir}/writers/${dead.pid}-${dead.start}`, '');
    expect(rotationUnderWay(dir)).toBe(false);
    expect(existsSync(`${dir}/rotating`)).toBe(false);
    expect(liveWriters(dir, null)).toBe(0);
    expect(readdirSync(`${dir}/writers`)).toEqual([]);
    // A garbled marker counts as dead too.
    writeFileSync(`${dir}/rotating`, '');
    expect(enterAsWriter(dir)).not.toBeNull();
  });

  it('holds for another process (logrotate) and releases only for that one', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-gate-`);
    const parent = { pid: process.ppid, start: Number(spawnSync('/bin/sh', ['-c', `cut -d" " -f22 /proc/${process.ppid}/stat`], { encoding: 'utf8' }).stdout.trim()) };
    expect(beginRotation(dir, parent)).not.toBeNull();
    expect(rotationUnderWay(dir)).toBe(true);
    expect(endRotationOf(dir, selfIdentity())).toBe(false);
    expect(endRotationOf(dir, parent)).toBe(true);
    expect(rotationUnderWay(dir)).toBe(false);
  });
});

import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  auditSessionOf, childrenOf, descendantTerminal, ownAuditSession, parseStartTicks, processChecker, processRuns, processStartTicks, processTree, runningAuditSessions,
  sessionTerminal,
} from './processes.ts';
import { fakeProc } from '../../test/helpers/fake-proc.ts';

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

describe('processChecker()', () => {
  const root = fakeProc([{ pid: 1, ppid: 0, start: 5 }, { pid: 300, ppid: 1, start: 77 }, { pid: 301, ppid: 1, start: 78 }]);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('answers as processRuns() does, before and after it lists /proc', () => {
    const runs = processChecker(root);
    const asked: Array<[number, number]> = [];
    for (let round = 0; round < 4; round++) asked.push([300, 77], [300, 76], [301, 78], [302, 78], [1, 5]);
    expect(asked.map(([pid, start]) => runs(pid, start))).toEqual(asked.map(([pid, start]) => processRuns(pid, start, root)));
    expect(asked.map(([pid, start]) => processRuns(pid, start, root))).toContain(true);
  });

  it('asks each pid by itself where /proc cannot be listed', () => {
    const runs = processChecker(`${root}/1/stat`); // not a directory
    for (let i = 0; i < 12; i++) expect(runs(1, 5)).toBe(false);
  });
});

describe('audit sessions', () => {
  const root = fakeProc([
    { pid: 1, ppid: 0 },
    { pid: 10, ppid: 1 }, // sshd, started outside any login
    { pid: 20, ppid: 10, sid: 7 }, // sshd [priv]: pam_loginuid began audit session 7
    { pid: 30, ppid: 20, sid: 7 }, // its shell
    { pid: 40, ppid: 30, sid: 7 }, // sudo run from that shell: no session of its own
  ]);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('auditSessionOf() reads /proc/PID/sessionid, unset as null', () => {
    expect(auditSessionOf(20, root)).toBe(7);
    expect(auditSessionOf(10, root)).toBeNull();
    expect(auditSessionOf(99, root)).toBeNull();
    expect(auditSessionOf(process.pid) === null || typeof auditSessionOf(process.pid) === 'number').toBe(true);
  });

  it('ownAuditSession() is the id the PAM process began, not one it inherited', () => {
    expect(ownAuditSession(20, root)).toBe(7);
    expect(ownAuditSession(40, root)).toBeNull();
    expect(ownAuditSession(10, root)).toBeNull();
    expect(ownAuditSession(99, root)).toBeNull();
  });

  it('runningAuditSessions() lists every id some process is in', () => {
    expect([...runningAuditSessions(root)]).toEqual([7]);
  });
});

describe('session terminals', () => {
  const procs = [
    { pid: 1, ppid: 0 },
    { pid: 20, ppid: 1, fds: ['/dev/null', '/dev/null', 'socket:[5]'] }, // [priv]
    { pid: 21, ppid: 20, fds: ['pipe:[1]', '/dev/null', '/dev/null'] }, // the hook, run by pam_exec
    { pid: 22, ppid: 20, fds: ['/dev/null', '/dev/null', '/dev/null'] }, // sshd: user@pts/4
    { pid: 23, ppid: 22, fds: ['/dev/pts/4', '/dev/pts/4', '/dev/pts/4'] }, // the shell
    { pid: 30, ppid: 1, fds: ['/dev/null', '/dev/null', '/dev/null'] }, // [priv] of a command without a pty
    { pid: 31, ppid: 30, fds: ['/dev/null', '/dev/null', '/dev/null'] },
    { pid: 32, ppid: 31, fds: ['pipe:[7]', 'pipe:[8]', 'pipe:[9]'] },
    { pid: 40, ppid: 1, fds: ['/dev/null', '/dev/null', '/dev/null'] }, // [priv] whose child has no command yet
    { pid: 41, ppid: 40, fds: ['/dev/null', '/dev/null', '/dev/null'] },
  ];
  const root = fakeProc(procs);
  const flat = fakeProc(procs, false);
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(flat, { recursive: true, force: true });
  });

  it('sessionTerminal() finds the pty a descendant holds, as pts/N', () => {
    expect(sessionTerminal(20, new Set([21]), root)).toEqual({ pty: 'pts/4' });
    expect(descendantTerminal(20, processTree(root), root)).toBe('pts/4');
  });

  it('sessionTerminal() says none when the command runs on pipes, unknown while nothing shows', () => {
    expect(sessionTerminal(30, new Set(), root)).toBe('none');
    expect(sessionTerminal(40, new Set(), root)).toBe('unknown');
    expect(sessionTerminal(99, new Set(), root)).toBe('unknown');
  });

  it('sessionTerminal() leaves out the processes it is told to skip (the hook reads a pipe)', () => {
    expect(sessionTerminal(20, new Set([21, 22]), root)).toBe('unknown');
    expect(sessionTerminal(20, new Set([22]), root)).toBe('none');
  });

  it('sessionTerminal() walks the whole process table when the kernel lists no children', () => {
    expect(childrenOf(20, flat)).toBeNull();
    expect(sessionTerminal(20, new Set([21]), flat)).toEqual({ pty: 'pts/4' });
    expect(sessionTerminal(30, new Set(), flat)).toBe('none');
  });
});

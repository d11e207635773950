import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import * as build from '../record/build.ts';
import { entryName, listOpenSessions, saveOpenSession, saveSessionTerminal, takeOpenSession, takeSessionTerminal, terminalFileName } from './open-sessions.ts';

const origin = { host: 'h', boot_id: 'b', source: 'pam' } as const;
const login: build.Login = { user: 'alice', uid: 1, tty: 'pts/1', rhost: null, ruser: null, service: 'sshd', pid: 10, pid_start: 20 };
let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('open-session entries', () => {
  it('are found by the same key, once, and readable by everyone', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-open-`);
    const open = build.sessionOpen(origin, login, 1_000_000);
    saveOpenSession(dir, open);
    expect(statSync(`${dir}/sessions/${entryName(open)}`).mode & 0o777).toBe(0o644);
    expect(listOpenSessions(dir).records).toEqual([open]);
    expect(takeOpenSession(dir, { ...login, tty: 'pts/2' })).toBeNull();
    expect(takeOpenSession(dir, login)).toEqual(open);
    expect(takeOpenSession(dir, login)).toBeNull();
    expect(readdirSync(`${dir}/sessions`)).toEqual([]);
  });

  it('name files safely whatever the user and tty hold', () => {
    const name = entryName({ ...login, user: '../../etc/passwd\n', tty: '/'.repeat(300) });
    expect(name).toMatch(/^10-20-[0-9a-f]{16}\.json$/);
    expect(entryName(login)).not.toBe(entryName({ ...login, user: 'bob' }));
  });

  it('keep the pty found after the open for the close, which takes it once', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-open-`);
    const open = build.sessionOpen(origin, { ...login, tty: 'ssh' }, 1_000_000);
    saveOpenSession(dir, open);
    const key = { ...login, tty: 'ssh' };
    expect(saveSessionTerminal(dir, entryName(open), 'pts/7')).toBe(true);
    expect(statSync(`${dir}/sessions/${terminalFileName(entryName(open))}`).mode & 0o777).toBe(0o644);
    expect(listOpenSessions(dir).records).toEqual([open]);
    expect(takeOpenSession(dir, key)).toEqual(open);
    expect(takeSessionTerminal(dir, key)).toBe('pts/7');
    expect(takeSessionTerminal(dir, key)).toBeNull();
    expect(readdirSync(`${dir}/sessions`)).toEqual([]);
  });

  it('leave no pty behind when the session closed before it was found', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-open-`);
    const open = build.sessionOpen(origin, { ...login, tty: 'ssh' }, 1_000_000);
    saveOpenSession(dir, open);
    expect(takeOpenSession(dir, { ...login, tty: 'ssh' })).toEqual(open);
    expect(saveSessionTerminal(dir, entryName(open), 'pts/7')).toBe(false);
    expect(readdirSync(`${dir}/sessions`)).toEqual([]);
  });

  it('keep only pts/N names', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-open-`);
    expect(() => saveSessionTerminal(dir, entryName(login), '../../etc/passwd')).toThrow(RangeError);
  });
});

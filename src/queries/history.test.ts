import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config/config.ts';
import * as build from '../record/build.ts';
import type { LogRecord } from '../record/types.ts';
import { history, terminalOf, type HistoryRequest } from './history.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function given(records: readonly LogRecord[], changes: Partial<Config> = {}): Config {
  dir = mkdtempSync(`${tmpdir()}/ls-history-`);
  writeFileSync(`${dir}/in.jsonl`, records.map(build.toLine).join(''));
  return {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: null, ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
    rulesPath: `${dir}/rules.json`, webhook: null, mail: null, ...changes,
  };
}

const request = (changes: Partial<HistoryRequest> = {}): HistoryRequest => ({
  inputs: [`${dir}/in.jsonl`], since: null, until: null, present: null, user: null, host: null, names: [], boots: false, shutdowns: false, all: false, limit: null, ...changes,
});

// Another host: nothing running here decides how its sessions end.
const web1 = { host: 'web1', boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591', source: 'pam' } as const;
const at = (h: number, m: number) => Date.UTC(2026, 10, 21, h, m) * 1000;
const login = (user: string, tty: string, service: string, pid: number): build.Login => ({
  user, uid: 1000, tty, rhost: service === 'sshd' ? '203.0.113.7' : null, ruser: null, service, pid, pid_start: 99,
});

// An ssh login whose pty was found after its open, a sudo inside it, and an su -l.
const ssh = build.sessionOpen(web1, login('alice', 'ssh', 'sshd', 100), at(9, 0));
const sshOut = build.sessionClose(web1, login('alice', 'ssh', 'sshd', 100), at(10, 0), ssh, {}, 'pts/5');
const sudo = build.sessionOpen(web1, login('root', 'pts/5', 'sudo', 200), at(9, 10));
const sudoOut = build.sessionClose(web1, login('root', 'pts/5', 'sudo', 200), at(9, 11), sudo);
const su = build.sessionOpen(web1, login('bob', 'pts/5', 'su-l', 300), at(9, 20));
const records = [ssh, sudo, sudoOut, su, sshOut];

const users = (config: Config, changes: Partial<HistoryRequest> = {}) =>
  [...history(request(changes), config, at(12, 0)).lines()].map((l) => ('session' in l ? `${l.session.user}@${terminalOf(l.session)}` : l.system.event));

describe('history()', () => {
  it('lists logins only, and user switches too when asked for all', () => {
    const config = given(records);
    expect(users(config)).toEqual(['alice@pts/5']);
    expect(users(config, { all: true })).toEqual(['bob@pts/5', 'root@pts/5', 'alice@pts/5']);
  });

  it('takes the switch services from the configuration', () => {
    const config = given(records, { switchServices: ['sshd'] });
    expect(users(config)).toEqual(['bob@pts/5', 'root@pts/5']);
  });

  it('knows an ssh session by the pty recorded on its close, as util-linux does, also for a name', () => {
    const config = given(records);
    const [line] = [...history(request(), config, at(12, 0)).lines()];
    expect(line && 'session' in line ? line.session : null).toMatchObject({ tty: 'ssh', pty: 'pts/5', kind: 'login', end: 'logout' });
    expect(users(config, { names: ['pts/5'] })).toEqual(['alice@pts/5']);
    expect(users(config, { names: ['ssh'] })).toEqual([]);
  });
});

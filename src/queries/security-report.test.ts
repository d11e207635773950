import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config/config.ts';
import * as build from '../record/build.ts';
import { securityReport, type ReportRequest } from './security-report.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const web1 = { host: 'web1', boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591', source: 'pam' } as const;
const at = (h: number, m: number) => Date.UTC(2026, 10, 21, h, m) * 1000;
const login = (user: string, service: string, pid: number): build.Login => ({
  user, uid: 1000, tty: 'pts/5', rhost: null, ruser: null, service, pid, pid_start: 99,
});

describe('securityReport()', () => {
  it('counts logins as sessions, and user switches too only when asked for all', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-report-`);
    const ssh = build.sessionOpen(web1, login('alice', 'sshd', 100), at(9, 0));
    const sudo = build.sessionOpen(web1, login('root', 'sudo', 200), at(9, 10));
    const su = build.sessionOpen(web1, login('root', 'su', 300), at(9, 20));
    writeFileSync(`${dir}/in.jsonl`, [ssh, sudo, su].map((r) => build.toLine(r)).join('') +
      [build.sessionClose(web1, login('alice', 'sshd', 100), at(10, 0), ssh), build.sessionClose(web1, login('root', 'sudo', 200), at(9, 11), sudo), build.sessionClose(web1, login('root', 'su', 300), at(9, 30), su)].map((r) => build.toLine(r)).join(''));
    const config: Config = {
      logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
      hostname: null, ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
      rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
    };
    const request = (all: boolean): ReportRequest => ({ since: at(0, 0), until: at(23, 0), inputs: [`${dir}/in.jsonl`], alerts: null, accessLogs: [], zone: 'UTC', all });
    const logins = securityReport(request(false), config, at(23, 0)).report;
    expect(logins.totals).toMatchObject({ sessions: 1, users: 1, session_s: 3600 });
    const all = securityReport(request(true), config, at(23, 0)).report;
    expect(all.totals).toMatchObject({ sessions: 3, users: 2, session_s: 3600 + 60 + 600 });
  });
});

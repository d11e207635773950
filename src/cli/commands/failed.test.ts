import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { collectingIO, localShort, terminalControls } from '../../../test/helpers/cli-output.ts';
import type { Config } from '../../config/config.ts';
import { toEcs } from '../../export/ecs.ts';
import { toOtel } from '../../export/otel.ts';
import * as build from '../../record/build.ts';
import { parseTimestamp } from '../../record/time.ts';
import type { LogRecord } from '../../record/types.ts';
import { failed, type FailedOptions } from './failed.ts';

let dir = '';
let config: Config;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh scratch directory whose input file holds `records`. */
function given(records: readonly LogRecord[], extra = ''): void {
  dir = mkdtempSync(`${tmpdir()}/ls-failed-cmd-`);
  config = {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: null, ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
    rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
  writeFileSync(`${dir}/in.jsonl`, records.map(build.toLine).join('') + extra);
}

function run(changes: Partial<FailedOptions> = {}, width = 80) {
  const out = collectingIO();
  const options: FailedOptions = {
    json: false, format: null, by: null, limit: null, since: null, until: null, user: null, host: null, timeFormat: 'short',
    inputs: [`${dir}/in.jsonl`], wide: false, ...changes,
  };
  const status = failed(options, config, out.io, width);
  return { status, stdout: out.stdout(), stderr: out.stderr() };
}

const at = (h: number, m: number) => Date.UTC(2026, 10, 21, h, m) * 1000;
const eid = (n: number) => `01a1ff38-0000-7000-8000-0000000002${n.toString(16).padStart(2, '0')}`;
const web1 = { host: 'web1', boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591', source: 'pam' } as const;
const who = (user: string, uid: number | null, tty: string | null, rhost: string | null, service = 'sshd'): build.Login => ({
  user, uid, tty, rhost, ruser: null, service, pid: 4242, pid_start: 99,
});

const f1 = build.authFailure(web1, who('root', 0, 'ssh', '203.0.113.7'), at(9, 0), { event_id: eid(1) });
const f2 = build.authFailure(web1, who('admin', null, 'ssh', '203.0.113.7'), at(9, 1), { event_id: eid(2) });
const f3 = build.authFailure(web1, who('root', 0, 'ssh', '198.51.100.4'), at(9, 2), { event_id: eid(3) });
const f4 = build.authFailure(web1, who('alice', 1000, 'tty1', null, 'login'), at(9, 5), { event_id: eid(4) });
const f5 = build.authFailure({ ...web1, source: 'btmp' }, who('root', 0, 'ssh:notty', '203.0.113.7'), at(10, 0), { event_id: eid(5) });
/** Not failures: a login, and f1 again (the same event counts once). */
const noise = [build.sessionOpen(web1, who('alice', 1000, 'pts/1', '192.0.2.1'), at(9, 3)), f1];
const all: LogRecord[] = [f1, f2, f3, f4, f5, ...noise];

const header = {
  rhost: 'FROM                       COUNT FIRST SEEN         LAST SEEN         USERS\n',
  user: 'USER                       COUNT FIRST SEEN         LAST SEEN          FROM\n',
};

describe('failed()', () => {
  it('prints failed logins newest first in the manner of lastb, each once, with where the record came from', () => {
    given(all);
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `root     ssh:notty    203.0.113.7      ${localShort(at(10, 0))}  sshd         btmp\n` +
      `alice    tty1                          ${localShort(at(9, 5))}  login        pam\n` +
      `root     ssh          198.51.100.4     ${localShort(at(9, 2))}  sshd         pam\n` +
      `admin    ssh          203.0.113.7      ${localShort(at(9, 1))}  sshd         pam\n` +
      `root     ssh          203.0.113.7      ${localShort(at(9, 0))}  sshd         pam\n`,
    );
    expect(r.stderr).toBe('');
  });

  it('keeps to --limit, --since, --until, --user and --host', () => {
    given(all);
    expect(run({ limit: 1 }).stdout).toBe(`root     ssh:notty    203.0.113.7      ${localShort(at(10, 0))}  sshd         btmp\n`);
    expect(run({ since: at(9, 2), until: at(9, 5), user: 'root' }).stdout).toBe(`root     ssh          198.51.100.4     ${localShort(at(9, 2))}  sshd         pam\n`);
    expect(run({ host: 'db2' }).stdout).toBe('');
  });

  it('adds a host column when the failures come from more than one host, narrowing the widest columns to fit the width', () => {
    const db2 = build.authFailure({ ...web1, host: 'db2.example.com' }, who('oracle', null, 'ssh', '192.0.2.66'), at(9, 30), { event_id: eid(6) });
    given([f4, db2]);
    // 80 columns: the host, tty and from columns give way, the host cut with a marker.
    expect(run().stdout).toBe(
      `db2.exampl… oracle   ssh         192.0.2.66   ${localShort(at(9, 30))}  sshd         pam\n` +
      `web1        alice    tty1                     ${localShort(at(9, 5))}  login        pam\n`,
    );
    expect(run({}, 100).stdout).toBe(
      `db2.example.com  oracle   ssh          192.0.2.66       ${localShort(at(9, 30))}  sshd         pam\n` +
      `web1             alice    tty1                          ${localShort(at(9, 5))}  login        pam\n`,
    );
  });

  it('summarizes by remote host with --by rhost: most failures first, first and last seen, distinct users', () => {
    given(all);
    expect(run({ by: 'rhost' }).stdout).toBe(
      header.rhost +
      `203.0.113.7                    3 ${localShort(at(9, 0))} - ${localShort(at(10, 0))}      2\n` +
      `-                              1 ${localShort(at(9, 5))} - ${localShort(at(9, 5))}      1\n` +
      `198.51.100.4                   1 ${localShort(at(9, 2))} - ${localShort(at(9, 2))}      1\n`,
    );
    expect(run({ by: 'rhost', limit: 1 }).stdout).toBe(header.rhost + `203.0.113.7                    3 ${localShort(at(9, 0))} - ${localShort(at(10, 0))}      2\n`);
  });

  it('summarizes by user with --by user, counting the remote hosts tried from', () => {
    given(all);
    expect(run({ by: 'user' }).stdout).toBe(
      header.user +
      `root                           3 ${localShort(at(9, 0))} - ${localShort(at(10, 0))}      2\n` +
      `alice                          1 ${localShort(at(9, 5))} - ${localShort(at(9, 5))}      1\n` +
      `admin                          1 ${localShort(at(9, 1))} - ${localShort(at(9, 1))}      1\n`,
    );
  });

  it('writes times as local ISO 8601 with the offset with --time-format iso', () => {
    given([f4]);
    const line = run({ timeFormat: 'iso' }, 100).stdout;
    const m = /^alice    tty1                          (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d)  login        pam\n$/.exec(line);
    expect(parseTimestamp(m?.[1] ?? '')).toBe(at(9, 5));
    // In 80 columns the tty and from columns give way to the longer time.
    const fitted = run({ timeFormat: 'iso' }).stdout;
    expect([...fitted.trimEnd()].length).toBeLessThanOrEqual(80);
    expect(fitted).toMatch(/^alice    tty1 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d  login        pam\n$/);
  });

  it('escapes escape sequences and bidi controls in every field of the table and cuts them unless wide', () => {
    const hostile = build.authFailure(web1, who('evil\u001b[31m\u009b', null, 'ssh\u0007', '\u202eexe.gnp', 'sshd\u001b[2J'), at(9, 0), { event_id: eid(7) });
    given([hostile]);
    const cut = run().stdout;
    expect(cut).toBe(`evil\\e[… ssh\\x07      \\u202eexe.gnp    ${localShort(at(9, 0))}  sshd\\e[2J    pam\n`);
    const wide = run({ wide: true }).stdout;
    expect(wide).toBe(`evil\\e[31m\\x9b ssh\\x07      \\u202eexe.gnp    ${localShort(at(9, 0))}  sshd\\e[2J    pam\n`);
    const byRhost = run({ by: 'rhost' }).stdout;
    expect(byRhost).toBe(header.rhost + `\\u202eexe.gnp                  1 ${localShort(at(9, 0))} - ${localShort(at(9, 0))}      1\n`);
    const byUser = run({ by: 'user' }).stdout;
    expect(byUser).toBe(header.user + `evil\\e[31m\\x9b                 1 ${localShort(at(9, 0))} - ${localShort(at(9, 0))}      1\n`);
    for (const text of [cut, wide, byRhost, byUser]) expect(text).not.toMatch(terminalControls);
  });

  it('prints the failures as a JSON array, newest first, one object per line', () => {
    given(all);
    const object = (f: typeof f1) => ({ event_id: f.event_id, ts: f.ts, host: 'web1', user: f.user, uid: f.uid, tty: f.tty, rhost: f.rhost, service: f.service, source: f.source });
    const r = run({ json: true, limit: 3 });
    expect(r.stdout).toBe(
      '[\n' +
      `{"event_id":"${eid(5)}","ts":"2026-11-21T10:00:00.000000Z","host":"web1","user":"root","uid":0,"tty":"ssh:notty","rhost":"203.0.113.7","service":"sshd","source":"btmp"},\n` +
      `{"event_id":"${eid(4)}","ts":"2026-11-21T09:05:00.000000Z","host":"web1","user":"alice","uid":1000,"tty":"tty1","rhost":null,"service":"login","source":"pam"},\n` +
      `{"event_id":"${eid(3)}","ts":"2026-11-21T09:02:00.000000Z","host":"web1","user":"root","uid":0,"tty":"ssh","rhost":"198.51.100.4","service":"sshd","source":"pam"}\n` +
      ']\n',
    );
    expect(JSON.parse(r.stdout)).toEqual([f5, f4, f3].map(object));
  });

  it('prints the summary as JSON with --by, named after the key and the other side', () => {
    given(all);
    expect(run({ json: true, by: 'rhost', limit: 2 }).stdout).toBe(
      '[\n' +
      '{"rhost":"203.0.113.7","count":3,"first_seen":"2026-11-21T09:00:00.000000Z","last_seen":"2026-11-21T10:00:00.000000Z","users":2},\n' +
      '{"rhost":null,"count":1,"first_seen":"2026-11-21T09:05:00.000000Z","last_seen":"2026-11-21T09:05:00.000000Z","users":1}\n' +
      ']\n',
    );
    expect(JSON.parse(run({ json: true, by: 'user' }).stdout)).toEqual([
      { user: 'root', count: 3, first_seen: '2026-11-21T09:00:00.000000Z', last_seen: '2026-11-21T10:00:00.000000Z', rhosts: 2 },
      { user: 'alice', count: 1, first_seen: '2026-11-21T09:05:00.000000Z', last_seen: '2026-11-21T09:05:00.000000Z', rhosts: 1 },
      { user: 'admin', count: 1, first_seen: '2026-11-21T09:01:00.000000Z', last_seen: '2026-11-21T09:01:00.000000Z', rhosts: 1 },
    ]);
  });

  it('prints the failure records as ECS documents or OpenTelemetry log records with --format', () => {
    given(all);
    expect(JSON.parse(run({ json: true, format: 'ecs', limit: 2 }).stdout)).toEqual([toEcs(f5), toEcs(f4)]);
    expect(JSON.parse(run({ json: true, format: 'otel', limit: 2 }).stdout)).toEqual([toOtel(f5), toOtel(f4)]);
  });

  it('prints an empty JSON array when there are no failures, and escapes C0 and C1 controls in JSON', () => {
    given([noise[0] as LogRecord]);
    expect(run({ json: true }).stdout).toBe('[]\n');
    expect(run({ json: true, by: 'user' }).stdout).toBe('[]\n');
    rmSync(dir, { recursive: true, force: true });
    given([build.authFailure(web1, who('evil\u001b[31m\u009b', null, 'ssh', null), at(9, 0), { event_id: eid(8) })]);
    const out = run({ json: true }).stdout;
    expect(out).toContain('"user":"evil\\u001b[31m\\u009b"');
    expect(JSON.parse(out)).toEqual([expect.objectContaining({ user: 'evil\u001b[31m\u009b' })]);
  });

  it('escapes bidi controls in JSON as well, the value unchanged', () => {
    given([build.authFailure(web1, who('evil\u202e', null, 'ssh', '\u2066x'), at(9, 0), { event_id: eid(9) })]);
    const out = run({ json: true }).stdout;
    expect(out).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(out).toContain('"user":"evil\\u202e"');
    expect(JSON.parse(out)).toEqual([expect.objectContaining({ user: 'evil\u202e', rhost: '\u2066x' })]);
  });

  it('reports malformed lines on stderr and prints the rest', () => {
    given([f4], '{"event":"auth_failure"}\n');
    const r = run();
    expect(r.stdout).toBe(`alice    tty1                          ${localShort(at(9, 5))}  login        pam\n`);
    expect(r.stderr).toBe(`logsphere: skipped 1 malformed line in ${dir}/in.jsonl\n`);
  });
});

// `logsphere import wtmpdb|lastlog2`: databases made by Debian's sqlite3 with the tables wtmpdb
// (lib/sqlite.c) and util-linux's liblastlog2 create, imported by the built CLI (sql.js embedded in
// it), and the history `last` and `lastlog` then answer with.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAgainstSchema } from '../helpers/log.ts';
import { cliBundle, hookBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';

const lacking = missing({ commands: ['/usr/bin/sqlite3'] });
const dir = mkdtempSync(`${tmpdir()}/ls-sqlite-import-`);
const env = { TZ: 'UTC', LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: dir, LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_HOSTNAME: 'this.example' };
const cli = (args: string[], input = '') => spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env, input, cwd: dir });

/** The tables as the tools create them (wtmpdb: lib/sqlite.c; util-linux: liblastlog2/src/lastlog2.c). */
const wtmpTable = 'CREATE TABLE IF NOT EXISTS wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;';
const lastlog2Table = 'CREATE TABLE IF NOT EXISTS Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT);';

const sqlite3 = (file: string, sql: string) => execFileSync('sqlite3', [file], { input: sql, encoding: 'utf8', cwd: dir });
/** Microseconds since the epoch, as wtmpdb keeps times. */
const us = (iso: string, micros = 0) => String(Date.parse(iso) * 1000 + micros);
const sec = (iso: string) => String(Date.parse(iso) / 1000);
const BOOT = 2;
const USER = 7;
/** A row of wtmpdb's table as SQL values: Type, User, Login, Logout, TTY, RemoteHost, Service. */
const values = (...cells: (string | number | null)[]) => `(${cells.map((c) => (c === null ? 'NULL' : typeof c === 'number' ? String(c) : /^-?\d+$/.test(c) ? c : `'${c.replace(/'/g, "''")}'`)).join(',')})`;
const insertWtmp = (...rows: string[]) => `INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES ${rows.join(',\n')};`;

// A host's history: a login before the first boot row of the file; a boot ended by a shutdown,
// with a login and logout, a login never closed (bob) and one whose Logout is 0 (carol), both
// ended by the shutdown; a boot without a shutdown, a closed login and one ended by the next boot
// (dave); a soft reboot, and a login still open (erin).
const historyRows = [
  values(USER, 'root', us('2026-03-02T07:59:00Z'), us('2026-03-02T07:59:30Z'), 'tty1', null, 'login'),
  values(BOOT, 'reboot', us('2026-03-02T08:00:00Z'), us('2026-03-02T12:00:00Z', 250_000), '~', '6.12.12-amd64', null),
  values(USER, 'alice', us('2026-03-02T08:05:01Z', 123_456), us('2026-03-02T09:15:30Z', 1), 'pts/0', '203.0.113.7', 'sshd'),
  values(USER, 'bob', us('2026-03-02T09:00:00Z'), null, 'tty1', null, 'login'),
  values(USER, 'carol', us('2026-03-02T10:00:00Z'), 0, 'pts/1', '198.51.100.2', 'sshd'),
  values(BOOT, 'reboot', us('2026-03-02T12:05:00Z'), null, '~', '6.12.13-amd64', null),
  values(USER, 'alice', us('2026-03-02T12:10:00Z'), us('2026-03-02T12:40:00Z'), 'pts/0', '203.0.113.7', 'sshd'),
  values(USER, 'dave', us('2026-03-02T13:00:00Z'), null, 'pts/2', '2001:db8::2', 'sshd'),
  values(BOOT, 'soft-reboot', us('2026-03-02T14:00:00Z'), null, '~', '6.12.13-amd64', null),
  values(USER, 'erin', us('2026-03-02T14:30:00Z'), null, 'pts/3', '192.0.2.30', 'sshd'),
];


/** The lines of JSONL output, each checked against the record schema; the text ends with a newline. */
function recordLines(text: string): string[] {
  const lines = text.split('\n');
  expect(lines.pop()).toBe('');
  for (const line of lines) expect(validateAgainstSchema(JSON.parse(line)), line).toBe(true);
  return lines;
}

describe.skipIf(lacking)('logsphere import wtmpdb and lastlog2, from databases made by sqlite3', () => {
  beforeAll(() => {
    requireBuilt();
    sqlite3(`${dir}/wtmp.db`, `${wtmpTable}\n${insertWtmp(...historyRows)}`);
    sqlite3(`${dir}/lastlog2.db`, `${lastlog2Table}
REPLACE INTO Lastlog2 VALUES ('alice', ${sec('2026-03-02T12:10:00Z')}, 'pts/0', '203.0.113.7', 'sshd');
REPLACE INTO Lastlog2 VALUES ('root', ${sec('2025-11-20T07:00:00Z')}, 'tty1', '', NULL);
REPLACE INTO Lastlog2 VALUES ('erin', ${sec('2026-03-02T14:30:00Z')}, 'pts/3', '192.0.2.30', 'sshd');
REPLACE INTO Lastlog2 VALUES ('cleared', 0, NULL, NULL, NULL);
REPLACE INTO Lastlog2 VALUES (NULL, ${sec('2026-03-01T00:00:00Z')}, 'pts/9', NULL, 'sshd');
REPLACE INTO Lastlog2 VALUES ('negative', -5, 'pts/9', NULL, 'sshd');
REPLACE INTO Lastlog2 VALUES ('text', 'yesterday', 'pts/9', NULL, 'sshd');
REPLACE INTO Lastlog2 VALUES ('blob', ${sec('2026-03-01T00:00:00Z')}, X'01', NULL, 'sshd');`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports wtmpdb\'s logins, logouts, boots and shutdowns to exactly these records', () => {
    const r = cli(['import', 'wtmpdb', 'wtmp.db', '--host', 'old.example']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = recordLines(r.stdout);
    // The ids are named after the host and each row: a change here makes a re-import of a file
    // by another release duplicate its records.
    expect(lines).toEqual([
      '{"schema":"logsphere/1","event_id":"dbd6c66e-f81f-500b-afe9-bab0883f9ab1","ts":"2026-03-02T07:59:00.000000Z","host":"old.example","boot_id":"d1bc196c-f832-51d5-8873-e6ab1d571626","source":"wtmpdb","event":"session_open","session_id":"48f2d50b-8c19-502a-8e16-467583117dcc","user":"root","uid":null,"tty":"tty1","rhost":null,"ruser":null,"service":"login","pid":0,"pid_start":0}',
      '{"schema":"logsphere/1","event_id":"2a89b68d-2de8-542f-8c8e-436c50dd751f","ts":"2026-03-02T07:59:30.000000Z","host":"old.example","boot_id":"d1bc196c-f832-51d5-8873-e6ab1d571626","source":"wtmpdb","event":"session_close","session_id":"48f2d50b-8c19-502a-8e16-467583117dcc","user":"root","uid":null,"tty":"tty1","rhost":null,"ruser":null,"service":"login","pid":0,"pid_start":0,"login_time":"2026-03-02T07:59:00.000000Z","duration_s":30}',
      '{"schema":"logsphere/1","event_id":"8f12d88a-d9c0-5d6e-9bbf-1c24557b8a00","ts":"2026-03-02T08:00:00.000000Z","host":"old.example","boot_id":"5f8e50bf-1c54-5a86-932d-5f4062abdc9f","source":"wtmpdb","event":"boot","kernel":"6.12.12-amd64","boot_time":"2026-03-02T08:00:00.000000Z"}',
      '{"schema":"logsphere/1","event_id":"890c9bed-5639-51d7-89cb-a5df64a789a4","ts":"2026-03-02T08:05:01.123456Z","host":"old.example","boot_id":"5f8e50bf-1c54-5a86-932d-5f4062abdc9f","source":"wtmpdb","event":"session_open","session_id":"72a55288-914b-5936-a1ea-067d5a4617f5","user":"alice","uid":null,"tty":"pts/0","rhost":"203.0.113.7","ruser":null,"service":"sshd","pid":0,"pid_start":0}',
      '{"schema":"logsphere/1","event_id":"1abbf170-8a08-5dbb-82b4-954aa7370174","ts":"2026-03-02T09:00:00.000000Z","host":"old.example","boot_id":"5f8e50bf-1c54-5a86-932d-5f4062abdc9f","source":"wtmpdb","event":"session_open","session_id":"96188666-b9f3-5bc1-aa6d-320b0fb4e9c9","user":"bob","uid":null,"tty":"tty1","rhost":null,"ruser":null,"service":"login","pid":0,"pid_start":0}',
      '{"schema":"logsphere/1","event_id":"78384b41-7d2f-502e-9d21-69b6be9e3bac","ts":"2026-03-02T09:15:30.000001Z","host":"old.example","boot_id":"5f8e50bf-1c54-5a86-932d-5f4062abdc9f","source":"wtmpdb","event":"session_close","session_id":"72a55288-914b-5936-a1ea-067d5a4617f5","user":"alice","uid":null,"tty":"pts/0","rhost":"203.0.113.7","ruser":null,"service":"sshd","pid":0,"pid_start":0,"login_time":"2026-03-02T08:05:01.123456Z","duration_s":4228.876545}',
      '{"schema":"logsphere/1","event_id":"af1c5126-13f9-5c62-8508-8af26bc153dd","ts":"2026-03-02T10:00:00.000000Z","host":"old.example","boot_id":"5f8e50bf-1c54-5a86-932d-5f4062abdc9f","source":"wtmpdb","event":"session_open","session_id":"c408009c-3702-5451-94a3-a6f5bb04bde0","user":"carol","uid":null,"tty":"pts/1","rhost":"198.51.100.2","ruser":null,"service":"sshd","pid":0,"pid_start":0}',
      '{"schema":"logsphere/1","event_id":"48a9b420-1aa6-51f2-90e0-f8afece50639","ts":"2026-03-02T12:00:00.250000Z","host":"old.example","boot_id":"5f8e50bf-1c54-5a86-932d-5f4062abdc9f","source":"wtmpdb","event":"shutdown"}',
      '{"schema":"logsphere/1","event_id":"29efaebd-0450-5959-b229-a454b2f16329","ts":"2026-03-02T12:05:00.000000Z","host":"old.example","boot_id":"d935fbda-604e-59f8-8c27-86c69c6bf81e","source":"wtmpdb","event":"boot","kernel":"6.12.13-amd64","boot_time":"2026-03-02T12:05:00.000000Z"}',
      '{"schema":"logsphere/1","event_id":"6052e6ea-0eda-5df9-9dfd-9f81c786ce70","ts":"2026-03-02T12:10:00.000000Z","host":"old.example","boot_id":"d935fbda-604e-59f8-8c27-86c69c6bf81e","source":"wtmpdb","event":"session_open","session_id":"09b4e379-3fb3-5231-8723-c6d3ddcb009d","user":"alice","uid":null,"tty":"pts/0","rhost":"203.0.113.7","ruser":null,"service":"sshd","pid":0,"pid_start":0}',
      '{"schema":"logsphere/1","event_id":"dfef1093-d17f-5659-9723-c8e53c59252d","ts":"2026-03-02T12:40:00.000000Z","host":"old.example","boot_id":"d935fbda-604e-59f8-8c27-86c69c6bf81e","source":"wtmpdb","event":"session_close","session_id":"09b4e379-3fb3-5231-8723-c6d3ddcb009d","user":"alice","uid":null,"tty":"pts/0","rhost":"203.0.113.7","ruser":null,"service":"sshd","pid":0,"pid_start":0,"login_time":"2026-03-02T12:10:00.000000Z","duration_s":1800}',
      '{"schema":"logsphere/1","event_id":"9543d601-3590-5c71-95ef-3421fc79ade2","ts":"2026-03-02T13:00:00.000000Z","host":"old.example","boot_id":"d935fbda-604e-59f8-8c27-86c69c6bf81e","source":"wtmpdb","event":"session_open","session_id":"f4ee80b3-aa50-51bf-9ee8-a60aaef1aa32","user":"dave","uid":null,"tty":"pts/2","rhost":"2001:db8::2","ruser":null,"service":"sshd","pid":0,"pid_start":0}',
      '{"schema":"logsphere/1","event_id":"895b58c7-156d-51a0-b342-402e5099f358","ts":"2026-03-02T14:00:00.000000Z","host":"old.example","boot_id":"7c8a69a0-200d-529e-bef6-2cb5245056ba","source":"wtmpdb","event":"boot","kernel":"6.12.13-amd64","boot_time":"2026-03-02T14:00:00.000000Z"}',
      '{"schema":"logsphere/1","event_id":"9f95bf2f-c283-5823-b91e-887491244729","ts":"2026-03-02T14:30:00.000000Z","host":"old.example","boot_id":"7c8a69a0-200d-529e-bef6-2cb5245056ba","source":"wtmpdb","event":"session_open","session_id":"04ce446a-0e74-5453-9bc2-0eb49ecf927c","user":"erin","uid":null,"tty":"pts/3","rhost":"192.0.2.30","ruser":null,"service":"sshd","pid":0,"pid_start":0}',
    ]);
  });

  it('gives last the history: logouts, down after a shutdown, crash before a boot, still logged in, and the boots and shutdowns', () => {
    const imported = cli(['import', 'wtmpdb', 'wtmp.db', '--host', 'old.example', '--output', 'history.jsonl']);
    expect(imported.status, imported.stderr).toBe(0);
    const r = cli(['last', '-x', '--input', 'history.jsonl']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'erin     pts/3        192.0.2.30       Mon Mar  2 14:30   still logged in\n' +
      'reboot   system boot  6.12.13-amd64    Mon Mar  2 14:00   still running\n' +
      'dave     pts/2        2001:db8::2      Mon Mar  2 13:00 - crash  (01:00)\n' +
      'alice    pts/0        203.0.113.7      Mon Mar  2 12:10 - 12:40  (00:30)\n' +
      'reboot   system boot  6.12.13-amd64    Mon Mar  2 12:05 - crash  (01:55)\n' +
      'shutdown system down  6.12.12-amd64    Mon Mar  2 12:00 - 12:05  (00:05)\n' +
      'carol    pts/1        198.51.100.2     Mon Mar  2 10:00 - down   (02:00)\n' +
      'bob      tty1                          Mon Mar  2 09:00 - down   (03:00)\n' +
      'alice    pts/0        203.0.113.7      Mon Mar  2 08:05 - 09:15  (01:10)\n' +
      'reboot   system boot  6.12.12-amd64    Mon Mar  2 08:00 - 12:00  (04:00)\n' +
      'root     tty1                          Mon Mar  2 07:59 - 07:59  (00:00)\n' +
      '\n' +
      'history.jsonl begins Mon Mar  2 07:59:00 2026\n',
    );
  });

  it('counts and reports the rows it leaves out, writes nothing of them, and writes what a row holds escaped', () => {
    sqlite3(`${dir}/odd.db`, `${wtmpTable}\n${insertWtmp(
      values(3, 'mallory', us('2026-03-03T08:00:00Z'), null, 'pts/2', null, 'sshd'),
      values(USER, '', us('2026-03-03T08:01:00Z'), null, 'pts/3', null, 'sshd'),
      values(USER, 'nologin', null, null, 'pts/4', null, 'sshd'),
      values(USER, 'negative', -5, null, 'pts/5', null, 'sshd'),
      values(BOOT, 'reboot', us('2026-03-03T08:00:00Z'), us('2026-03-03T07:00:00Z'), '~', '6.12.14-amd64', null),
      values(USER, 'early', us('2026-03-03T09:00:00Z'), us('2026-03-03T08:59:59Z'), 'pts/6', null, 'sshd'),
    )}\nINSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES (7, 'ev' || char(27) || '[31mil' || char(10), ${us('2026-03-03T09:30:00Z')}, NULL, '/dev/pts/7', '${'r'.repeat(300)}', 'sshd');`);
    // A table of the same columns that wtmpdb did not write (not STRICT): NULL users, bytes, text times.
    sqlite3(`${dir}/loose.db`, `CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT);\n${insertWtmp(
      values(USER, null, us('2026-03-03T08:00:00Z'), null, 'pts/2', null, 'sshd'),
      values(USER, 'blob', us('2026-03-03T08:00:00Z'), null, 'pts/2', null, 'sshd'),
      values(USER, 'text', 'yesterday', null, 'pts/2', null, 'sshd'),
      values(USER, 'fine', us('2026-03-03T08:00:00Z'), 'never', 'pts/2', null, 'sshd'),
    )}\nUPDATE wtmp SET TTY = X'0102' WHERE User = 'blob';`);
    const odd = cli(['import', 'wtmpdb', 'odd.db', '--host', 'old.example']);
    expect(odd.status, odd.stderr).toBe(0);
    expect(odd.stderr).toBe(
      'logsphere: skipped 1 row of unknown type (neither BOOT_TIME nor USER_PROCESS) in odd.db\n' +
      'logsphere: skipped 2 rows whose Login is not a time in odd.db\n' +
      'logsphere: skipped 1 login without a user in odd.db\n' +
      'logsphere: imported 2 rows of odd.db without their end: their Logout is not a time at or after their Login\n',
    );
    const records = odd.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((x) => [x['event'], x['ts'], x['user'] ?? x['kernel']])).toEqual([
      ['boot', '2026-03-03T08:00:00.000000Z', '6.12.14-amd64'],
      ['session_open', '2026-03-03T09:00:00.000000Z', 'early'],
      ['session_open', '2026-03-03T09:30:00.000000Z', 'ev\u001b[31mil\n'],
    ]);
    expect(records[2]).toMatchObject({ tty: 'pts/7', rhost: 'r'.repeat(256), truncated: ['rhost'] });
    expect(odd.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    for (const x of records) expect(validateAgainstSchema(x)).toBe(true);
    const last = cli(['last', '--input', '-'], odd.stdout);
    expect(last.status, last.stderr).toBe(0);
    expect(last.stdout).not.toContain('\u001b');

    const loose = cli(['import', 'wtmpdb', `${dir}/loose.db`, '--host', 'old.example']);
    expect(loose.status, loose.stderr).toBe(0);
    expect(loose.stderr).toBe(
      `logsphere: skipped 1 row whose Login is not a time in ${dir}/loose.db\n` +
      `logsphere: skipped 1 row with a User, TTY, RemoteHost or Service that is not text in ${dir}/loose.db\n` +
      `logsphere: skipped 1 login without a user in ${dir}/loose.db\n` +
      `logsphere: imported 1 row of ${dir}/loose.db without their end: their Logout is not a time at or after their Login\n`,
    );
    expect(loose.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { user: string }).user)).toEqual(['fine']);
  });

  it('imports a file twice, an older copy and then the newer one, or a rotated file, to the same ids', () => {
    const first = cli(['import', 'wtmpdb', 'wtmp.db', '--host', 'old.example']);
    expect(cli(['import', 'wtmpdb', 'wtmp.db', '--host', 'old.example']).stdout).toBe(first.stdout);
    // The older copy: erin's login not yet made, dave's and bob's without their Logout.
    sqlite3(`${dir}/older.db`, `${wtmpTable}\n${insertWtmp(...historyRows.slice(0, 9))}`);
    copyFileSync(`${dir}/older.db`, `${dir}/newer.db`);
    sqlite3(`${dir}/newer.db`, `UPDATE wtmp SET Logout = ${us('2026-03-02T13:30:00Z')} WHERE User = 'dave'; ${insertWtmp(historyRows[9] as string)}`);
    const older = cli(['import', 'wtmpdb', 'older.db', '--host', 'old.example']);
    const newer = cli(['import', 'wtmpdb', 'newer.db', '--host', 'old.example']);
    expect(older.status, older.stderr).toBe(0);
    expect(newer.status, newer.stderr).toBe(0);
    const newerLines = new Set(newer.stdout.split('\n'));
    for (const line of older.stdout.split('\n')) expect(newerLines.has(line), line).toBe(true);
    expect(newer.stdout.split('\n').length - older.stdout.split('\n').length).toBe(2); // dave's close, erin's open
    const both = cli(['last', '--json', '-x', '--input', '-'], older.stdout + newer.stdout);
    expect(JSON.parse(both.stdout)).toEqual(JSON.parse(cli(['last', '--json', '-x', '--input', '-'], newer.stdout).stdout));
    // `wtmpdb rotate` copies rows into a new file one by one: new IDs, the same records.
    sqlite3(`${dir}/rotated.db`, `${wtmpTable}\nATTACH 'wtmp.db' AS old; INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) SELECT Type,User,Login,Logout,TTY,RemoteHost,Service FROM old.wtmp ORDER BY ID DESC;`);
    expect(sqlite3(`${dir}/rotated.db`, "SELECT ID FROM wtmp WHERE User = 'root';").trim()).toBe('10');
    expect(cli(['import', 'wtmpdb', 'rotated.db', '--host', 'old.example']).stdout).toBe(first.stdout);
  });

  it('appends to --output, and takes this host\'s name without --host', () => {
    cli(['import', 'wtmpdb', 'wtmp.db', '--output', 'appended.jsonl']);
    const r = cli(['import', 'wtmpdb', 'wtmp.db', '--output', 'appended.jsonl']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const lines = readFileSync(`${dir}/appended.jsonl`, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2 * 14);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { host: string }).host))).toEqual(new Set(['this.example']));
    expect(statSync(`${dir}/appended.jsonl`).mode & 0o777).toBe(0o640);
  });

  it('imports lastlog2\'s last logins as session_opens without a close, exactly, and lastlog answers with them', () => {
    const r = cli(['import', 'lastlog2', 'lastlog2.db', '--host', 'old.example', '--output', 'lastlog2.jsonl']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      'logsphere: skipped 1 entry with a Name, TTY, RemoteHost or Service that is not text in lastlog2.db\n' +
      'logsphere: skipped 1 entry without a user in lastlog2.db\n' +
      'logsphere: skipped 2 entries whose Time is not a time in lastlog2.db\n' +
      'logsphere: left out 1 entry of lastlog2.db that hold no login (Time 0: cleared, or never logged in)\n',
    );
    const lines = recordLines(readFileSync(`${dir}/lastlog2.jsonl`, 'utf8'));
    expect(lines).toEqual([
      '{"schema":"logsphere/1","event_id":"25590328-69c6-5025-951b-dc09ea717e64","ts":"2025-11-20T07:00:00.000000Z","host":"old.example","boot_id":"f255353b-9561-52aa-86b9-a1ed5a2a7258","source":"lastlog2","event":"session_open","session_id":"68862bea-e065-52c3-86f4-fc86ca76e36b","user":"root","uid":null,"tty":"tty1","rhost":null,"ruser":null,"service":"lastlog2","pid":0,"pid_start":0}',
      '{"schema":"logsphere/1","event_id":"20f77645-91e2-5fde-b354-b40fd8c40c0b","ts":"2026-03-02T12:10:00.000000Z","host":"old.example","boot_id":"f255353b-9561-52aa-86b9-a1ed5a2a7258","source":"lastlog2","event":"session_open","session_id":"b6bea700-8b7c-58df-a813-a533da5a8484","user":"alice","uid":null,"tty":"pts/0","rhost":"203.0.113.7","ruser":null,"service":"sshd","pid":0,"pid_start":0}',
      '{"schema":"logsphere/1","event_id":"8f42ce9d-9cd5-578c-bf51-6b8509157b05","ts":"2026-03-02T14:30:00.000000Z","host":"old.example","boot_id":"f255353b-9561-52aa-86b9-a1ed5a2a7258","source":"lastlog2","event":"session_open","session_id":"5067e7a6-c908-54c5-a996-69c3d0f025cd","user":"erin","uid":null,"tty":"pts/3","rhost":"192.0.2.30","ruser":null,"service":"sshd","pid":0,"pid_start":0}',
    ]);
    const lastlog = cli(['lastlog', '--input', 'lastlog2.jsonl']);
    expect(lastlog.stderr).toBe('');
    expect(lastlog.stdout).toBe(
      'Username         Port     From                                       Latest\n' +
      'alice            pts/0    203.0.113.7                                Mon Mar  2 12:10:00 +0000 2026\n' +
      'erin             pts/3    192.0.2.30                                 Mon Mar  2 14:30:00 +0000 2026\n' +
      'root             tty1                                                Thu Nov 20 07:00:00 +0000 2025\n',
    );
    expect(cli(['import', 'lastlog2', 'lastlog2.db', '--host', 'old.example']).stdout).toBe(`${lines.join('\n')}\n`);
  });

  it('counts a lastlog2 login as open until a later boot of the host, as any imported login without an end', () => {
    expect(cli(['import', 'lastlog2', 'lastlog2.db', '--host', 'old.example', '--output', 'lastlog2-only.jsonl']).status).toBe(0);
    expect(cli(['import', 'wtmpdb', 'wtmp.db', '--host', 'old.example', '--output', 'wtmpdb-only.jsonl']).status).toBe(0);
    const r = cli(['last', '--input', 'lastlog2-only.jsonl', '--input', 'wtmpdb-only.jsonl']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'erin     pts/3        192.0.2.30       Mon Mar  2 14:30   still logged in\n' +
      'erin     pts/3        192.0.2.30       Mon Mar  2 14:30   still logged in\n' +
      'reboot   system boot  6.12.13-amd64    Mon Mar  2 14:00   still running\n' +
      'dave     pts/2        2001:db8::2      Mon Mar  2 13:00 - crash  (01:00)\n' +
      'alice    pts/0        203.0.113.7      Mon Mar  2 12:10 - crash  (01:50)\n' +
      'alice    pts/0        203.0.113.7      Mon Mar  2 12:10 - 12:40  (00:30)\n' +
      'reboot   system boot  6.12.13-amd64    Mon Mar  2 12:05 - crash  (01:55)\n' +
      'carol    pts/1        198.51.100.2     Mon Mar  2 10:00 - down   (02:00)\n' +
      'bob      tty1                          Mon Mar  2 09:00 - down   (03:00)\n' +
      'alice    pts/0        203.0.113.7      Mon Mar  2 08:05 - 09:15  (01:10)\n' +
      'reboot   system boot  6.12.12-amd64    Mon Mar  2 08:00 - 12:00  (04:00)\n' +
      'root     tty1                          Mon Mar  2 07:59 - 07:59  (00:00)\n' +
      'root     tty1                          Thu Nov 20 07:00 - crash (102+01:00)\n' +
      '\n' +
      'lastlog2-only.jsonl begins Thu Nov 20 07:00:00 2025\n' +
      'wtmpdb-only.jsonl begins Mon Mar  2 07:59:00 2026\n',
    );
  });

  it('refuses what is not such a database: another SQLite file, a text file, a symbolic link', () => {
    const lacks = cli(['import', 'lastlog2', 'wtmp.db']);
    expect([lacks.status, lacks.stdout, lacks.stderr]).toEqual([1, '', 'logsphere: Cannot read wtmp.db: no table Lastlog2: not a lastlog2 database\n']);
    writeFileSync(`${dir}/text.db`, 'reboot   system boot  6.12.12-amd64\n');
    const text = cli(['import', 'wtmpdb', 'text.db']);
    expect([text.status, text.stderr]).toEqual([1, 'logsphere: Cannot read text.db: not an SQLite database (it does not begin with "SQLite format 3")\n']);
    symlinkSync(`${dir}/wtmp.db`, `${dir}/link.db`);
    const link = cli(['import', 'wtmpdb', 'link.db']);
    expect([link.status, link.stderr]).toEqual([1, 'logsphere: Cannot read link.db: a symbolic link (not followed: name the file it points to)\n']);
    const missingFile = cli(['import', 'wtmpdb', 'absent.db']);
    expect([missingFile.status, missingFile.stderr]).toEqual([1, 'logsphere: Cannot read absent.db: no such file or directory\n']);
  });

  it('loads SQLite only from a WebAssembly file beside the program that is as trusted as the program', () => {
    // A copy of the program with its WebAssembly, in a directory of its own.
    mkdirSync(`${dir}/program`);
    copyFileSync(cliBundle, `${dir}/program/logsphere.cjs`);
    const wasm = `${dir}/program/logsphere-sqlite.wasm`;
    const run = () => spawnSync(nodePath, [`${dir}/program/logsphere.cjs`, 'import', 'wtmpdb', 'wtmp.db'], { encoding: 'utf8', env, cwd: dir });
    const refused = `logsphere: Cannot load SQLite from ${wasm}: missing, or not a regular file owned by root (or the program's owner) and writable by nobody else\n`;
    expect([run().status, run().stderr]).toEqual([1, refused]);
    copyFileSync(`${cliBundle.slice(0, cliBundle.lastIndexOf('/'))}/logsphere-sqlite.wasm`, wasm);
    chmodSync(wasm, 0o664);
    expect([run().status, run().stderr]).toEqual([1, refused]);
    chmodSync(wasm, 0o644);
    const ok = run();
    expect([ok.status, ok.stderr]).toEqual([0, '']);
    expect(ok.stdout).toBe(cli(['import', 'wtmpdb', 'wtmp.db']).stdout);
  });

  it('says so when changes wait in a write-ahead log beside the database, and imports what the file holds', () => {
    mkdirSync(`${dir}/copy`);
    sqlite3(`${dir}/wal.db`, `${wtmpTable}\n${insertWtmp(historyRows[1] as string)}`);
    // Copied while SQLite holds the second login in the log, not yet in the file.
    sqlite3(`${dir}/wal.db`, `PRAGMA journal_mode=WAL;\nPRAGMA wal_autocheckpoint=0;\n${insertWtmp(historyRows[2] as string)}\n.shell cp wal.db wal.db-wal copy/\n`);
    const r = cli(['import', 'wtmpdb', 'copy/wal.db', '--host', 'old.example']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('logsphere: copy/wal.db-wal holds changes not yet written into copy/wal.db: they are not imported (import a copy made with sqlite3 copy/wal.db ".backup COPY")\n');
    expect(r.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['boot', 'shutdown']);
  });

  it('loads sql.js for these imports only: other commands neither compile nor instantiate it', () => {
    // Notes what the program compiles on first use (its pieces, as node:vm scripts: sql.js's is
    // the one holding its JavaScript) and what it instantiates (WebAssembly).
    writeFileSync(`${dir}/watch.cjs`, `const vm = require('node:vm');
const Script = vm.Script;
const seen = [];
vm.Script = function (code, options) { seen.push(code.includes('_sqlite3_prepare_v2') ? 'sql.js' : 'piece'); return new Script(code, options); };
const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = function (...args) { seen.push('WebAssembly'); return instantiate.apply(this, args); };
process.on('exit', () => require('node:fs').writeFileSync(process.env.SEEN, seen.join('\\n')));
`);
    const seen = (args: string[]) => {
      const r = spawnSync(nodePath, ['-r', `${dir}/watch.cjs`, cliBundle, ...args], { encoding: 'utf8', env: { ...env, SEEN: `${dir}/seen` }, cwd: dir });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(`${dir}/seen`, 'utf8').split('\n');
    };
    expect(seen(['import', 'wtmpdb', 'wtmp.db', '--output', 'loaded.jsonl']).filter((p) => p !== 'piece')).toEqual(['sql.js', 'WebAssembly']);
    for (const args of [['sessions', '--help'], ['sessions', '--input', 'loaded.jsonl'], ['last', '--input', 'loaded.jsonl'], ['lastlog', '--input', 'loaded.jsonl'], ['import', 'logsphere-v2', '--tz', 'UTC', 'loaded.jsonl']]) {
      const pieces = seen(args);
      expect(pieces.length, args.join(' ')).toBeGreaterThan(1);
      expect(pieces.filter((p) => p !== 'piece'), args.join(' ')).toEqual([]);
    }
    // What every start compiles (the code before the pieces kept as text) holds none of it, and the
    // hook has none at all.
    const program = readFileSync(cliBundle, 'utf8');
    expect(program.slice(0, program.indexOf('function pieceSource()'))).not.toMatch(/sqlite3_prepare_v2|sql-wasm/);
    expect(readFileSync(hookBundle, 'utf8')).not.toMatch(/sqlite3_prepare_v2|sql\.js|sql-wasm/);
  });
});

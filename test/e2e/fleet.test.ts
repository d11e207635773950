// The fleet store on a real PostgreSQL 15 (a private cluster per file, RECIPES.md): the schema
// and its versions, `ship` exactly once whatever the order, duplicates and interruptions, the
// quarantine, the roles, and `last --db` answering as `last --input` does on the same records.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import type { LogRecord } from '../../src/record/types.ts';
import { formatTimestamp } from '../../src/record/time.ts';
import { parseRecordLine } from '../../src/record/validate.ts';
import { connect, type Db } from '../../src/fleet/db.ts';
import { shipOnce } from '../../src/fleet/ship.ts';
import { migrate } from '../../src/fleet/schema.ts';
import { generateHistory } from '../helpers/log-history.ts';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { pgBin, psqlPath, startPostgres, type Postgres } from '../helpers/postgres.ts';
import { missing } from '../helpers/require.ts';
import { freePort, rsyslogd, startRsyslog, type Rsyslog } from '../helpers/rsyslog.ts';
import { portOpen, waitFor } from '../helpers/sshd.ts';

const skip = missing({ root: true, commands: [`${pgBin}/initdb`, `${pgBin}/postgres`, psqlPath, '/usr/sbin/runuser', rsyslogd] });

let pg: Postgres | null = null;
let dir = '';
let databases = 0;

beforeAll(async () => {
  if (skip) return;
  requireBuilt();
  dir = mkdtempSync(`${tmpdir()}/ls-fleet-`);
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.remove();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** A fresh database with the schema migrated (each test its own). */
function database(migrated = true): string {
  const name = `fleet${++databases}`;
  pg?.sql(`CREATE DATABASE ${name}`);
  if (migrated) expect(cli(['db', 'migrate', '--db', url(name)]).status).toBe(0);
  return name;
}

const url = (name: string, user = 'postgres') => (pg as Postgres).url(name, user);

function cli(args: string[], state = `${dir}/state`, extra: Record<string, string> = {}) {
  const env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: state, LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_HOSTNAME: 'relay', TZ: 'UTC', PATH: '/usr/bin:/bin', ...extra };
  return spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 28 });
}

/** Writes `lines` as a file of the test directory; returns its path. */
function file(name: string, lines: readonly string[]): string {
  const path = `${dir}/${name}`;
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  writeFileSync(path, lines.map((l) => (l.endsWith('\n') ? l : `${l}\n`)).join(''));
  return path;
}

/** The same shuffle for the same seed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe.skipIf(skip)('the fleet store on a real PostgreSQL 15', () => {
  it('migrates once, changes nothing the second time, and is refused at another version', () => {
    const name = database(false);
    const first = cli(['db', 'migrate', '--db', url(name)]);
    expect([first.status, first.stdout, first.stderr]).toEqual([0, 'applied versions 1, 2, 3, 4, 5, 6, 7: the schema is at version 7\n', '']);
    const again = cli(['db', 'migrate', '--db', url(name)]);
    expect([again.status, again.stdout]).toEqual([0, 'the schema is at version 7: nothing to do\n']);
    expect(pg?.sql('SELECT count(*) FROM logsphere.schema_version', name)).toBe('7\n');

    const unmigrated = database(false);
    const refused = cli(['last', '--db', url(unmigrated)]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('no LogSphere schema: run `logsphere db migrate --db URL` first');
    // The newest lines too: their first question is the newest record.
    const newest = cli(['last', '-n', '5', '--db', url(unmigrated)]);
    expect([newest.status, newest.stderr]).toEqual([1, expect.stringContaining('no LogSphere schema: run `logsphere db migrate --db URL` first')]);

    pg?.sql('INSERT INTO logsphere.schema_version (version) VALUES (8)', name);
    const newer = cli(['ship', '--once', '--db', url(name), '--input', file('empty.jsonl', [])]);
    expect(newer.status).toBe(1);
    expect(newer.stderr).toContain('schema is version 8, newer than this logsphere knows (7): update logsphere');
    // Nor does migrate take it for its own.
    const older = cli(['db', 'migrate', '--db', url(name)]);
    expect([older.status, older.stdout, older.stderr]).toEqual([1, '', expect.stringContaining('schema is version 8, newer than this logsphere knows (7): update logsphere')]);
  });

  it('upgrades a store of an older version step by step, the sessions that may be open made from its records', async () => {
    const name = database(false);
    const db = await connect(url(name));
    try {
      expect(await migrate(db, 2)).toEqual([1, 2]);
      // Records loaded by a ship of version 2 (written here as it wrote them).
      const history = generateHistory({ sessions: 80, seed: 17 });
      const records = [...new Map(history.records.map((r) => [r.event_id, r])).values()];
      for (const month of new Set(records.map((r) => r.ts.slice(0, 7)))) await db.query('SELECT logsphere.ensure_month($1::date)', [`${month}-01`]);
      for (const r of records) {
        const x = r as typeof r & { session_id?: string | null; user?: string; rhost?: string | null };
        await db.query('INSERT INTO logsphere.events (event_id, ts, host, event, session_id, user_name, rhost, line) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          x.event_id, x.ts, x.host, x.event, x.session_id ?? null, x.user ?? null, x.rhost ?? null, build.toLine(r).trimEnd(),
        ]);
      }
      expect(cli(['sessions', '--db', url(name)]).stderr).toContain('schema is version 2, this logsphere needs 7: run `logsphere db migrate --db URL`');
      // Version 3 makes the sessions that may be open from the records, version 4 keeps their opens'
      // lines, version 5 keeps the boots, shutdowns and id-less closes apart, version 6 keys the
      // events by time first, version 7 has a heartbeat replace its host's process checks.
      const upgraded = cli(['db', 'migrate', '--db', url(name)]);
      expect([upgraded.status, upgraded.stdout]).toEqual([0, 'applied versions 3, 4, 5, 6, 7: the schema is at version 7\n']);
      expect(pg?.sql("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'logsphere.events'::regclass AND contype = 'p'", name)).toBe('PRIMARY KEY (ts, event_id)\n');
      expect(pg?.sql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'logsphere' AND indexdef LIKE '% USING btree (ts)'", name)).toBe('0\n');
      expect(pg?.sql("SELECT count(*) FROM logsphere.open_sessions o JOIN logsphere.events e USING (event_id, ts) WHERE e.line = o.line AND e.event = 'session_open'", name)).toBe(pg?.sql('SELECT count(*) FROM logsphere.open_sessions', name));
      const endings = pg?.sql("SELECT count(*) FROM logsphere.events WHERE event IN ('boot', 'shutdown') OR (event = 'session_close' AND session_id IS NULL)", name);
      expect(Number(endings)).toBeGreaterThan(5);
      expect(pg?.sql('SELECT count(*) FROM logsphere.ending_events k JOIN logsphere.events e USING (event_id, ts) WHERE e.line = k.line', name)).toBe(endings);
      expect(pg?.sql('SELECT count(*) FROM logsphere.ending_events', name)).toBe(endings);
      const whole = file('upgrade/sessions.jsonl', records.map((r) => build.toLine(r)));
      expect(cli(['sessions', '--json', '--db', url(name)]).stdout.replaceAll(',"verified":false,"host_last_contact":null}', '}')).toBe(cli(['sessions', '--json', '--input', whole]).stdout);
    } finally {
      await db.end();
    }
  });

  it('answers last as the files do, from records loaded in shuffled, duplicated batches from many files', () => {
    const name = database();
    const history = generateHistory({ sessions: 400, seed: 7 });
    // The whole history as one file, and the same lines in 9 files of shuffled batches (each line
    // in one of them, some in two), loaded in reverse order.
    const whole = file('whole/sessions.jsonl', history.lines);
    const lines = shuffled(history.lines, 3);
    const parts = Array.from({ length: 9 }, (_, k) => lines.filter((_, i) => i % 9 === k));
    parts[0]?.push(...lines.slice(0, 50));
    const paths = parts.map((p, k) => file(`relay/host-batch-${k}.jsonl`, p)).reverse();
    const shipped = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'batches', ...paths.flatMap((p) => ['--input', p])]);
    expect(shipped.status).toBe(0);
    const records = new Set(history.records.map((r) => r.event_id)).size;
    expect(pg?.sql('SELECT count(*), count(DISTINCT event_id) FROM logsphere.events', name)).toBe(`${records}|${records}\n`);
    // The sessions that may be open, kept as the batches arrived (closes before their opens, and
    // boots after the sessions they ended, among them), whatever the order: of the opens no named
    // close was loaded for, every one the files leave open, none a boot or shutdown ended (those a
    // close without an id ended may stay: the reconciler ends them at query time).
    const unclosed = pg
      ?.sql("SELECT DISTINCT session_id FROM logsphere.events o WHERE event = 'session_open' AND NOT EXISTS (SELECT 1 FROM logsphere.events c WHERE c.session_id = o.session_id AND c.event = 'session_close')", name)
      .trimEnd()
      .split('\n') as string[];
    const candidates = pg?.sql('SELECT session_id FROM logsphere.open_sessions', name).trimEnd().split('\n') as string[];
    const endOf = new Map((JSON.parse(cli(['last', '--json', '--all', '--input', whole]).stdout) as Array<{ session_id: string; end: string | null }>).map((s) => [s.session_id, s.end]));
    const ended = unclosed.filter((id) => endOf.get(id) === 'down' || endOf.get(id) === 'crash');
    expect(ended.length).toBeGreaterThan(5);
    const open = unclosed.filter((id) => endOf.get(id) === null || endOf.get(id) === 'gone');
    expect(open.length).toBeGreaterThan(0);
    expect(candidates.filter((id) => !unclosed.includes(id) || ended.includes(id))).toEqual([]);
    expect(open.filter((id) => !candidates.includes(id))).toEqual([]);
    // The boots, shutdowns and closes without a session id, kept apart as they arrived: each once, as stored.
    const endings = pg?.sql("SELECT count(*) FROM logsphere.events WHERE event IN ('boot', 'shutdown') OR (event = 'session_close' AND session_id IS NULL)", name);
    expect(Number(endings)).toBeGreaterThan(10);
    expect(pg?.sql('SELECT count(*) FROM logsphere.ending_events k JOIN logsphere.events e USING (event_id, ts) WHERE e.line = k.line', name)).toBe(endings);
    expect(pg?.sql('SELECT count(*) FROM logsphere.ending_events', name)).toBe(endings);
    expect(candidates.length).toBeLessThan(records / 4);

    // The newest lines and those from an instant on come from the newest part of the store.
    const mid = new Date((history.start + history.end) / 2000).toISOString();
    for (const args of [['--json'], ['--json', '-x'], ['-x'], ['--json', '--host', 'db1'], ['--host', 'web2', '-x'], ['--json', 'alice'], ['--json', '--all'], ['-n', '7'], ['-n', '40', '-x', '--json'], ['-n', '3', 'carol'], ['--since', mid, '-x'], ['--since', mid, '--json', '--host', 'web1'], ['-n', '5', '--until', mid]]) {
      const fromFiles = cli(['last', ...args, '--input', whole]);
      const fromStore = cli(['last', ...args, '--db', url(name)]);
      expect(fromStore.status).toBe(0);
      const body = (text: string) => text.replace(/\n\S+ begins .*\n$/, '\n');
      expect(body(fromStore.stdout)).toBe(body(fromFiles.stdout));
      expect(fromStore.stdout.length).toBeGreaterThan(10);
    }
    // sessions, failed and report answer from the store as from the files, too.
    const since = new Date(history.start / 1000).toISOString();
    const until = new Date(history.end / 1000 + 1000).toISOString();
    // Over more than a month the report adds weekly series (trends).
    const longUntil = new Date(history.start / 1000 + 45 * 86_400_000).toISOString();
    expect(JSON.parse(cli(['report', '--format', 'json', '--since', since, '--until', longUntil, '--db', url(name)]).stdout).weekly.logins.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThan(100);
    // What depends on the moment of the run: when the report was made, and the longest sessions
    // among those still open (measured to now).
    // The files' report also warns of their malformed lines, which the store keeps in its quarantine.
    const generated = (text: string) =>
      text.replace(/"generated_at": "[^"]*"/, '"generated_at": "-"').replace(/"longest_s": [\d.]+/g, '"longest_s": -').replace(/"warnings": \[[^\]]*\]/, '"warnings": []');
    // The store's sessions also say whether their host was heard from (no ship of these hosts' own logs ran: never).
    const unheard = (text: string) => text.replaceAll(',"verified":false,"host_last_contact":null}', '}');
    for (const args of [['sessions', '--json'], ['sessions', '--json', '--host', 'app1'], ['sessions', '--by-host'], ['failed', '--json'], ['failed', '--by', 'rhost'], ['failed', '--json', '--since', mid], ['failed', '-n', '4'], ['report', '--format', 'json', '--since', since, '--until', until], ['report', '--format', 'json', '--since', since, '--until', longUntil], ['report', '--format', 'json', '--since', mid, '--until', until]]) {
      const fromFiles = cli([...args, '--input', whole]);
      const fromStore = cli([...args, '--db', url(name)]);
      expect([fromStore.status, fromStore.stderr]).toEqual([0, '']);
      if (args[0] === 'sessions' && args[1] === '--json') expect(fromStore.stdout.match(/"verified":false,"host_last_contact":null\}/g)?.length).toBe(JSON.parse(fromFiles.stdout).length);
      expect(unheard(generated(fromStore.stdout))).toBe(generated(fromFiles.stdout));
      expect(fromStore.stdout.length).toBeGreaterThan(30);
    }
    expect(JSON.parse(cli(['failed', '--json', '--db', url(name)]).stdout).length).toBeGreaterThan(0);
    // The text ends as util-linux's does, naming the store, without its password.
    expect(cli(['last', '--db', url(name)]).stdout).toMatch(new RegExp(`\\npostgresql://postgres@127\\.0\\.0\\.1:${pg?.port}/${name} begins \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}\\n$`));

    // Loading everything again changes nothing; on a terminal it shows its progress (on
    // standard error, erased before the summary), through a pipe it does not.
    const again = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'again', '--input', whole]);
    expect(again.stdout).toMatch(/ \(0 new\), /);
    expect(again.stderr).toBe('');
    const command = [nodePath, cliBundle, 'ship', '--once', '--db', url(name), '--checkpoint', 'on-terminal', '--input', whole].map((a) => `'${a}'`).join(' ');
    const env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_HOSTNAME: 'relay', TZ: 'UTC', PATH: '/usr/bin:/bin', TERM: 'xterm' };
    const screen = spawnSync('/usr/bin/script', ['-q', '-e', '-c', command, '/dev/null'], { encoding: 'utf8', env }).stdout;
    expect(screen).toMatch(/\r\x1b\[Kship: \d+% \([\d.]+ MiB of [\d.]+ MiB\) /);
    expect(screen.slice(screen.lastIndexOf('\r\x1b[K') + 4)).toMatch(/^shipped .* \(0 new\), /);
    expect(pg?.sql('SELECT count(*) FROM logsphere.events', name)).toBe(`${records}\n`);
  });

  it('names the kernel a shutdown ended from boots before the lines asked for, as the files do', () => {
    const name = database();
    const day = 86_400e6;
    const t0 = Date.parse('2026-06-01T00:00:00Z') * 1000;
    const origin = (host: string, boot: string, source: 'pam' | 'systemd' = 'systemd') => ({ host, boot_id: `7a2fbc11-fb9c-496f-9b67-0000000000${boot}`, source }) as const;
    const login = (user: string, pid: number): build.Login => ({ user, uid: 1000, tty: 'pts/1', rhost: '203.0.113.9', ruser: null, service: 'sshd', pid, pid_start: pid * 10 });
    const k1Session = build.sessionOpen(origin('k1', 'b2', 'pam'), login('ann', 11), t0 + 3 * day);
    const records: LogRecord[] = [
      build.boot(origin('k1', 'a1'), t0, '6.1.0-old', t0 - 5e6),
      build.boot(origin('k2', 'a2'), t0 + 1e6, '6.1.0-k2', t0 - 4e6),
      build.boot(origin('k3', 'a3'), t0 + 2e6, '6.1.0-k3', t0 - 3e6),
      build.boot(origin('k1', 'b2'), t0 + 2 * day, '6.1.0-new', t0 + 2 * day - 5e6),
      k1Session,
      build.sessionClose(origin('k1', 'b2', 'pam'), login('ann', 11), t0 + 3 * day + 3600e6, k1Session),
      // From day 4 on: a shutdown of k1's first boot (its kernel from that boot), one of a boot never
      // recorded (the latest kernel before it), k2's shutdown and boot, sessions on k3.
      build.shutdown(origin('k1', 'a1'), t0 + 5 * day),
      build.shutdown(origin('k1', 'c9'), t0 + 6 * day),
      build.boot(origin('k1', 'd4'), t0 + 6 * day + 60e6, '6.2.0', t0 + 6 * day + 30e6),
      build.shutdown(origin('k2', 'a2'), t0 + 6 * day + 5e6),
      build.boot(origin('k2', 'b5'), t0 + 6 * day + 90e6, '6.1.0-k2b', t0 + 6 * day + 70e6),
      build.sessionOpen(origin('k3', 'a3', 'pam'), login('bob', 12), t0 + 4 * day + 7e6),
      build.sessionOpen(origin('k1', 'd4', 'pam'), login('cid', 13), t0 + 7 * day),
      // A boot id the store cannot read back as text (an escaped NUL): bob's session crashed all
      // the same, which the store leaves to the reconciler at query time.
      build.boot({ host: 'k3', boot_id: 'nul\u0000boot', source: 'systemd' }, t0 + 8 * day, '6.1.0-k3', t0 + 8 * day - 5e6),
    ];
    const whole = file('kernels/sessions.jsonl', records.map(build.toLine));
    const shipped = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'kernels', '--input', whole]);
    expect([shipped.status, shipped.stderr]).toEqual([0, '']);
    const since = new Date((t0 + 4 * day) / 1000).toISOString();
    const body = (text: string) => text.replace(/\n\S+ begins .*\n$/, '\n');
    for (const args of [['-x', '--since', since], ['-x', '--json', '--since', since], ['-x', '--since', since, '--host', 'k1'], ['-x', '-n', '3'], ['-x', '-n', '5', '--json'], ['-x']]) {
      const fromFiles = cli(['last', ...args, '--input', whole]);
      const fromStore = cli(['last', ...args, '--db', url(name)]);
      expect([fromStore.status, fromStore.stderr]).toEqual([0, '']);
      expect(body(fromStore.stdout)).toBe(body(fromFiles.stdout));
    }
    // The kernels came from before the lines asked for: the shutdown of k1's first boot names its
    // kernel, the shutdown of a boot never recorded the latest kernel before it.
    const shown = cli(['last', '-x', '--since', since, '--host', 'k1', '--db', url(name)]).stdout;
    expect(shown).toMatch(/^shutdown +system down +6\.1\.0-new .*\n(.*\n)*shutdown +system down +6\.1\.0-old /m);
    // The sessions a boot or shutdown ended left the sessions that may be open, but bob's, whose
    // boot's id the store cannot compare: the reconciler ends it as the files do.
    expect(pg?.sql('SELECT session_id FROM logsphere.open_sessions ORDER BY ts', name)).toBe(`${(records[11] as LogRecord & { session_id: string }).session_id}\n${(records[12] as LogRecord & { session_id: string }).session_id}\n`);
    for (const args of [['sessions', '--json', '--include-gone'], ['last', '--json', '-x']]) {
      const fromFiles = cli([...args, '--input', whole]).stdout.replaceAll(',"verified":false,"host_last_contact":null}', '}');
      expect(cli([...args, '--db', url(name)]).stdout.replaceAll(',"verified":false,"host_last_contact":null}', '}').replace(/\n\S+ begins .*\n$/, '\n')).toBe(fromFiles.replace(/\n\S+ begins .*\n$/, '\n'));
    }
    expect(JSON.parse(cli(['sessions', '--json', '--db', url(name)]).stdout).map((s: { user: string }) => s.user)).toEqual(['cid']);
    // Months without records (made by hand here) before and after change neither the newest lines
    // nor where the store's records begin.
    pg?.sql("SELECT logsphere.ensure_month('2025-01-01'), logsphere.ensure_month('2025-02-01'), logsphere.ensure_month('2027-03-01')", name);
    const newest = cli(['last', '-x', '-n', '2', '--db', url(name)]).stdout;
    expect(newest).toMatch(/ begins Mon Jun {2}1 00:00:00 2026\n$/);
    expect(body(newest)).toBe(body(cli(['last', '-x', '-n', '2', '--input', whole]).stdout));
  });

  it('keeps lines that are not records in the quarantine with their reason and source, byte for byte, once', () => {
    const name = database();
    const good = generateHistory({ sessions: 5, seed: 2 }).lines.filter((l) => l.startsWith('{"schema"')).map((l) => l.trimEnd());
    const hostile = 'tab\there \\ back\\slash \u001b[31m red \u0000 nul \u00e9';
    const path = file('bad/sessions.jsonl', [good[0] as string, 'not json', hostile, '{"schema":"logsphere/1","event":"boot"}', good[1] as string]);
    const r = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'bad', '--input', path]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('shipped 2 records from 1 file (2 new), 3 lines quarantined\n');
    expect(pg?.sql("SELECT line_number, reason, source FROM logsphere.quarantine ORDER BY line_number", name)).toBe(
      [`2|not JSON|relay:${path}`, `3|not JSON|relay:${path}`, `4|event_id is not a UUID|relay:${path}`, ''].join('\n'),
    );
    expect(pg?.sql("SELECT encode(line, 'hex') FROM logsphere.quarantine WHERE line_number = 3", name)).toBe(`${Buffer.from(hostile).toString('hex')}\n`);
    // The file again (a new checkpoint): nothing new, nothing quarantined twice.
    cli(['ship', '--once', '--db', url(name), '--checkpoint', 'bad-again', '--input', path]);
    expect(pg?.sql('SELECT (SELECT count(*) FROM logsphere.quarantine), (SELECT count(*) FROM logsphere.events)', name)).toBe('3|2\n');
  });

  it('quarantines what the store cannot take instead of stopping at it, and keeps months in UTC whatever the zone', () => {
    const name = database();
    // The database's sessions in Berlin: partitions are still months of UTC.
    pg?.sql(`ALTER DATABASE ${name} SET timezone = 'Europe/Berlin'`);
    const origin = (host: string) => ({ host, boot_id: '7a2fbc11-fb9c-496f-9b67-000000000002', source: 'systemd' }) as const;
    const boot = (host: string, iso: string) => {
      const at = Date.parse(iso) * 1000;
      return build.toLine(build.boot(origin(host), at, '6.1.0', at - 5e6));
    };
    const ok = [boot('web1', '2026-03-31T22:30:00Z'), boot('web1', '2026-04-30T23:30:00Z'), boot('web1', '2026-05-01T00:30:00Z')];
    // Valid logsphere/1 records the store refuses or does not keep: a host too long for its index,
    // a time of year 0000, a time whose minutes do not exist.
    const long = boot(randomBytes(4500).toString('hex'), '2026-04-02T10:00:00Z');
    const yearZero = boot('web1', '2026-04-03T10:00:00Z').replace('"ts":"2026-04-03', '"ts":"0000-04-03');
    const badMinute = boot('web1', '2026-04-04T10:00:00Z').replace('"ts":"2026-04-04T10:00:00', '"ts":"2026-04-04T12:99:99');
    const path = file('refused/sessions.jsonl', [ok[0] as string, long, yearZero, ok[1] as string, badMinute, ok[2] as string]);
    const r = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'refused', '--input', path]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(pg?.sql("SELECT tableoid::regclass, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM logsphere.events ORDER BY ts", name)).toBe(
      'logsphere.events_2026_03|2026-03-31 22:30\nlogsphere.events_2026_04|2026-04-30 23:30\nlogsphere.events_2026_05|2026-05-01 00:30\n',
    );
    const quarantined = pg?.sql('SELECT line_number, reason FROM logsphere.quarantine ORDER BY line_number', name) ?? '';
    const reasons = quarantined.trim().split('\n').map((l) => l.split('|'));
    expect(reasons.map(([n]) => n)).toEqual(['2', '3', '5']);
    for (const [, reason] of reasons) expect(reason).toMatch(/^(the store refused it: |ts is outside the years the store keeps|ts is not)/);
    expect(reasons[0]?.[1]).toMatch(/^the store refused it: .*index row/);
  });

  it('loads a log of many batches, each staged while the one before merges, in order, a line the store refuses in them quarantined', () => {
    const name = database();
    const history = generateHistory({ sessions: 7000, seed: 29 });
    // Valid records with a host too long for the store's index, in the second and the third batch
    // of 5,000 lines: the store refuses them in the merge of a batch staged on the other connection.
    const longHost = (k: number) => {
      const at = Date.parse('2026-10-02T10:00:00Z') * 1000 + k;
      return build.toLine(build.boot({ host: randomBytes(4500).toString('hex'), boot_id: '7a2fbc11-fb9c-496f-9b67-0000000000f1', source: 'systemd' }, at, '6.1.0', at - 5e6));
    };
    const lines = [...history.lines];
    expect(lines.length).toBeGreaterThan(12_000);
    lines.splice(6000, 0, longHost(1));
    lines.splice(11_000, 0, longHost(2));
    const whole = file('batches-many/sessions.jsonl', lines);
    const shipped = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'many', '--input', whole]);
    expect([shipped.status, shipped.stderr]).toEqual([0, '']);
    const records = new Set(history.records.map((r) => r.event_id)).size;
    expect(pg?.sql('SELECT count(*), count(DISTINCT event_id) FROM logsphere.events', name)).toBe(`${records}|${records}\n`);
    expect(pg?.sql("SELECT line_number FROM logsphere.quarantine WHERE reason LIKE 'the store refused it: %index row%' ORDER BY line_number", name)).toBe('6001\n11001\n');
    // The sessions noted batch after batch as from one: the same answers as the file's.
    const fleet = (args: string[]) => cli([...args, '--db', url(name)]).stdout.replaceAll(',"verified":false,"host_last_contact":null}', '}');
    const fromFile = cli(['sessions', '--json', '--include-gone', '--input', whole]).stdout;
    expect(JSON.parse(fromFile).length).toBeGreaterThan(10);
    expect(fleet(['sessions', '--json', '--include-gone'])).toBe(fromFile);
    expect(fleet(['last', '--json', '--all'])).toBe(cli(['last', '--json', '--all', '--input', whole]).stdout);
  });

  it('loads every batch on the first connection when the second cannot be had or fails while staging', async () => {
    const history = generateHistory({ sessions: 5000, seed: 31 });
    const whole = file('second-fails/sessions.jsonl', history.lines);
    const records = new Set(history.records.map((r) => r.event_id)).size;
    const fromFile = cli(['sessions', '--json', '--include-gone', '--input', whole]).stdout;
    const broken = new Error('the second connection broke');
    const seconds: Array<[string, () => Promise<Db>]> = [
      ['refused', () => Promise.reject(broken)],
      // Connected, but every COPY on it fails: the staged batch is loaded afresh on the first.
      ['failing', async () => ({ ...(await connect(url(second))), copyFrom: () => Promise.reject(broken) })],
    ];
    let second = '';
    for (const [k, openSecond] of seconds) {
      second = database();
      const db = await connect(url(second));
      try {
        const totals = await shipOnce(db, [whole], `${dir}/second-${k}.checkpoint`, 'test', undefined, openSecond);
        expect([totals.records, totals.warnings]).toEqual([history.lines.length - totals.quarantined, []]);
      } finally {
        await db.end();
      }
      expect(pg?.sql('SELECT count(*), count(DISTINCT event_id) FROM logsphere.events', second)).toBe(`${records}|${records}\n`);
      expect(cli(['sessions', '--json', '--include-gone', '--db', url(second)]).stdout.replaceAll(',"verified":false,"host_last_contact":null}', '}')).toBe(fromFile);
    }
  });

  it('reads a log truncated and written again from its start, and quarantines a line byte for byte', () => {
    const name = database();
    const lines = [...new Set(generateHistory({ sessions: 20, seed: 21 }).lines)].filter((l) => parseRecordLine(l.trimEnd()) !== null);
    const path = file('truncated/sessions.jsonl', lines.slice(0, 5));
    cli(['ship', '--once', '--db', url(name), '--checkpoint', 'truncated', '--input', path]);
    // Truncated in place (copytruncate) and written again past where the last load ended.
    writeFileSync(path, lines.slice(5, 15).join(''));
    writeFileSync(path, Buffer.from([0x7b, 0xff, 0xfe, 0x0d, 0x0a]), { flag: 'a' });
    const r = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'truncated', '--input', path]);
    expect(r.stdout).toBe('shipped 10 records from 1 file (10 new), 1 line quarantined\n');
    expect(pg?.sql('SELECT count(*) FROM logsphere.events', name)).toBe('15\n');
    expect(pg?.sql("SELECT encode(line, 'hex') FROM logsphere.quarantine", name)).toBe('7bfffe0d\n');
  });

  it('judges a session by its earliest open, whatever order its two opens and a shutdown between them arrive in', () => {
    const at = Date.parse('2026-07-01T00:00:00Z') * 1000;
    const origin = { host: 'd1', boot_id: '7a2fbc11-fb9c-496f-9b67-0000000000e1', source: 'pam' } as const;
    const login = (user: string, pid: number): build.Login => ({ user, uid: 1000, tty: 'pts/2', rhost: '203.0.113.7', ruser: null, service: 'sshd', pid, pid_start: pid * 10 });
    const first = build.sessionOpen(origin, login('eve', 21), at);
    // The same session's open again, with an event id of its own, after the host went down.
    const again = build.sessionOpen(origin, login('eve', 21), at + 20e6, { session_id: first.session_id });
    const down = build.shutdown({ ...origin, source: 'systemd' }, at + 10e6);
    const still = build.sessionOpen(origin, login('fay', 22), at + 30e6);
    const whole = file('earliest/all.jsonl', [first, again, down, still].map(build.toLine));
    const fromFiles = cli(['sessions', '--json', '--include-gone', '--input', whole]).stdout;
    expect(JSON.parse(fromFiles).map((x: { user: string }) => x.user)).toEqual(['fay']);
    for (const [k, order] of [[first, down, again], [again, down, first], [down, again, first]].entries()) {
      const name = database();
      const inputs = order.map((r, i) => file(`earliest/${k}-${i}.jsonl`, [build.toLine(r)]));
      const shipped = cli(['ship', '--once', '--db', url(name), '--checkpoint', `earliest-${k}`, ...[...inputs, file(`earliest/${k}-still.jsonl`, [build.toLine(still)])].flatMap((p) => ['--input', p])]);
      expect([shipped.status, shipped.stderr]).toEqual([0, '']);
      expect(cli(['sessions', '--json', '--include-gone', '--db', url(name)]).stdout.replaceAll(',"verified":false,"host_last_contact":null}', '}')).toBe(fromFiles);
      expect(pg?.sql('SELECT session_id FROM logsphere.open_sessions', name)).toBe(`${still.session_id}\n`);
    }
  });

  it('counts the earlier copy of a boot written twice, whichever arrives first: what only the later one ended is open again', () => {
    const at = Date.parse('2026-05-01T10:00:00Z') * 1000;
    const origin = { host: 'w1', boot_id: '7a2fbc11-fb9c-496f-9b67-0000000000b2', source: 'pam' } as const;
    const open = build.sessionOpen(origin, { user: 'ann', uid: 1000, tty: 'ssh', rhost: '203.0.113.7', ruser: null, service: 'sshd', pid: 100, pid_start: 5000 }, at);
    // A boot of another boot id an hour after the login, and the same record (one event id) dated an hour before it.
    const later = build.boot({ ...origin, boot_id: '7a2fbc11-fb9c-496f-9b67-0000000000b1', source: 'systemd' }, at + 3600e6, '6.1.0', at + 3590e6);
    const earlier = { ...later, ts: formatTimestamp(at - 3600e6), boot_time: formatTimestamp(at - 3610e6) };
    const whole = file('twice/all.jsonl', [earlier, open, later].map(build.toLine));
    const fromFiles = cli(['sessions', '--json', '--input', whole]).stdout;
    expect(JSON.parse(fromFiles).map((x: { user: string }) => x.user)).toEqual(['ann']);
    for (const [k, order] of [[[open, later], [earlier]], [[earlier], [open, later]], [[later], [open], [earlier]]].entries()) {
      const name = database();
      const inputs = order.map((records, i) => file(`twice/${k}-${i}.jsonl`, records.map(build.toLine)));
      for (const input of inputs) expect(cli(['ship', '--once', '--db', url(name), '--input', input]).status).toBe(0);
      expect(cli(['sessions', '--json', '--db', url(name)]).stdout.replaceAll(',"verified":false,"host_last_contact":null}', '}')).toBe(fromFiles);
    }
  });

  it("reads of what may have ended the open sessions only what each host recorded from its earliest open on, with the files' answers", () => {
    const name = database();
    const day = 86_400e6;
    const t0 = Date.parse('2026-03-01T00:00:00Z') * 1000;
    const origin = (host: string, boot: string, source: 'pam' | 'systemd' = 'pam') => ({ host, boot_id: `7a2fbc11-fb9c-496f-9b67-0000000000${boot}`, source }) as const;
    const login = (user: string, pid: number): build.Login => ({ user, uid: 1000, tty: 'pts/3', rhost: '203.0.113.8', ruser: null, service: 'sshd', pid, pid_start: pid * 10 });
    const records: LogRecord[] = [];
    // A month of daily boots on m1 and m2 before their sessions.
    for (let d = 0; d < 30; d++) for (const host of ['m1', 'm2']) records.push(build.boot(origin(host, `${d}`.padStart(2, '0'), 'systemd'), t0 + d * day, '6.1.0', t0 + d * day - 5e6));
    const at = t0 + 30 * day;
    // On m1: a close without an id of ann's process before she logged in (it pairs with nothing),
    // and a boot whose record was written a second time after her login, with another boot id:
    // the earlier counts, and ends nothing.
    const twice = build.boot(origin('m1', 'e1', 'systemd'), at - day / 2, '6.1.0', at - day / 2 - 5e6);
    records.push(build.sessionClose(origin('m1', '29'), login('ann', 21), at - 3600e6, null));
    records.push(twice);
    const ann = build.sessionOpen(origin('m1', 'e1'), login('ann', 21), at);
    records.push(ann);
    records.push({ ...twice, boot_id: '7a2fbc11-fb9c-496f-9b67-0000000000e2', ts: formatTimestamp(at + 3600e6) });
    // On m2: bob's session crashed with the next boot, dan logged in after it; on m3 cid logged out,
    // paired by process with a close without an id.
    records.push(build.sessionOpen(origin('m2', '29'), login('bob', 22), at + 60e6));
    records.push(build.boot(origin('m2', 'f1', 'systemd'), at + 7200e6, '6.2.0', at + 7100e6));
    records.push(build.sessionOpen(origin('m2', 'f1'), login('dan', 24), at + 7300e6));
    records.push(build.sessionOpen(origin('m3', 'a1'), login('cid', 23), at + 120e6));
    records.push(build.sessionClose(origin('m3', 'a1'), login('cid', 23), at + 180e6, null));
    const whole = file('endings/sessions.jsonl', records.map(build.toLine));
    const shipped = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'endings', '--input', whole]);
    expect([shipped.status, shipped.stderr]).toEqual([0, '']);
    // A line that is no record among m1's endings before ann's login (written around the loader):
    // a read that met it would say so.
    pg?.sql(`INSERT INTO logsphere.ending_events (event_id, ts, host, event, line) VALUES (gen_random_uuid(), '${new Date((at - day) / 1000).toISOString()}', 'm1', 'session_close', 'not a record')`, name);
    const unheard = (text: string) => text.replaceAll(',"verified":false,"host_last_contact":null}', '}');
    for (const args of [[], ['--host', 'm1'], ['--host', 'm2'], ['--host', 'm3'], ['--all']]) {
      const fromFiles = cli(['sessions', '--json', '--include-gone', ...args, '--input', whole]);
      const fromStore = cli(['sessions', '--json', '--include-gone', ...args, '--db', url(name)]);
      expect([fromStore.status, fromStore.stderr]).toEqual([0, '']);
      expect(unheard(fromStore.stdout)).toBe(fromFiles.stdout);
    }
    expect(JSON.parse(cli(['sessions', '--json', '--db', url(name)]).stdout).map((s: { user: string }) => s.user)).toEqual(['ann', 'dan']);

    // A report from an instant on reads what its period needs only, with the files' answer: bob's
    // session crashed by the boot after it, ann's open across a boot written twice, cid's closed
    // without an id. A line that is no record among m1's failed logins (written around the
    // loader), from before every session such a period needs, is not met.
    pg?.sql(`INSERT INTO logsphere.events (event_id, ts, host, event, line) VALUES (gen_random_uuid(), '${new Date((at - 2 * day) / 1000).toISOString()}', 'm1', 'auth_failure', 'not a record')`, name);
    // The files' report also counts the close without an id before ann's login, which pairs with
    // nothing: read from an instant on, as a log directory's report is, closes without an open are not counted.
    const generated = (text: string) =>
      text.replace(/"generated_at": "[^"]*"/, '"generated_at": "-"').replace(/"longest_s": [\d.]+/g, '"longest_s": -').replace(/"warnings": \[[^\]]*\]/, '"warnings": []');
    const until = new Date((at + day) / 1000).toISOString();
    for (const from of [at - 3 * 3600e6, at - 1800e6, at + 90e6, at + 150e6, at + 7250e6]) {
      const args = ['report', '--format', 'json', '--since', new Date(from / 1000).toISOString(), '--until', until];
      const fromStore = cli([...args, '--db', url(name)]);
      expect([fromStore.status, fromStore.stderr]).toEqual([0, '']);
      expect(generated(fromStore.stdout)).toBe(generated(cli([...args, '--input', whole]).stdout));
      expect(JSON.parse(fromStore.stdout).totals.sessions).toBeGreaterThan(0);
    }
    // From before it, the read meets it and says so.
    const whole30 = cli(['report', '--format', 'json', '--since', new Date((t0 - day) / 1000).toISOString(), '--until', until, '--db', url(name)]);
    expect(whole30.stderr).toMatch(/^logsphere: skipped 1 malformed line in postgresql:\/\/\S+\n$/);
  });

  it('pairs a close without a session id with the open the files pair it with, one a boot ended', () => {
    const name = database();
    const at = Date.parse('2026-05-01T00:00:00Z') * 1000;
    const origin = (host: string, boot: string, source: 'pam' | 'systemd' = 'pam') => ({ host, boot_id: `7a2fbc11-fb9c-496f-9b67-0000000000${boot}`, source }) as const;
    const login = (user: string): build.Login => ({ user, uid: 1000, tty: 'tty1', rhost: null, ruser: null, service: 'login', pid: 812, pid_start: 940 });
    const records: LogRecord[] = [];
    // On p1: eve's login of the second boot, dated before the first boot's by a clock not yet set;
    // her login of the first boot, by a process of the same pid and start, ended by the second
    // boot; then a close of that process without a session id. It pairs with the latest earlier
    // open without a close, the first boot's: the second boot's login is current.
    const current = build.sessionOpen(origin('p1', 'b2'), login('eve'), at);
    records.push(current, build.sessionOpen(origin('p1', 'b1'), login('eve'), at + 60e6));
    records.push(build.boot(origin('p1', 'b2', 'systemd'), at + 3600e6, '6.1.0', at + 3590e6));
    records.push(build.sessionClose(origin('p1', 'b2'), login('eve'), at + 7200e6, null));
    // On p2, the same without the boot: the close pairs with the later open, the earlier is current.
    const earlier = build.sessionOpen(origin('p2', 'b2'), login('fay'), at);
    records.push(earlier, build.sessionOpen(origin('p2', 'b2'), login('fay'), at + 60e6), build.sessionClose(origin('p2', 'b2'), login('fay'), at + 7200e6, null));
    const whole = file('pairing/sessions.jsonl', records.map(build.toLine));
    const shipped = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'pairing', '--input', whole]);
    expect([shipped.status, shipped.stderr]).toEqual([0, '']);
    const unheard = (text: string) => text.replaceAll(',"verified":false,"host_last_contact":null}', '}');
    for (const args of [[], ['--host', 'p1'], ['--host', 'p2']]) {
      const fromFiles = cli(['sessions', '--json', '--include-gone', ...args, '--input', whole]);
      const fromStore = cli(['sessions', '--json', '--include-gone', ...args, '--db', url(name)]);
      expect([fromStore.status, fromStore.stderr]).toEqual([0, '']);
      expect(unheard(fromStore.stdout)).toBe(fromFiles.stdout);
    }
    const listed = JSON.parse(cli(['sessions', '--json', '--db', url(name)]).stdout) as Array<{ session_id: string }>;
    expect(listed.map((s) => s.session_id)).toEqual([current.session_id, earlier.session_id]);
  });

  it('reads the newest failed logins back from the newest record only as far as they need, with the files\' answers', () => {
    const name = database();
    const t0 = Date.parse('2026-04-01T00:00:00Z') * 1000;
    const origin = (host: string) => ({ host, boot_id: '7a2fbc11-fb9c-496f-9b67-0000000000f1', source: 'pam' }) as const;
    const login = (user: string, pid: number): build.Login => ({ user, uid: null, tty: 'ssh', rhost: `198.51.100.${pid % 200}`, ruser: null, service: 'sshd', pid, pid_start: pid * 10 });
    // Every 6 hours for 20 days, on two hosts, by three users; a login now and then.
    const records: LogRecord[] = [];
    for (let k = 0; k < 80; k++) {
      records.push(build.authFailure(origin(k % 2 === 0 ? 'f1' : 'f2'), login(['root', 'admin', 'oracle'][k % 3] as string, 100 + k), t0 + k * 6 * 3600e6));
      if (k % 10 === 0) records.push(build.sessionOpen(origin('f1'), login('ann', 500 + k), t0 + k * 6 * 3600e6 + 60e6));
    }
    const whole = file('failures/sessions.jsonl', records.map(build.toLine));
    const shipped = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'failures', '--input', whole]);
    expect([shipped.status, shipped.stderr]).toEqual([0, '']);
    // A line that is no record among the failures, a day before the first (written around the
    // loader): a read that met it would say so.
    pg?.sql(`SELECT logsphere.ensure_month('2026-03-01'); INSERT INTO logsphere.events (event_id, ts, host, event, line) VALUES (gen_random_uuid(), '${new Date((t0 - 86_400e6) / 1000).toISOString()}', 'f1', 'auth_failure', 'not a record')`, name);
    const until = new Date((t0 + 10 * 86_400e6) / 1000).toISOString();
    const since = new Date((t0 + 15 * 86_400e6) / 1000).toISOString();
    for (const args of [['-n', '3'], ['-n', '5', '--json'], ['-n', '4', '--host', 'f2'], ['-n', '2', '--user', 'oracle'], ['-n', '6', '--until', until], ['-n', '3', '--since', since, '--json'], ['-n', '30', '--since', since]]) {
      const fromFiles = cli(['failed', ...args, '--input', whole]);
      const fromStore = cli(['failed', ...args, '--db', url(name)]);
      expect([fromStore.status, fromStore.stderr]).toEqual([0, '']);
      expect(fromStore.stdout).toBe(fromFiles.stdout);
      expect(fromStore.stdout.length).toBeGreaterThan(30);
    }
    // More than there are, or a summary: every failure is read, the line that is no record with them.
    for (const args of [['-n', '100'], ['--by', 'rhost']]) {
      const fromStore = cli(['failed', ...args, '--db', url(name)]);
      expect(fromStore.stderr).toMatch(/^logsphere: skipped 1 malformed line in postgresql:\/\/\S+\n$/);
      expect(fromStore.stdout).toBe(cli(['failed', ...args, '--input', whole]).stdout);
    }
  });

  it('loads a damaged segment up to its damage, batch after batch, and says so', () => {
    const name = database();
    // Records, each once (the history's own duplicates and malformed lines left out).
    const seen = new Set<string>();
    const lines = generateHistory({ sessions: 4000, seed: 21 }).lines.filter((l) => {
      const id = parseRecordLine(l.trimEnd())?.event_id;
      return id !== undefined && !seen.has(id) && seen.add(id) !== undefined;
    });
    const whole = gzipSync(Buffer.from(lines.join('')));
    const damaged = whole.subarray(0, Math.floor(whole.length * 0.8));
    const path = `${dir}/damaged/sessions-20260101T000000Z.jsonl.gz`;
    mkdirSync(`${dir}/damaged`, { recursive: true });
    writeFileSync(path, damaged);
    // What the damaged file still gives: its whole lines before the damage.
    const readable = gunzipSync(damaged, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString('utf8');
    const before = readable.slice(0, readable.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '').length;
    expect(before).toBeGreaterThan(5000);
    expect(before).toBeLessThan(lines.length);
    const r = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'damaged', '--input', path]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(path);
    // Batches after the first, to the damage (the reader gives whole pieces of the stream before
    // it, up to zlib's own last readable byte): the first lines of the file, each once.
    const loaded = Number(pg?.sql('SELECT count(*) FROM logsphere.events', name));
    expect(loaded).toBeGreaterThan(5000);
    expect(loaded).toBeLessThanOrEqual(before);
    const first = lines.slice(0, loaded).map((l) => (parseRecordLine(l.trimEnd()) as LogRecord).event_id).sort();
    expect(pg?.sql('SELECT event_id FROM logsphere.events ORDER BY event_id', name)?.trimEnd().split('\n')).toEqual(first);
  });

  it('reads on from where it stopped: a second run loads only what was appended', () => {
    const name = database();
    // Records only, each once.
    const lines = [...new Set(generateHistory({ sessions: 60, seed: 9 }).lines)].filter((l) => parseRecordLine(l.trimEnd()) !== null);
    const half = lines.length >> 1;
    const path = file('grow/sessions.jsonl', lines.slice(0, half));
    expect(cli(['ship', '--once', '--db', url(name), '--checkpoint', 'grow', '--input', path]).stdout).toBe(`shipped ${half} records from 1 file (${half} new), 0 lines quarantined\n`);
    // The rest appended, the last line without its newline yet (a writer mid-append): left for later.
    const rest = lines.slice(half);
    writeFileSync(path, rest.slice(0, -1).join('') + (rest.at(-1) as string).trimEnd(), { flag: 'a' });
    expect(cli(['ship', '--once', '--db', url(name), '--checkpoint', 'grow', '--input', path]).stdout).toBe(`shipped ${rest.length - 1} records from 1 file (${rest.length - 1} new), 0 lines quarantined\n`);
    writeFileSync(path, '\n', { flag: 'a' });
    expect(cli(['ship', '--once', '--db', url(name), '--checkpoint', 'grow', '--input', path]).stdout).toBe('shipped 1 record from 1 file (1 new), 0 lines quarantined\n');
    expect(pg?.sql('SELECT count(*) FROM logsphere.events', name)).toBe(`${lines.length}\n`);
  });

  it('leaves every record in the store once when a ship is killed mid-load and run again', async () => {
    const name = database();
    const history = generateHistory({ sessions: 12_000, seed: 5 });
    const path = file('big/sessions.jsonl', history.lines);
    const state = `${dir}/kill-state`;
    const checkpoint = `${state}/ship-kill.json`;
    const env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: state, LOGSPHERE_HOSTNAME: 'relay', PATH: '/usr/bin:/bin' };
    const child = spawn(nodePath, [cliBundle, 'ship', '--once', '--db', url(name), '--checkpoint', 'kill', '--input', path], { env, stdio: 'ignore' });
    // Killed once its first batch is committed (the checkpoint moved), before it has finished.
    await waitFor('the first batch to be committed', () => (existsSync(checkpoint) || child.exitCode !== null ? true : null), 60_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    const loaded = Number(pg?.sql('SELECT count(*) FROM logsphere.events', name));
    const records = new Set(history.records.map((r) => r.event_id)).size;
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThan(records);
    const resumed = cli(['ship', '--once', '--db', url(name), '--checkpoint', 'kill', '--input', path], state);
    expect(resumed.status).toBe(0);
    expect(pg?.sql('SELECT count(*), count(DISTINCT event_id) FROM logsphere.events', name)).toBe(`${records}|${records}\n`);
  }, 120_000);

  it('loads 100,000 records once though killed 20 times while the log grows and rotates', async () => {
    const name = database();
    const history = generateHistory({ sessions: 54_000, seed: 29 });
    const lines = history.lines.filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(100_000);
    const log = `${dir}/kill20-log`;
    const state = `${dir}/kill20-state`;
    mkdirSync(log, { recursive: true });
    const env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: state, LOGSPHERE_LOG_DIR: log, LOGSPHERE_RUN_DIR: `${dir}/kill20-run`, LOGSPHERE_KEEP_DAYS: '0', LOGSPHERE_HOSTNAME: 'relay', PATH: '/usr/bin:/bin' };
    const checkpoint = `${state}/ship-kill20.json`;
    const ship = ['ship', '--once', '--db', url(name), '--checkpoint', 'kill20', '--input', log];
    const chunk = Math.ceil(lines.length / 25);
    let written = 0;
    const append = (n: number) => {
      writeFileSync(`${log}/sessions.jsonl`, lines.slice(written, written + n).join(''), { flag: 'a' });
      written = Math.min(lines.length, written + n);
    };
    append(chunk * 4);
    for (let round = 0; round < 20; round++) {
      const before = existsSync(checkpoint) ? readFileSync(checkpoint, 'utf8') : '';
      const child = spawn(nodePath, [cliBundle, ...ship], { env, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('close', resolve));
      // Rotated (renamed, then compressed: a new file) while it loads, every fourth round.
      if (round % 4 === 3) expect(spawnSync(nodePath, [cliBundle, 'rotate', '--now'], { env, encoding: 'utf8' }).status).toBe(0);
      // Killed once it has committed a batch (its position moved), or when it is done.
      await waitFor('a batch committed', () => (child.exitCode !== null || (existsSync(checkpoint) && readFileSync(checkpoint, 'utf8') !== before) ? true : null), 60_000);
      child.kill('SIGKILL');
      await exited;
      append(chunk);
    }
    append(lines.length);
    expect(spawnSync(nodePath, [cliBundle, 'rotate', '--now'], { env, encoding: 'utf8' }).status).toBe(0);
    const last = spawnSync(nodePath, [cliBundle, ...ship], { env, encoding: 'utf8' });
    expect([last.status, last.stderr]).toEqual([0, '']);
    expect(readdirSync(log).filter((f) => f.endsWith('.jsonl.gz')).length).toBeGreaterThanOrEqual(6);
    const records = new Set(history.records.map((r) => r.event_id)).size;
    expect(pg?.sql('SELECT count(*), count(DISTINCT event_id) FROM logsphere.events', name)).toBe(`${records}|${records}\n`);
    // Every malformed line is in the quarantine, none twice from one file.
    const malformed = new Set(lines.filter((l) => parseRecordLine(l.trimEnd()) === null)).size;
    expect(Number(pg?.sql('SELECT count(DISTINCT line) FROM logsphere.quarantine', name))).toBe(malformed);
  }, 300_000);

  it('gives the ship role inserts only, through the loader, and the read role reads only', () => {
    const name = database();
    pg?.sql("DO $$ BEGIN CREATE ROLE shipper LOGIN IN ROLE logsphere_ship; CREATE ROLE reader LOGIN IN ROLE logsphere_read; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    const shippedHistory = generateHistory({ sessions: 20, seed: 3 });
    const path = file('roles/sessions.jsonl', shippedHistory.lines);
    const shipped = cli(['ship', '--once', '--db', url(name, 'shipper'), '--checkpoint', 'roles', '--input', path]);
    expect([shipped.status, shipped.stderr]).toEqual([0, '']);
    let count = pg?.sql('SELECT count(*) FROM logsphere.events', name);
    expect(Number(count)).toBeGreaterThan(0);
    const refused = ['DELETE FROM logsphere.events', "UPDATE logsphere.events SET host = 'x'", 'SELECT count(*) FROM logsphere.events', 'DROP TABLE logsphere.quarantine'];
    refused.push('DELETE FROM logsphere.ending_events', 'DELETE FROM logsphere.open_sessions', "INSERT INTO logsphere.ending_events VALUES (gen_random_uuid(), now(), 'h', 'boot', '{}')");
    for (const statement of refused) {
      expect(() => pg?.sql(statement, name, 'shipper')).toThrow(/permission denied|must be owner/);
    }
    // Through the loader's function, only a stored open that no close ended is kept: one the store
    // lacks, a stored one named with another session id, or a closed one changes nothing.
    const open = generateHistory({ sessions: 1, seed: 4 }).records.find((r) => r.event === 'session_open') as LogRecord & { session_id: string };
    const closedIds = new Set(shippedHistory.records.flatMap((r) => (r.event === 'session_close' && r.session_id !== null ? [r.session_id] : [])));
    const closed = shippedHistory.records.find((r) => r.event === 'session_open' && closedIds.has(r.session_id)) as LogRecord & { session_id: string };
    const before = pg?.sql('SELECT count(*) FROM logsphere.open_sessions', name);
    const note = (session: string, record: LogRecord) => `SELECT logsphere.note_sessions(ARRAY['${session}']::uuid[], ARRAY['${record.event_id}']::uuid[], ARRAY['${record.ts}']::timestamptz[], '{}', '{}')`;
    for (const call of [note(open.session_id, open), note(open.session_id, closed), note(closed.session_id, closed)]) pg?.sql(call, name, 'shipper');
    expect(pg?.sql('SELECT count(*) FROM logsphere.open_sessions', name)).toBe(before);
    // While a stored open no close ended is kept by the same call (taken out first, it comes back).
    const unclosed = shippedHistory.records.find((r) => r.event === 'session_open' && !closedIds.has(r.session_id)) as LogRecord & { session_id: string };
    pg?.sql(`DELETE FROM logsphere.open_sessions WHERE session_id = '${unclosed.session_id}'`, name);
    pg?.sql(note(unclosed.session_id, unclosed), name, 'shipper');
    expect(pg?.sql(`SELECT count(*) FROM logsphere.open_sessions WHERE session_id = '${unclosed.session_id}'`, name)).toBe('1\n');
    expect(pg?.sql('SELECT count(*) FROM logsphere.open_sessions', name)).toBe(before);
    // A close is taken only as stored: naming an open's record as a close ends nothing.
    pg?.sql(`SELECT logsphere.note_sessions('{}', '{}', '{}', ARRAY['${unclosed.event_id}']::uuid[], ARRAY['${unclosed.ts}']::timestamptz[])`, name, 'shipper');
    expect(pg?.sql(`SELECT count(*) FROM logsphere.open_sessions WHERE session_id = '${unclosed.session_id}'`, name)).toBe('1\n');
    // The boots, shutdowns and id-less closes are kept by the store itself, whoever inserts them:
    // the shipping role's own INSERT of a boot is among them.
    const endings = Number(pg?.sql('SELECT count(*) FROM logsphere.ending_events', name));
    expect(endings).toBeGreaterThan(0);
    const boot = generateHistory({ sessions: 1, seed: 4 }).records.find((r) => r.event === 'boot') as LogRecord;
    pg?.sql(`SELECT logsphere.ensure_month('${boot.ts.slice(0, 7)}-01'); INSERT INTO logsphere.events (event_id, ts, host, event, line) VALUES ('${boot.event_id}', '${boot.ts}', '${boot.host}', 'boot', '${build.toLine(boot).trimEnd()}')`, name, 'shipper');
    expect(pg?.sql('SELECT count(*) FROM logsphere.ending_events', name)).toBe(`${endings + 1}\n`);
    count = pg?.sql('SELECT count(*) FROM logsphere.events', name);
    expect(pg?.sql('SELECT count(*) FROM logsphere.events', name, 'reader')).toBe(count);
    expect(() => pg?.sql("INSERT INTO logsphere.quarantine VALUES ('\\x00', 's', 1, 'r', '\\x00')", name, 'reader')).toThrow(/permission denied/);
    expect(() => pg?.sql("SELECT logsphere.ensure_month('2020-01-01')", name, 'reader')).toThrow(/permission denied/);
    // The reader answers last.
    expect(cli(['last', '--json', '--db', url(name, 'reader')]).status).toBe(0);
    // Neither may retain, and says so though no month is due yet.
    for (const role of ['shipper', 'reader']) {
      expect(cli(['db', 'retain', '--keep-days', '400', '--db', url(name, role)])).toMatchObject({ status: 1, stderr: 'logsphere: db retain drops tables owned by postgres: run it as that role (the one that ran db migrate)\n' });
    }
  });

  it('following, rides out the store stopped and started again: every record once, the outage said once', async () => {
    const name = database();
    const history = [...new Set(generateHistory({ sessions: 300, seed: 13 }).lines)].filter((l) => parseRecordLine(l.trimEnd()) !== null);
    const third = Math.floor(history.length / 3);
    const path = file('outage/sessions.jsonl', history.slice(0, third));
    const env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: `${dir}/outage-state`, LOGSPHERE_HOSTNAME: 'relay', PATH: '/usr/bin:/bin' };
    const child = spawn(nodePath, [cliBundle, 'ship', '--db', url(name), '--input', path], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const stored = () => {
      try {
        return Number(pg?.sql('SELECT count(*) FROM logsphere.events', name));
      } catch {
        return -1;
      }
    };
    try {
      await waitFor('the first third in the store', () => (stored() === third ? true : null), 30_000);
      await pg?.stop('fast');
      writeFileSync(path, history.slice(third, 2 * third).join(''), { flag: 'a' });
      await waitFor('the outage to be noticed', () => (stderr.includes('cannot load into') ? true : null), 30_000);
      writeFileSync(path, history.slice(2 * third).join(''), { flag: 'a' });
      await pg?.start();
      await waitFor('every record in the store', () => (stored() === history.length ? true : null), 60_000);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('close', resolve)));
    }
    expect(child.exitCode).toBe(0);
    expect(pg?.sql('SELECT count(DISTINCT event_id) FROM logsphere.events', name)).toBe(`${history.length}\n`);
    // Retried with a growing pause, and said once for the outage, once for its end.
    expect(stderr.match(/cannot load into postgresql:\/\/postgres@127\.0\.0\.1:\d+\/fleet\d+: .*; retrying\n/g)).toHaveLength(1);
    expect(stderr.match(/answers again/g)).toHaveLength(1);
  }, 120_000);

  it('following, says an input it cannot read is its own trouble, not the store\'s, and loads it once it is there', async () => {
    const name = database();
    const lines = [...new Set(generateHistory({ sessions: 10, seed: 31 }).lines)].filter((l) => parseRecordLine(l.trimEnd()) !== null);
    const path = `${dir}/late-input/sessions.jsonl`;
    const env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: `${dir}/late-state`, LOGSPHERE_HOSTNAME: 'relay', PATH: '/usr/bin:/bin' };
    const child = spawn(nodePath, [cliBundle, 'ship', '--db', url(name), '--input', path], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor('the missing input said', () => (stderr.includes('retrying') ? true : null), 30_000);
      file('late-input/sessions.jsonl', lines);
      await waitFor('the input in the store', () => (Number(pg?.sql('SELECT count(*) FROM logsphere.events', name)) === lines.length ? true : null), 60_000);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('close', resolve)));
    }
    expect(stderr).toBe(`logsphere: Cannot read ${path}: no such file or directory; retrying\n`);
  }, 90_000);

  it('following, says once what an input directory holds that it does not read, at whatever poll it meets it', async () => {
    const name = database();
    const lines = [...new Set(generateHistory({ sessions: 20, seed: 29 }).lines)].filter((l) => parseRecordLine(l.trimEnd()) !== null);
    // A relay's directory of host directories, which ship does not read into, and a file it does.
    mkdirSync(`${dir}/hostdirs/web1`, { recursive: true });
    writeFileSync(`${dir}/hostdirs/web1/sessions.jsonl`, lines[0] as string);
    const path = file('hostdirs-file/all.jsonl', lines.slice(0, 10));
    const env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: `${dir}/hostdirs-state`, LOGSPHERE_HOSTNAME: 'relay', PATH: '/usr/bin:/bin' };
    const child = spawn(nodePath, [cliBundle, 'ship', '--db', url(name), '--input', `${dir}/hostdirs`, '--input', path], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const stored = () => Number(pg?.sql('SELECT count(*) FROM logsphere.events', name));
    try {
      await waitFor('the first lines in the store', () => (stored() === 10 ? true : null), 30_000);
      // Loaded at a later poll, which lists the directory again.
      writeFileSync(path, lines.slice(10).join(''), { flag: 'a' });
      await waitFor('the rest in the store', () => (stored() === lines.length ? true : null), 30_000);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('close', resolve)));
    }
    expect(stderr).toBe(`logsphere: skipped ${dir}/hostdirs/web1: a directory (the directories in an input directory are not read: give each with --input)\n`);
  }, 90_000);

  it("hears each host's ship: sessions it found gone end, a host not heard from lately is shown unverified", () => {
    const name = database();
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const startTicks = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19]);
    const at = Date.now() * 1000 - 3600e6;
    const login = (user: string, pid: number, pidStart: number): build.Login => ({ user, uid: 1000, tty: 'pts/1', rhost: '203.0.113.9', ruser: null, service: 'sshd', pid, pid_start: pidStart });
    const here = { host: 'relay', boot_id: bootId, source: 'pam' } as const;
    const far = { host: 'far1', boot_id: '7a2fbc11-fb9c-496f-9b67-00000000beef', source: 'pam' } as const;
    // This test's own process runs; pid 4194303 with that start does not.
    const records = [
      build.sessionOpen(here, login('alive', process.pid, startTicks(process.pid)), at),
      build.sessionOpen(here, login('dead', 4194303, 1), at + 1e6),
      build.sessionOpen(far, login('faraway', 4242, 7), at + 2e6),
      // A second session of this process: its process is checked once.
      build.sessionOpen(here, login('again', process.pid, startTicks(process.pid)), at + 3e6),
    ];
    const log = `${dir}/own-log`;
    file('own-log/sessions.jsonl', records.map(build.toLine));
    const env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: `${dir}/own-state`, LOGSPHERE_LOG_DIR: log, LOGSPHERE_RUN_DIR: `${dir}/own-run`, LOGSPHERE_HOSTNAME: 'relay', TZ: 'UTC', PATH: '/usr/bin:/bin' };
    const run = (args: string[]) => spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env });
    // A check of relay's from an earlier boot, which its next heartbeat no longer names.
    pg?.sql("INSERT INTO logsphere.process_checks VALUES ('relay', 'an-earlier-boot', 77, 7, true, now())", name);
    // Its own log (no --input): the records, and a heartbeat for relay with its two processes checked.
    const shipped = run(['ship', '--once', '--db', url(name)]);
    expect([shipped.status, shipped.stderr]).toEqual([0, '']);
    expect(pg?.sql("SELECT host FROM logsphere.hosts", name)).toBe('relay\n');
    expect(pg?.sql('SELECT pid, alive FROM logsphere.process_checks ORDER BY pid', name)).toBe(`${process.pid}|t\n4194303|f\n`);
    // A relay's files shipped from the same state directory keep a position of their own: the log's
    // next ship reads nothing again.
    const relayed = run(['ship', '--once', '--db', url(name), '--input', file('own-relay/sessions.jsonl', [build.toLine(build.authFailure(far, login('relayed', 4343, 9), at + 4e6))])]);
    expect([relayed.status, relayed.stdout]).toEqual([0, 'shipped 1 record from 1 file (1 new), 0 lines quarantined\n']);
    expect(run(['ship', '--once', '--db', url(name)]).stdout).toBe('shipped 0 records from 1 file (0 new), 0 lines quarantined\n');
    expect(readdirSync(`${dir}/own-state`).filter((f) => f.startsWith('ship-')).sort()).toEqual(['ship-default.json', expect.stringMatching(/^ship-input-[0-9a-f]{16}\.json$/)]);

    const listed = () => JSON.parse(run(['sessions', '--json', '--include-gone', '--db', url(name)]).stdout) as Array<Record<string, unknown>>;
    const fresh = listed();
    expect(fresh.map((s) => [s['user'], s['end'], s['verified'], s['host_last_contact'] === null])).toEqual([
      ['alive', null, true, false],
      ['dead', 'gone', true, false],
      ['faraway', null, false, true],
      ['again', null, true, false],
    ]);
    expect(JSON.parse(run(['sessions', '--json', '--db', url(name)]).stdout).map((s: Record<string, unknown>) => s['user'])).toEqual(['alive', 'faraway', 'again']);

    // relay not heard from for ten minutes: its sessions unverified, with when it was last heard from.
    pg?.sql("UPDATE logsphere.hosts SET last_contact = '2026-11-30T08:15:00Z'", name);
    expect(listed().map((s) => [s['user'], s['verified'], s['host_last_contact']])).toEqual([
      ['alive', false, '2026-11-30T08:15:00.000000Z'],
      ['dead', false, '2026-11-30T08:15:00.000000Z'],
      ['faraway', false, null],
      ['again', false, '2026-11-30T08:15:00.000000Z'],
    ]);
    const text = run(['sessions', '--db', url(name)]).stdout.split('\n');
    expect(text[0]).toMatch(/ VERIFIED$/);
    expect(text.slice(1, 3).map((l) => / (no, Mon Nov 30 08:15|never)$/.exec(l)?.[1])).toEqual(['no, Mon Nov 30 08:15', 'never']);
  });

  it('loads what an rsyslog relay wrote for many hosts, a file per sender as docs/collectors.md has it, with the same answers as from the hosts\' own logs', async () => {
    const name = database();
    const history = generateHistory({ sessions: 300, seed: 23 });
    const source = file('relay-src/sessions.jsonl', []);
    const relay = `${dir}/relay-out`;
    mkdirSync(relay, { recursive: true });

    const port = await freePort();
    const daemons: Rsyslog[] = [];
    try {
      daemons.push(
        await startRsyslog(`${dir}/relay-receiver`, [
          'module(load="imtcp")',
          `input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="out")`,
          'template(name="logsphere-line" type="string" string="%msg%\\n")',
          `template(name="logsphere-per-host" type="string" string="${relay}/%hostname:::secpath-replace%.jsonl")`,
          'ruleset(name="out") { action(type="omfile" dynaFile="logsphere-per-host" template="logsphere-line") }',
        ], () => portOpen(port)),
      );
      daemons.push(
        await startRsyslog(`${dir}/relay-sender`, [
          'module(load="imfile" mode="inotify")',
          `input(type="imfile" file="${source}" tag="logsphere" ruleset="fwd")`,
          `ruleset(name="fwd") { action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" template="RSYSLOG_SyslogProtocol23Format" action.resumeRetryCount="-1" queue.type="LinkedList") }`,
        ], () => existsSync(`${dir}/relay-sender/rsyslogd.pid`)),
      );
      // The hosts' records appended as they happen; blank lines are not forwarded.
      const sent = history.lines.filter((l) => l.trim() !== '');
      for (let i = 0; i < sent.length; i += 100) writeFileSync(source, sent.slice(i, i + 100).join(''), { flag: 'a' });
      const lines = () => readdirSync(relay).reduce((n, f) => n + readFileSync(`${relay}/${f}`, 'utf8').split('\n').filter((l) => l !== '').length, 0);
      await waitFor('every line at the relay', () => (lines() >= sent.length ? true : null), 60_000);
    } finally {
      for (const d of daemons) await d.stop();
    }
    // One sender, this machine: one file, under its host name.
    expect(readdirSync(relay)).toEqual([expect.stringMatching(/^[^/]+\.jsonl$/)]);
    const r = cli(['ship', '--once', '--db', url(name), '--input', `${relay}/`]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const records = new Set(history.records.map((x) => x.event_id)).size;
    expect(pg?.sql('SELECT count(*), count(DISTINCT host) FROM logsphere.events', name)).toBe(`${records}|4\n`);
    const whole = file('relay-whole/sessions.jsonl', history.lines);
    const body = (text: string) => text.replace(/\n\S+ begins .*\n$/, '\n');
    for (const args of [['last', '--json', '-x'], ['sessions', '--by-host'], ['failed', '--json']]) {
      expect(body(cli([...args, '--db', url(name)]).stdout)).toBe(body(cli([...args, '--input', whole]).stdout));
    }
  }, 120_000);

  it('retains whole months: db retain drops the partitions older than the days kept', () => {
    const name = database();
    const origin = { host: 'old1', boot_id: '7a2fbc11-fb9c-496f-9b67-000000000001', source: 'systemd' } as const;
    const at = (iso: string) => Date.parse(iso) * 1000;
    const boots = ['2020-01-05T10:00:00Z', '2020-02-05T10:00:00Z', new Date().toISOString()].map((t) => build.toLine(build.boot(origin, at(t), '6.1.0', at(t) - 5e6)));
    // A session left open in each of the old months and one now: the old ones go with their months.
    const opens = ['2020-01-06T10:00:00Z', '2020-02-28T23:59:59Z', new Date().toISOString()].map((t, k) =>
      build.toLine(build.sessionOpen({ ...origin, source: 'pam' }, { user: `keep${k}`, uid: 1000, tty: `pts/${k}`, rhost: null, ruser: null, service: 'sshd', pid: 100 + k, pid_start: 5 }, at(t))),
    );
    cli(['ship', '--once', '--db', url(name), '--checkpoint', 'retain', '--input', file('retain/sessions.jsonl', [...boots, ...opens])]);
    const users = () => (JSON.parse(cli(['sessions', '--json', '--db', url(name)]).stdout) as Array<{ user: string }>).map((x) => x.user);
    expect(users()).toEqual(['keep0', 'keep1', 'keep2']);
    // What a host that no longer ships last said of its processes, in 2020, and of one now.
    pg?.sql("INSERT INTO logsphere.process_checks VALUES ('old1', 'b', 1, 1, true, '2020-02-01T00:00:00Z'), ('old1', 'b', 2, 2, true, now())", name);
    const months = () => pg?.sql("SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events'", name).trim();
    const now = new Date();
    const current = `events_${now.getUTCFullYear()}_${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(months()).toBe(['events_2020_01', 'events_2020_02', current].join(','));
    const r = cli(['db', 'retain', '--keep-days', '30', '--db', url(name)]);
    expect([r.status, r.stdout]).toEqual([0, 'dropped events_2020_01, events_2020_02\n']);
    expect(months()).toBe(current);
    expect(pg?.sql('SELECT count(*) FROM logsphere.events', name)).toBe('2\n');
    expect(users()).toEqual(['keep2']);
    expect(pg?.sql('SELECT pid FROM logsphere.process_checks', name)).toBe('2\n');
    expect(cli(['db', 'retain', '--db', url(name)]).stderr).toContain('--keep-days N (whole days) is required');
    // Keeping no day would drop every month but this one.
    expect([cli(['db', 'retain', '--keep-days', '0', '--db', url(name)]).status, months()]).toEqual([2, current]);
  });

  it('retains while a query reads: the drop waits for the query, which sees what it began with', async () => {
    const name = database();
    const origin = { host: 'old2', boot_id: '7a2fbc11-fb9c-496f-9b67-000000000003', source: 'systemd' } as const;
    const at = (iso: string) => Date.parse(iso) * 1000;
    const boots = ['2021-03-05T10:00:00Z', '2021-03-06T10:00:00Z', new Date().toISOString()].map((t) => build.toLine(build.boot(origin, at(t), '6.1.0', at(t) - 5e6)));
    cli(['ship', '--once', '--db', url(name), '--checkpoint', 'retain-query', '--input', file('retain-query/sessions.jsonl', boots)]);
    // A reader's transaction: counts, waits, counts again.
    const pgReady = pg as Postgres;
    const reader = spawn(psqlPath, ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', pgReady.dir, '-p', String(pgReady.port), '-U', 'postgres', '-d', name, '-c',
      "BEGIN; SELECT count(*) FROM logsphere.events; SELECT pg_sleep(1.5) AS reading; SELECT count(*) FROM logsphere.events; COMMIT;"], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const readerDone = new Promise<number | null>((resolve) => reader.on('close', resolve));
    await waitFor('the reader inside its transaction', () => (pgReady.sql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1.5)%' AND state = 'active' AND pid <> pg_backend_pid()") === '1\n' ? true : null));
    const retained = spawnSync(nodePath, [cliBundle, 'db', 'retain', '--keep-days', '30', '--db', url(name)], { encoding: 'utf8', env: { LOGSPHERE_CONFIG: '/dev/null', PATH: '/usr/bin:/bin' } });
    expect([retained.status, retained.stdout, retained.stderr]).toEqual([0, 'dropped events_2021_03\n', '']);
    expect(await readerDone).toBe(0);
    // It counted three records twice: the drop came after its transaction.
    expect(out.split('\n').filter((l) => /^\d+$/.test(l))).toEqual(['3', '3']);
    expect(pgReady.sql('SELECT count(*) FROM logsphere.events', name)).toBe('1\n');
    // The boots of the month dropped went from the boots kept apart with it.
    expect(pgReady.sql('SELECT count(*) FROM logsphere.ending_events', name)).toBe('1\n');
  });

  it('speaks TLS as libpq takes sslmode: verify-full checks the CA and the name, require only encrypts, prefer falls back', async () => {
    // A cluster that takes TCP connections over TLS only, its certificate for 127.0.0.1 signed by a test CA.
    const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });
    const tls = await startPostgres({
      settings: ['ssl=on', 'ssl_cert_file=server.crt', 'ssl_key_file=server.key'],
      prepare: (pgDir, owner) => {
        const data = `${pgDir}/data`;
        for (const ca of ['ca', 'other-ca']) openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${pgDir}/${ca}.key`, '-out', `${pgDir}/${ca}.crt`, '-days', '2', '-subj', `/CN=LogSphere test ${ca}`], pgDir);
        openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${data}/server.key`, '-out', `${pgDir}/server.csr`, '-subj', '/CN=127.0.0.1'], pgDir);
        writeFileSync(`${pgDir}/san.ext`, 'subjectAltName=IP:127.0.0.1\n');
        openssl(['x509', '-req', '-in', `${pgDir}/server.csr`, '-CA', `${pgDir}/ca.crt`, '-CAkey', `${pgDir}/ca.key`, '-CAcreateserial', '-out', `${data}/server.crt`, '-days', '2', '-extfile', `${pgDir}/san.ext`], pgDir);
        for (const f of ['server.key', 'server.crt']) chownSync(`${data}/${f}`, owner.uid, owner.gid);
        chmodSync(`${data}/server.key`, 0o600);
        writeFileSync(`${data}/pg_hba.conf`, 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n');
      },
    });
    try {
      tls.sql('CREATE DATABASE fleet');
      const base = `postgresql://postgres@127.0.0.1:${tls.port}/fleet`;
      const verified = cli(['db', 'migrate', '--db', `${base}?sslmode=verify-full&sslrootcert=${tls.dir}/ca.crt`]);
      expect([verified.status, verified.stderr]).toEqual([0, '']);
      expect(verified.stdout).toBe('applied versions 1, 2, 3, 4, 5, 6, 7: the schema is at version 7\n');
      // Without TLS the server refuses; with another CA, or another name, verify-full refuses.
      const plain = cli(['last', '--db', base]);
      expect([plain.status, plain.stderr]).toEqual([1, expect.stringMatching(/no encryption/)]);
      const otherCa = cli(['last', '--db', `${base}?sslmode=verify-full&sslrootcert=${tls.dir}/other-ca.crt`]);
      expect([otherCa.status, otherCa.stderr]).toEqual([1, expect.stringMatching(/Cannot connect .*: .*(self.signed|unable to verify|certificate)/i)]);
      const otherName = cli(['last', '--db', `postgresql://postgres@localhost:${tls.port}/fleet?sslmode=verify-full&sslrootcert=${tls.dir}/ca.crt`]);
      expect([otherName.status, otherName.stderr]).toEqual([1, expect.stringMatching(/Cannot connect .*: .*(altnames|does not match|Hostname)/i)]);
      // require: encrypted, not verified (libpq's meaning).
      const required = cli(['last', '--json', '--db', `${base}?sslmode=require`]);
      expect([required.status, required.stdout, required.stderr]).toEqual([0, '[]\n', '']);
      // prefer: TLS where the server has it (this one refuses plain connections), without where it does not.
      expect(cli(['last', '--json', '--db', `${base}?sslmode=prefer`]).stdout).toBe('[]\n');
      const plainStore = cli(['last', '--json', '--db', `${url(database())}?sslmode=prefer`]);
      expect([plainStore.status, plainStore.stdout, plainStore.stderr]).toEqual([0, '[]\n', '']);
      // A value libpq would refuse is refused, before any connection.
      expect(cli(['last', '--db', `${base}?sslmode=verfy-full`]).stderr).toContain('sslmode=verfy-full is not one of disable, prefer, require, verify-ca, verify-full');
      expect(cli(['last', '--db', `${base}?sslmode=verify-full&sslrootcert=system`]).stderr).toContain('sslrootcert=system is not supported: name the CA file');
    } finally {
      await tls.remove();
    }
  }, 60_000);

  it('warns of a password in a --db URL on the command line, and hides it in messages', async () => {
    const r = cli(['db', 'migrate', '--db', `postgresql://postgres:s3cret@127.0.0.1:${pg?.port}/nosuchdb`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the --db URL carries a password, which any user can read with ps');
    expect(r.stderr).toContain(`Cannot connect to postgresql://postgres:***@127.0.0.1:${pg?.port}/nosuchdb`);
    expect(r.stderr).not.toContain('s3cret');
    // In libpq's form for a socket (no WHATWG URL), and with no URL at all, the text as given, its password hidden.
    const socket = cli(['last', '--db', 'postgresql://postgres:s3cret@/fleet?host=/nonexistent']);
    expect(socket.stderr).toContain('the --db URL carries a password');
    expect(socket.stderr).toContain('Cannot connect to postgresql://postgres:***@/fleet?host=/nonexistent');
    expect(socket.stderr).not.toContain('s3cret');
    expect(cli(['last', '--db', 'fleet']).stderr).toMatch(/^logsphere: --db: not a PostgreSQL URL \(postgresql:\/\/…\): fleet\n/);
    // A role the server asks a password of, and the URL gives none: where one goes (scram, md5).
    const hba = `${pg?.dir}/data/pg_hba.conf`;
    const before = readFileSync(hba, 'utf8');
    try {
      writeFileSync(hba, `host all pwscram 127.0.0.1/32 scram-sha-256\nhost all pwmd5 127.0.0.1/32 md5\n${before}`);
      pg?.sql("DO $$ BEGIN CREATE ROLE pwscram LOGIN PASSWORD 'x'; SET password_encryption = 'md5'; CREATE ROLE pwmd5 LOGIN PASSWORD 'y'; EXCEPTION WHEN duplicate_object THEN NULL; END $$; SELECT pg_reload_conf()");
      // The server reads the file again when it gets to the signal.
      await waitFor('pg_hba.conf read again', () => (/password/.test(cli(['last', '--db', url('postgres', 'pwmd5')]).stderr) ? true : null), 30_000);
      expect(cli(['last', '--db', url('postgres', 'pwscram')]).stderr).toBe(`logsphere: Cannot connect to ${url('postgres', 'pwscram')}: the server asks for a password, and none was given: put one in the URL (LOGSPHERE_DATABASE_URL in secrets.env) or in ~/.pgpass\n`);
      expect(cli(['last', '--db', url('postgres', 'pwmd5')]).stderr).toBe(`logsphere: Cannot connect to ${url('postgres', 'pwmd5')}: password authentication failed for user "pwmd5"; no password was given: put one in the URL (LOGSPHERE_DATABASE_URL in secrets.env) or in ~/.pgpass\n`);
      // A password file (PGPASSFILE, or ~/.pgpass), as libpq reads it: the password it gives is
      // used, and nothing else is said (node-postgres's own reading says it is deprecated).
      const passfile = `${dir}/pgpass`;
      writeFileSync(passfile, `127.0.0.1:${pg?.port}:*:pwscram:x\n127.0.0.1:${pg?.port}:*:pwmd5:wrong\n`);
      chmodSync(passfile, 0o600);
      const withFile = (user: string) => cli(['last', '--db', url('postgres', user)], `${dir}/state`, { PGPASSFILE: passfile }).stderr;
      expect(withFile('pwscram')).toBe('logsphere: The database has no LogSphere schema: run `logsphere db migrate --db URL` first\n');
      // A wrong one, from the file or from PGPASSWORD, is not called missing.
      const wrong = `logsphere: Cannot connect to ${url('postgres', 'pwmd5')}: password authentication failed for user "pwmd5"\n`;
      expect(withFile('pwmd5')).toBe(wrong);
      expect(cli(['last', '--db', url('postgres', 'pwmd5')], `${dir}/state`, { PGPASSWORD: 'wrong' }).stderr).toBe(wrong);
      // A file others may read is not used, as libpq would not.
      chmodSync(passfile, 0o644);
      expect(withFile('pwscram')).toBe(
        `logsphere: password file "${passfile}" has group or world access; permissions should be u=rw (0600) or less\n` +
          `logsphere: Cannot connect to ${url('postgres', 'pwscram')}: the server asks for a password, and none was given: put one in the URL (LOGSPHERE_DATABASE_URL in secrets.env) or in ~/.pgpass\n`,
      );
    } finally {
      writeFileSync(hba, before);
      pg?.sql('SELECT pg_reload_conf()');
    }
    // A store elsewhere that TLS does not verify is said to be so.
    const far = cli(['db', 'migrate', '--db', 'postgresql://postgres@db.example.invalid/fleet?sslmode=require']);
    expect(far.stderr).toContain('the connection to db.example.invalid is not verified (sslmode=require)');
    expect(cli(['db', 'migrate', '--db', 'postgresql://postgres@db.example.invalid/fleet?sslmode=verify-full']).stderr).not.toContain('not verified');
  });
});

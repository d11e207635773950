// Every unit the installer ships, run by a real systemd as PID 1 on a throwaway root (an overlay
// of `/`, test/helpers/systemd-root.ts) after the README's install ran there: logsphere-boot
// records boot and shutdown, logsphere-rotate rotates and compresses keeping modes and group,
// logsphere-watch stays up and alerts (alerts.jsonl and a webhook), logsphere-report writes its
// report, logsphere-ship loads the log into a private PostgreSQL as a dynamic user, the timers
// wait for their next run, and no unit's journal holds an error or a SIGSYS.
// Then the same runs again with SystemCallErrorNumber=kill: nothing the units call is filtered.
import { type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync, type Stats } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import { lookupGid } from '../../src/sys/accounts.ts';
import { readRecords, type JsonRecord } from '../helpers/log.ts';
import { repoRoot, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { waitFor } from '../helpers/sshd.ts';
import { bootSystemdRoot, systemdBinary, writeRootFile, type SystemdRoot } from '../helpers/systemd-root.ts';

const services = ['logsphere-boot.service', 'logsphere-rotate.service', 'logsphere-watch.service', 'logsphere-report.service'];
const timers = ['logsphere-rotate.timer', 'logsphere-report.timer'];
const logDir = '/var/log/logsphere';
const logFile = `${logDir}/sessions.jsonl`;
const alertsFile = '/var/lib/logsphere/alerts.jsonl';
const checkpointFile = '/var/lib/logsphere/watch.checkpoint.json';
const reportFile = '/var/lib/logsphere/report.html';
const maxBytes = 4096;
const webhookPort = 8787;
const pamService = 'logsphere-units-test';
const rhost = '203.0.113.7';

// The webhook receiver runs inside the root's network namespace; one alert body per line.
const webhookServer = `require('node:http').createServer((q, s) => { let b = ''; q.on('data', (d) => (b += d));
  q.on('end', () => { process.stdout.write(b.replace(/\\n/g, ' ') + '\\n'); s.end('ok'); }); })
  .listen(${webhookPort}, '127.0.0.1', () => process.stdout.write('listening\\n'));`;

// What a unit's journal must not hold: a SIGSYS, a kill, a failure, a denied call, an error.
const problem = /\b(SYS|SIGSYS|code=killed|core-dump|failed|error|cannot|EPERM|EACCES|EROFS|not permitted|permission denied|read-only file system)\b/i;

const adm = lookupGid('adm');

let root: SystemdRoot;
let webhook: ChildProcess | null = null;
let webhookOut = '';

function show(unit: string, ...properties: string[]): Record<string, string> {
  const r = root.systemctl('show', unit, ...properties.map((p) => `--property=${p}`));
  expect(r.status, r.stderr).toBe(0);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

function systemctl(...args: string[]): void {
  const r = root.systemctl(...args);
  expect(r.status, `systemctl ${args.join(' ')}: ${r.stdout}${r.stderr}\n${root.systemctl('status', ...args.slice(1)).stdout}`).toBe(0);
}

function records(): JsonRecord[] {
  return readRecords(root.path(logFile));
}

function alerts(): Array<Record<string, unknown>> {
  const path = root.path(alertsFile);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function webhookAlerts(): Array<Record<string, unknown>> {
  return webhookOut.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const rootLogins = (list: Array<Record<string, unknown>>) => list.filter((a) => a['rule'] === 'root_login' && a['rhost'] === rhost);

/** The unit ran (its journal has entries) and its journal is free of errors and kills. */
function expectCleanJournal(unit: string): void {
  const entries = root.journal(unit);
  expect(entries.length, `${unit} has no journal`).toBeGreaterThan(0);
  const bad = entries.filter((e) => Number(e['PRIORITY']) <= 4 || problem.test(String(e['MESSAGE'])));
  expect(bad.map((e) => `${String(e['PRIORITY'])}: ${String(e['MESSAGE'])}`), `journal of ${unit}`).toEqual([]);
}

function expectFile(path: string, mode: number): Stats {
  const st = statSync(root.path(path));
  expect({ path, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }).toEqual({ path, mode, uid: 0, gid: adm });
  return st;
}

function expectActive(unit: string): void {
  expect(show(unit, 'ActiveState', 'Result', 'ExecMainCode', 'ExecMainStatus', 'NRestarts')).toEqual({
    ActiveState: 'active',
    Result: 'success',
    ExecMainCode: '1', // CLD_EXITED: not killed
    ExecMainStatus: '0',
    NRestarts: '0',
  });
}

const deactivations = (unit: string) => root.journal(unit).filter((e) => e['MESSAGE'] === `${unit}: Deactivated successfully.`).length;

/** Starts a oneshot service or stops one and checks that it ended well. systemd forgets a unit
 * that ended and that nothing refers to, exit status and all: its journal tells how it ended. */
async function runToEnd(verb: 'start' | 'stop', unit: string): Promise<void> {
  const before = deactivations(unit);
  systemctl(verb, unit);
  await waitFor(`${unit} to end successfully`, () => (deactivations(unit) > before ? true : null), 10_000);
  expect(show(unit, 'ActiveState')['ActiveState']).toBe('inactive');
}

// One run of every service, in the order a day brings them; `pass` keeps names apart.

async function startWatch(): Promise<number> {
  systemctl('start', 'logsphere-watch.service');
  const pid = Number(show('logsphere-watch.service', 'MainPID')['MainPID']);
  expect(pid).toBeGreaterThan(0);
  // On its first run it learns the log's past; what is appended after its checkpoint alerts.
  await waitFor(
    'the watch checkpoint',
    () => {
      if (show('logsphere-watch.service', 'ActiveState')['ActiveState'] !== 'active') throw new Error(`logsphere-watch is not active:\n${root.systemctl('status', 'logsphere-watch.service').stdout}`);
      return existsSync(root.path(checkpointFile)) ? true : null;
    },
    20_000,
  );
  expect(show('logsphere-watch.service', 'ActiveState', 'SubState')).toEqual({ ActiveState: 'active', SubState: 'running' });
  return pid;
}

async function bootCycle(): Promise<void> {
  const before = records().length;
  await runToEnd('stop', 'logsphere-boot.service');
  const stopped = records().slice(before);
  expect(stopped.map((r) => [r.event, r['source']])).toEqual([['shutdown', 'systemd']]);
  systemctl('start', 'logsphere-boot.service');
  expectActive('logsphere-boot.service');
  const started = records().slice(before + 1);
  expect(started.map((r) => [r.event, r['source']])).toEqual([['boot', 'systemd']]);
  expectFile(logFile, 0o640);
}

async function rotateCycle(pass: number): Promise<void> {
  // The live log past LOGSPHERE_MAX_BYTES (boots of another host: nothing to alert on), and an
  // older rotated segment not compressed yet.
  const origin = { host: `filler${pass}`, boot_id: '00000000-0000-4000-8000-00000000000f', source: 'systemd' } as const;
  let minute = 0;
  const lines = (n: number) =>
    Array.from({ length: n }, () => {
      const at = (Date.UTC(2026, 0, pass) + minute++ * 60_000) * 1000;
      return build.toLine(build.boot(origin, at, '6.1.0-test', at));
    }).join('');
  const olderText = lines(3);
  while (statSync(root.path(logFile)).size <= maxBytes) appendFileSync(root.path(logFile), lines(4));
  const live = readFileSync(root.path(logFile));
  const older = `${logDir}/sessions-2026112${pass}T100000Z.jsonl`;
  writeFileSync(root.path(older), olderText, { mode: 0o640 });
  chownSync(root.path(older), 0, adm as number);
  const olderMtime = Math.floor(Date.now() / 1000) - 3 * 86400;
  utimesSync(root.path(older), olderMtime, olderMtime);
  const segmentsBefore = new Set(readdirSync(root.path(logDir)));

  await runToEnd('start', 'logsphere-rotate.service');

  const now = readdirSync(root.path(logDir));
  expect(now.filter((n) => n.endsWith('.jsonl') && n !== 'sessions.jsonl'), 'segments left uncompressed').toEqual([]);
  expect(now.filter((n) => n.includes('.tmp')), 'temp files left').toEqual([]);
  // The older segment: compressed, same content, mode, group and modification time.
  const olderGz = expectFile(`${older}.gz`, 0o640);
  expect(Math.floor(olderGz.mtimeMs / 1000)).toBe(olderMtime);
  expect(gunzipSync(readFileSync(root.path(`${older}.gz`))).toString()).toBe(olderText);
  // The live log: rotated to a new segment, compressed with what it held; a new empty log.
  const rotated = now.filter((n) => /^sessions-\d{8}T\d{6}Z\.jsonl\.gz$/.test(n) && !segmentsBefore.has(n) && n !== `${older.slice(logDir.length + 1)}.gz`);
  expect(rotated).toHaveLength(1);
  expectFile(`${logDir}/${rotated[0]}`, 0o640);
  expect(gunzipSync(readFileSync(root.path(`${logDir}/${rotated[0]}`))).equals(live)).toBe(true);
  expectFile(logFile, 0o640);
  expect(statSync(root.path(logFile)).size).toBe(0);
  // Each rotated segment summarized for reports and kept in columns for last, as readable as the
  // log; nothing of segments gone.
  const index = '/var/lib/logsphere/segment-index';
  const kept = readdirSync(root.path(index));
  const summaries = kept.filter((n) => n.endsWith('.json'));
  const segments = now.filter((n) => /^sessions-.*\.jsonl\.gz$/.test(n));
  expect(summaries).toHaveLength(segments.length);
  expect(kept.filter((n) => n.endsWith('.columns'))).toHaveLength(segments.length);
  for (const s of kept) expectFile(`${index}/${s}`, 0o640);
  expect(summaries.map((s) => JSON.parse(readFileSync(root.path(`${index}/${s}`), 'utf8')).name).sort()).toEqual(segments.sort());
}

async function loginAlerts(watchPid: number): Promise<void> {
  const [inFile, inHook] = [rootLogins(alerts()).length, rootLogins(webhookAlerts()).length];
  const before = records().length;
  // A root login from a remote host through the PAM stack the installer set up.
  const r = root.run(['pamtester', '-I', `rhost=${rhost}`, '-I', 'tty=ssh', pamService, 'root', 'open_session', 'close_session']);
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  const login = records().slice(before);
  expect(login.map((x) => [x.event, x['user'], x['rhost']])).toEqual([
    ['session_open', 'root', rhost],
    ['session_close', 'root', rhost],
  ]);
  await waitFor('the root_login alert in alerts.jsonl', () => (rootLogins(alerts()).length > inFile ? true : null), 20_000);
  await waitFor('the root_login alert at the webhook', () => (rootLogins(webhookAlerts()).length > inHook ? true : null), 20_000);
  const alert = rootLogins(alerts()).at(-1) as Record<string, unknown>;
  expect(alert['first_event_id']).toBe(login[0]?.event_id);
  expect(rootLogins(webhookAlerts()).at(-1)?.['alert_id']).toBe(alert['alert_id']);
  expect(show('logsphere-watch.service', 'ActiveState', 'SubState', 'MainPID', 'NRestarts')).toEqual({
    ActiveState: 'active',
    SubState: 'running',
    MainPID: String(watchPid),
    NRestarts: '0',
  });
}

async function report(): Promise<void> {
  const path = root.path(reportFile);
  const before = existsSync(path) ? statSync(path).mtimeMs : null;
  await runToEnd('start', 'logsphere-report.service');
  const st = statSync(path);
  expect(st.mtimeMs).not.toBe(before);
  expect({ mode: st.mode & 0o7777, uid: st.uid }).toEqual({ mode: 0o640, uid: 0 });
  const html = readFileSync(path, 'utf8');
  expect(html).toMatch(/^<!DOCTYPE html>/i);
  expect(html).toContain(rhost);
}

async function stopWatch(): Promise<void> {
  await runToEnd('stop', 'logsphere-watch.service');
}

const needs = missing({
  root: true,
  commands: [systemdBinary, '/usr/bin/systemctl', '/usr/bin/journalctl', '/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/setpriv', '/usr/bin/pamtester', '/usr/sbin/pam-auth-update'],
});

describe.skipIf(needs)('the installed units under systemd as PID 1 (throwaway root)', () => {
  let watchPid = 0;

  beforeAll(async () => {
    requireBuilt();
    root = await bootSystemdRoot(repoRoot.replace(/\/$/, ''));
    // Configured the way an administrator does: the root-owned file, never the environment.
    writeRootFile(root, '/etc/logsphere/logsphere.env', `LOGSPHERE_MAX_BYTES=${maxBytes}\n`);
    // The webhook URL is a secret: in secrets.env, root-only, read by watch itself.
    writeRootFile(root, '/etc/logsphere/secrets.env', `LOGSPHERE_WEBHOOK_URL=http://127.0.0.1:${webhookPort}/alerts\n`, 0o600);
    const install = root.run([`${repoRoot}scripts/install.sh`], { env: { LOGSPHERE_SKIP_BUILD: 'yes', DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 120_000 });
    if (install.status !== 0) throw new Error(`scripts/install.sh failed on the throwaway root (${install.status}):\n${install.stdout}${install.stderr}`);
    writeRootFile(root, `/etc/pam.d/${pamService}`, 'auth required pam_permit.so\naccount required pam_permit.so\nsession required pam_permit.so\n@include common-session\n');
    webhook = root.start(['/usr/bin/node', '-e', webhookServer]);
    webhook.stdout?.on('data', (d: Buffer) => (webhookOut += d.toString()));
    await waitFor('the webhook receiver', () => (webhookOut.startsWith('listening\n') ? true : webhook?.exitCode != null ? false : null));
    expect(webhookOut.startsWith('listening\n')).toBe(true);
  }, 180_000);

  afterAll(async () => {
    webhook?.kill('SIGKILL');
    await root?.stop();
  });

  it('the installer enables logsphere-boot and starts it: the hook writes a boot record to a 0640 root:adm log', () => {
    expect(root.systemctl('is-enabled', 'logsphere-boot.service').stdout.trim()).toBe('enabled');
    expectActive('logsphere-boot.service');
    // The filters as systemd loaded them: EPERM (1) for a call outside; fchown only where files
    // are given group adm, chown by path nowhere.
    for (const unit of services) {
      const loaded = show(unit, 'SystemCallErrorNumber', 'SystemCallFilter');
      const allowed = loaded['SystemCallFilter']?.split(' ') ?? [];
      expect({ unit, errno: loaded['SystemCallErrorNumber'], pkey: allowed.includes('pkey_alloc'), fchown: allowed.includes('fchown'), chown: allowed.includes('chown') }).toEqual({
        unit,
        errno: '1',
        pkey: true,
        fchown: unit === 'logsphere-boot.service' || unit === 'logsphere-rotate.service',
        chown: false,
      });
    }
    expect(records().map((r) => [r.event, r['source']])).toEqual([['boot', 'systemd']]);
    expectFile(logFile, 0o640);
    expectCleanJournal('logsphere-boot.service');
  });

  it('logsphere-watch starts and stays active', async () => {
    watchPid = await startWatch();
  });

  it('stopping logsphere-boot records the shutdown, starting it again records a boot', async () => {
    await bootCycle();
    expectCleanJournal('logsphere-boot.service');
  });

  it('logsphere-rotate rotates the log past LOGSPHERE_MAX_BYTES and compresses the segments, modes and group kept', async () => {
    await rotateCycle(1);
    expectCleanJournal('logsphere-rotate.service');
    const messages = root.journal('logsphere-rotate.service').map((e) => String(e['MESSAGE']));
    expect(messages.some((m) => m.startsWith('rotated sessions.jsonl to '))).toBe(true);
    expect(messages.filter((m) => m.startsWith('compressed '))).toHaveLength(2);
  });

  it('logsphere-watch alerts on a remote root login, to alerts.jsonl and the webhook, without a restart', async () => {
    await loginAlerts(watchPid);
    expectCleanJournal('logsphere-watch.service');
  });

  it('logsphere-report writes its HTML report', async () => {
    await report();
    expectCleanJournal('logsphere-report.service');
  });

  it('logsphere-watch stops cleanly', async () => {
    await stopWatch();
    expectCleanJournal('logsphere-watch.service');
  });

  it('the timers wait for their next run: rotation enabled by the installer, the report when started', () => {
    expect(root.systemctl('is-enabled', 'logsphere-rotate.timer').stdout.trim()).toBe('enabled');
    systemctl('start', 'logsphere-report.timer');
    for (const timer of timers) {
      const state = show(timer, 'ActiveState', 'SubState', 'Result', 'NextElapseUSecRealtime');
      expect({ ...state, NextElapseUSecRealtime: state['NextElapseUSecRealtime'] !== '' }).toEqual({ ActiveState: 'active', SubState: 'waiting', Result: 'success', NextElapseUSecRealtime: true });
      expectCleanJournal(timer);
    }
  });

  it('logsphere-ship loads the log into a PostgreSQL as a dynamic user in group adm, its URL from the root-only secrets file, again with SystemCallErrorNumber=kill', async () => {
    // A private PostgreSQL inside the root's network namespace, the store migrated, a login role
    // in logsphere_ship for the unit.
    const pgDir = '/var/tmp/logsphere-units-pg';
    const pgBin = '/usr/lib/postgresql/15/bin';
    const must = (r: { status: number | null; stdout: string; stderr: string }, what: string) => expect(r.status, `${what}: ${r.stdout}${r.stderr}`).toBe(0);
    must(root.run(['install', '-d', '-o', 'postgres', '-m', '0700', pgDir]), 'the PostgreSQL directory');
    must(root.run(['runuser', '-u', 'postgres', '--', `${pgBin}/initdb`, '-D', `${pgDir}/data`, '-A', 'trust', '-U', 'postgres', '--no-sync']), 'initdb');
    const postgres = root.start(['runuser', '-u', 'postgres', '--', `${pgBin}/postgres`, '-D', `${pgDir}/data`, '-k', pgDir, '-p', '5432', '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']);
    const psql = (sql: string, db = 'postgres') => root.run(['psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres', '-d', db, '-c', sql]);
    try {
      await waitFor('PostgreSQL in the root', () => (psql('SELECT 1').status === 0 ? true : postgres.exitCode !== null ? Promise.reject(new Error('postgres exited')) : null), 30_000);
      must(psql('CREATE DATABASE fleet'), 'CREATE DATABASE');
      must(root.run(['/usr/bin/node', '/usr/local/lib/logsphere/logsphere', 'db', 'migrate', '--db', 'postgresql://postgres@127.0.0.1:5432/fleet']), 'db migrate');
      must(psql('CREATE ROLE shipper LOGIN IN ROLE logsphere_ship', 'fleet'), 'the ship role');
      const secrets = readFileSync(root.path('/etc/logsphere/secrets.env'), 'utf8');
      writeRootFile(root, '/etc/logsphere/secrets.env', `${secrets}LOGSPHERE_DATABASE_URL=postgresql://shipper@127.0.0.1:5432/fleet\n`, 0o600);
      const stored = () => Number(psql('SELECT count(*) FROM logsphere.events', 'fleet').stdout.trim());
      const everything = () => records().length + readdirSync(root.path(logDir)).filter((n) => n.endsWith('.gz')).reduce((n, f) => n + gunzipSync(readFileSync(root.path(`${logDir}/${f}`))).toString().split('\n').filter((l) => l !== '').length, 0);

      for (const pass of [1, 2]) {
        if (pass === 2) {
          writeRootFile(root, '/run/systemd/system/logsphere-ship.service.d/kill-on-filtered-call.conf', '[Service]\nSystemCallErrorNumber=kill\n');
          systemctl('daemon-reload');
          expect(show('logsphere-ship.service', 'SystemCallErrorNumber')['SystemCallErrorNumber']).toBe('2147483646');
        }
        systemctl('start', 'logsphere-ship.service');
        await waitFor('every record of the log in the store', () => (stored() === everything() ? true : null), 30_000).catch((error: unknown) => {
          const journal = root.journal('logsphere-ship.service').map((e) => String(e['MESSAGE'])).join('\n');
          throw new Error(`${String(error)}: ${stored()} stored, ${everything()} in the log\n${journal}`);
        });
        // Unprivileged (seen once it has loaded, well after its start): a dynamic user, group adm among its groups, no capabilities.
        const pid = Number(show('logsphere-ship.service', 'MainPID')['MainPID']);
        const status = readFileSync(root.path(`/proc/${pid}/status`), 'utf8');
        const ids = (key: string) => (new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(status)?.[1] ?? '').split(/\s+/).map(Number);
        expect(ids('Uid')[0], `${pid}\n${status}\n${root.systemctl('status', 'logsphere-ship.service').stdout}`).toBeGreaterThan(60_000);
        expect(ids('Groups')).toContain(adm);
        expect(/^CapEff:\s+0+$/m.test(status)).toBe(true);

        // A login through the PAM stack reaches the store while the unit runs.
        const before = stored();
        const r = root.run(['pamtester', '-I', `rhost=${rhost}`, '-I', 'tty=ssh', pamService, 'root', 'open_session', 'close_session']);
        expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
        await waitFor('the login in the store', () => (stored() >= before + 2 ? true : null), 30_000);
        expect(stored()).toBe(everything());
        expect(psql('SELECT count(*) FROM logsphere.quarantine', 'fleet').stdout.trim()).toBe('0');
        expect(show('logsphere-ship.service', 'ActiveState', 'SubState', 'NRestarts')).toEqual({ ActiveState: 'active', SubState: 'running', NRestarts: '0' });
        // Its position, in its own state directory.
        expect(existsSync(root.path('/var/lib/private/logsphere-ship/ship-default.json'))).toBe(true);
        await runToEnd('stop', 'logsphere-ship.service');
      }
      expectCleanJournal('logsphere-ship.service');
    } finally {
      // Stopped by its own pid (in the root's pid namespace): a fast shutdown.
      root.run(['sh', '-c', `kill -INT "$(head -n 1 ${pgDir}/data/postmaster.pid)"`]);
      await new Promise((resolve) => (postgres.exitCode !== null || postgres.signalCode !== null ? resolve(null) : postgres.once('close', resolve)));
      root.run(['rm', '-rf', pgDir]);
    }
  }, 180_000);

  it('with SystemCallErrorNumber=kill every unit runs the same: nothing they call is filtered', async () => {
    for (const unit of services) writeRootFile(root, `/run/systemd/system/${unit}.d/kill-on-filtered-call.conf`, '[Service]\nSystemCallErrorNumber=kill\n');
    systemctl('daemon-reload');
    // 2147483646: systemd's number for "kill".
    for (const unit of services) expect(show(unit, 'SystemCallErrorNumber')['SystemCallErrorNumber']).toBe('2147483646');
    const pid = await startWatch();
    await bootCycle();
    await rotateCycle(2);
    await loginAlerts(pid);
    await report();
    await stopWatch();
    for (const unit of services) expectCleanJournal(unit);
    // A whole cycle of every unit, as the tests above run it one by one.
  }, 180_000);
});

// `logsphere sessions` and `logsphere last` on real logins through a private sshd: live sessions
// with their real pts (and an ended one with the pts recorded on its close), the service taken for
// a user switch, a killed [priv] monitor (current while the shell lives, gone after it), a shutdown
// and a new boot (down), a new boot alone (crash), and a user who cannot read the log.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords, type JsonRecord } from '../helpers/log.ts';
import { cliBundle, hookBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { ptySession, startSshd, waitFor, type Sshd } from '../helpers/sshd.ts';

const lacking = missing({ root: true, commands: ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/unshare', '/usr/bin/setpriv'] });

describe.skipIf(lacking)('sessions and last on real logins', () => {
  let sshd: Sshd;
  const clients: ChildProcess[] = [];
  beforeAll(async () => {
    requireBuilt();
    sshd = await startSshd();
  });
  afterAll(async () => {
    for (const c of clients) c.kill('SIGKILL');
    await sshd?.stop();
  });

  const env = () => ({ ...process.env, LOGSPHERE_CONFIG: `${sshd.dir}/logsphere.env` });
  function cli(args: string[]) {
    const r = spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env: env() });
    return { ...r, json: () => JSON.parse(r.stdout) as Array<Record<string, unknown>> };
  }
  const records = (): JsonRecord[] => (existsSync(sshd.logFile) ? readRecords(sshd.logFile) : []);
  async function openSession(args: string[]): Promise<JsonRecord> {
    const before = records().length;
    clients.push(spawn('ssh', [...sshd.sshArgs(args), 'sleep 600'], { stdio: 'ignore' }));
    return waitFor('the open record', () => records().slice(before).find((x) => x.event === 'session_open') ?? null);
  }
  /** Runs the hook for `boot` as if the host had restarted: a new boot id, seen only by it. */
  function bootAgain(id: string) {
    writeFileSync(`${sshd.dir}/boot_id`, `${id}\n`);
    const r = spawnSync('unshare', ['-m', '/bin/sh', '-c',
      `mount --bind ${sshd.dir}/boot_id /proc/sys/kernel/random/boot_id && exec ${nodePath} ${hookBundle} --config=${sshd.dir}/logsphere.env boot`], { env: env(), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }
  const lastById = () => new Map(cli(['last', '--json']).json().map((s) => [s['session_id'], s]));

  let live: JsonRecord;
  let killed: JsonRecord;
  let later: JsonRecord;

  /** The processes of an audit session (every process of a login that pam_loginuid began). */
  const auditProcesses = (sid: unknown): number[] =>
    readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
      try {
        return readFileSync(`/proc/${n}/sessionid`, 'utf8') === String(sid);
      } catch {
        return false;
      }
    }).map(Number);
  /** The pty a process of the audit session holds, as pts/N. */
  const ptsOf = (sid: unknown): string | null => {
    for (const pid of auditProcesses(sid)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/0`);
        if (/^\/dev\/pts\/\d+$/.test(target)) return target.slice('/dev/'.length);
      } catch {
        // gone meanwhile
      }
    }
    return null;
  };

  let closedPts = '';

  it('lists exactly the live sessions, with the pty sshd allocated as pts/N; logins only, unless asked for all', async () => {
    const ended = await ptySession(sshd, records);
    closedPts = ended.pts;
    live = await openSession(['-tt']);
    killed = await openSession(['-tt']);
    const livePts = await waitFor('the pty of the live session', () => ptsOf(live['audit_session']));
    const killedPts = await waitFor('the pty of the other session', () => ptsOf(killed['audit_session']));
    const r = cli(['sessions', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const list = r.json();
    expect(list.map((s) => s['session_id']).sort()).toEqual([live['session_id'], killed['session_id']].sort());
    const shown = list.find((s) => s['session_id'] === live['session_id']);
    expect(shown).toMatchObject({ user: sshd.user, tty: 'ssh', pty: livePts, rhost: '127.0.0.1', kind: 'login', end: null, logout_time: null });
    expect(list.find((s) => s['session_id'] === killed['session_id'])).toMatchObject({ pty: killedPts });
    const text = cli(['sessions']).stdout;
    expect(text).toMatch(new RegExp(`^${sshd.user}\\s+${livePts}\\s`, 'm'));
    expect(text).not.toContain('/dev/');
    expect(cli(['sessions', '--by-host']).stdout).toMatch(new RegExp(`^\\S+: ${sshd.user}\\n$`));
    // last: the pty recorded on the close of an ended session, the one held now by an open one.
    const history = lastById();
    expect(history.get(live['session_id'])).toMatchObject({ tty: 'ssh', pty: livePts, end: null });
    expect(history.get(ended.open['session_id'])).toMatchObject({ tty: 'ssh', pty: closedPts, user: sshd.user, end: 'logout' });
    const lines = cli(['last', '-w']).stdout;
    expect(lines).toMatch(new RegExp(`^${sshd.user}\\s+${closedPts}\\s.* - `, 'm'));
    expect(lines).toMatch(new RegExp(`^${sshd.user}\\s+${livePts}\\s.*still logged in`, 'm'));
    expect(lines).not.toMatch(/ ssh /);
    // The same sessions when the configuration calls the service a user switch (as su and sudo are).
    const asSwitch = (args: string[]) => spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env: { ...env(), LOGSPHERE_SWITCH_SERVICES: `su,sudo,${sshd.service}` } });
    expect(JSON.parse(asSwitch(['sessions', '--json']).stdout)).toEqual([]);
    const all = JSON.parse(asSwitch(['sessions', '--json', '--all']).stdout) as Array<Record<string, unknown>>;
    expect(all.map((s) => s['kind'])).toEqual(['switch', 'switch']);
    expect(JSON.parse(asSwitch(['last', '--json']).stdout)).toEqual([]);
    expect((JSON.parse(asSwitch(['last', '--json', '--all']).stdout) as unknown[]).length).toBe(history.size);
  });

  it('keeps a session whose [priv] monitor was killed while its shell lives, and ends it as gone with the last of its processes', async () => {
    const pid = Number(killed['pid']);
    process.kill(pid, 'SIGKILL');
    await waitFor('the monitor to die', () => (existsSync(`/proc/${pid}`) ? null : true));
    const left = auditProcesses(killed['audit_session']);
    expect(left.length).toBeGreaterThan(0);
    const current = cli(['sessions', '--json']).json();
    expect(current.map((s) => s['session_id']).sort()).toEqual([live['session_id'], killed['session_id']].sort());
    expect(current.find((s) => s['session_id'] === killed['session_id'])).toMatchObject({ end: null, pty: expect.stringMatching(/^pts\/\d+$/) });
    expect(lastById().get(killed['session_id'])).toMatchObject({ end: null });

    // What is left of the session, to the last process (some may end by themselves meanwhile).
    const killRest = () => {
      for (const p of auditProcesses(killed['audit_session'])) {
        try {
          process.kill(p, 'SIGKILL');
        } catch (error) {
          if ((error as { code?: string }).code !== 'ESRCH') throw error;
        }
      }
    };
    killRest();
    await waitFor('the session\'s processes to end', () => (killRest(), auditProcesses(killed['audit_session']).length === 0 ? true : null));
    expect(cli(['sessions', '--json']).json().map((s) => s['session_id'])).toEqual([live['session_id']]);
    const withGone = cli(['sessions', '--json', '--include-gone']).json();
    expect(withGone.find((s) => s['session_id'] === killed['session_id'])).toMatchObject({ end: 'gone' });
    expect(lastById().get(killed['session_id'])).toMatchObject({ end: 'gone', logout_time: null });
    expect(cli(['last']).stdout).toMatch(/gone - no logout/);
  });

  it('ends an open session as down after shutdown and boot', () => {
    const shutdown = spawnSync(nodePath, [hookBundle, `--config=${sshd.dir}/logsphere.env`, 'shutdown'], { env: env(), encoding: 'utf8' });
    expect(shutdown.status, shutdown.stderr).toBe(0);
    bootAgain('00000000-0000-4000-8000-00000000b001');
    const session = lastById().get(live['session_id']);
    expect(session).toMatchObject({ end: 'down' });
    const shutdownTs = records().find((x) => x.event === 'shutdown')?.ts;
    expect(session?.['logout_time']).toBe(shutdownTs);
    expect(cli(['sessions', '--json']).json()).toEqual([]);
    expect(cli(['last', '--system']).stdout).toMatch(/^reboot\s+system boot/m);
  });

  it('ends an open session as crash after a boot without shutdown', async () => {
    later = await openSession([]);
    bootAgain('00000000-0000-4000-8000-00000000b002');
    expect(lastById().get(later['session_id'])).toMatchObject({ end: 'crash' });
    expect(cli(['last']).stdout).toMatch(/ - crash /);
  });

  it('answers an unprivileged user from the run directory; last names the file it cannot read', () => {
    const bundle = `${sshd.dir}/logsphere.cjs`;
    copyFileSync(cliBundle, bundle); // readable by nobody wherever the checkout lives
    const asNobody = (args: string[]) =>
      spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', nodePath, bundle, ...args], { encoding: 'utf8', env: env() });
    const s = asNobody(['sessions', '--json']);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stderr).toContain(`Cannot read ${sshd.logFile}: permission denied (EACCES); reading the log needs group adm (or root); answering from ${sshd.runDir}/sessions`);
    // The run directory knows no boots: what is open there and still running is listed.
    const fromRunDir = JSON.parse(s.stdout) as Array<Record<string, unknown>>;
    expect(fromRunDir.map((x) => x['session_id']).sort()).toEqual([live['session_id'], later['session_id']].sort());
    const l = asNobody(['last']);
    expect(l.status).toBe(1);
    expect(l.stderr).toContain(`Cannot read ${sshd.logFile}: permission denied (EACCES)`);
  });
});

// Where `sessions` keeps its checkpoint, through the built CLI in a clean environment (no HOME):
// root makes its missing state directory; without any place, the answer comes with one notice.
const lackingIds = missing({ root: true, commands: ['/usr/bin/setpriv'] });

describe.skipIf(lackingIds)('the sessions checkpoint place', () => {
  let dir = '';
  beforeAll(() => {
    requireBuilt();
    dir = mkdtempSync(`${tmpdir()}/ls-place-e2e-`);
    chmodSync(dir, 0o755);
    mkdirSync(`${dir}/log`, { mode: 0o755 });
    const at = '2026-11-21T08:00:00.000000Z';
    const open = { schema: 'logsphere/1', event_id: '019a0000-0000-7000-8000-000000000001', ts: at, host: 'db2.example', boot_id: '3f1c2a4e-0000-4000-8000-00000000db02',
      source: 'pam', event: 'session_open', session_id: '019a0000-0000-7000-8000-0000000000aa', user: 'dave', uid: 1000, tty: 'pts/0', rhost: '203.0.113.7',
      ruser: null, service: 'sshd', pid: 4242, pid_start: 77 };
    writeFileSync(`${dir}/log/sessions.jsonl`, `${JSON.stringify(open)}\n`, { mode: 0o644 });
    copyFileSync(cliBundle, `${dir}/logsphere.cjs`); // readable by nobody wherever the checkout lives
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const sessions = (stateDir: string, as: string[] = []) => {
    const env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: stateDir };
    const args = [nodePath, `${dir}/logsphere.cjs`, 'sessions', '--json'];
    const r = as.length > 0 ? spawnSync('setpriv', [...as, ...args], { encoding: 'utf8', env }) : spawnSync(args[0] as string, args.slice(1), { encoding: 'utf8', env });
    return { status: r.status, users: r.status === 0 ? (JSON.parse(r.stdout) as Array<{ user: string }>).map((x) => x.user) : [], stderr: r.stderr };
  };

  it('root makes a missing state directory 0755 and keeps the checkpoint there, 0600', () => {
    const first = sessions(`${dir}/state`);
    expect(first).toEqual({ status: 0, users: ['dave'], stderr: '' });
    expect(lstatSync(`${dir}/state`).mode & 0o7777).toBe(0o755);
    expect(lstatSync(`${dir}/state/sessions.checkpoint`).mode & 0o7777).toBe(0o600);
    expect(sessions(`${dir}/state`)).toEqual({ status: 0, users: ['dave'], stderr: '' });
  });

  it('without a state directory, root answers and says once why it keeps no checkpoint', () => {
    const r = sessions(`${dir}/missing/state`);
    expect(r).toEqual({
      status: 0, users: ['dave'],
      stderr: `logsphere: keeping no sessions checkpoint, reading the whole log at every call: cannot create ${dir}/missing/state: its parent directory is missing (root keeps it in the state directory only, never under HOME)\n`,
    });
    expect(existsSync(`${dir}/missing`)).toBe(false);
  });

  it('another user with root\'s state directory and no HOME answers and says why', () => {
    const r = sessions(`${dir}/state`, ['--reuid=nobody', '--regid=nogroup', '--clear-groups']);
    expect(r.users).toEqual(['dave']);
    expect(r.stderr).toMatch(new RegExp(`^logsphere: keeping no sessions checkpoint, reading the whole log at every call: ${dir}/state is owned by uid 0, not by this user \\(uid \\d+\\), and neither XDG_CACHE_HOME nor HOME names a cache directory\n$`));
  });
});

// `logsphere sessions` and `logsphere last` on real logins through a private sshd: live sessions
// with their real pts, a killed [priv] monitor (gone), a shutdown and a new boot (down), a new
// boot alone (crash), and a user who cannot read the log.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords, type JsonRecord } from '../helpers/log.ts';
import { cliBundle, hookBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { startSshd, waitFor, type Sshd } from '../helpers/sshd.ts';

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

  it('lists exactly the live sessions, with the pty sshd allocated', async () => {
    const closed = spawnSync('ssh', [...sshd.sshArgs(), 'true'], { input: '' });
    expect(closed.status).toBe(0);
    live = await openSession(['-tt']);
    killed = await openSession([]);
    const pts = await waitFor('the pty of the live session', () => {
      const ps = spawnSync('ps', ['-o', 'tty=', '-u', sshd.user], { encoding: 'utf8' }).stdout.split('\n').map((s) => s.trim());
      return ps.find((t) => t.startsWith('pts/')) ?? null;
    });
    const r = cli(['sessions', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const list = r.json();
    expect(list.map((s) => s['session_id']).sort()).toEqual([live['session_id'], killed['session_id']].sort());
    const shown = list.find((s) => s['session_id'] === live['session_id']);
    expect(shown).toMatchObject({ user: sshd.user, tty: 'ssh', rhost: '127.0.0.1', end: null, logout_time: null, pty: `/dev/${pts}` });
    expect(list.find((s) => s['session_id'] === killed['session_id'])).not.toHaveProperty('pty');
    const text = cli(['sessions']).stdout;
    expect(text).toContain(`/dev/${pts}`);
    expect(cli(['sessions', '--by-host']).stdout).toMatch(new RegExp(`^\\S+: ${sshd.user}\\n$`));
  });

  it('ends a session whose [priv] process was killed as gone', async () => {
    const pid = Number(killed['pid']);
    process.kill(pid, 'SIGKILL');
    await waitFor('the monitor to die', () => (existsSync(`/proc/${pid}`) ? null : true));
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
    const bundle = `${sshd.dir}/logsphere.mjs`;
    copyFileSync(cliBundle, bundle); // readable by nobody wherever the checkout lives
    const asNobody = (args: string[]) =>
      spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', nodePath, bundle, ...args], { encoding: 'utf8', env: env() });
    const s = asNobody(['sessions', '--json']);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stderr).toContain(`Cannot read ${sshd.logFile}: permission denied (EACCES); answering from ${sshd.runDir}/sessions`);
    // The run directory knows no boots: what is open there and still running is listed.
    const fromRunDir = JSON.parse(s.stdout) as Array<Record<string, unknown>>;
    expect(fromRunDir.map((x) => x['session_id']).sort()).toEqual([live['session_id'], later['session_id']].sort());
    const l = asNobody(['last']);
    expect(l.status).toBe(1);
    expect(l.stderr).toContain(`Cannot read ${sshd.logFile}: permission denied (EACCES)`);
  });
});

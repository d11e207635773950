// Real logins through a private sshd on loopback with the hook on its PAM stack.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords, type JsonRecord } from '../helpers/log.ts';
import { requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { ptySession, startSshd, waitFor, type Sshd } from '../helpers/sshd.ts';

const lacking = missing({ root: true, commands: ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/sbin/useradd'] });

describe.skipIf(lacking)('the hook under a real sshd', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    requireBuilt();
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  const records = (): JsonRecord[] => (existsSync(sshd.logFile) ? readRecords(sshd.logFile) : []);
  const closeOf = (open: JsonRecord) => () =>
    records().find((r) => r.event === 'session_close' && r['session_id'] === open['session_id']) ?? null;

  async function keyLogin(extra: string[]): Promise<[JsonRecord, JsonRecord]> {
    const before = records().length;
    const r = spawnSync('ssh', [...sshd.sshArgs(extra), 'echo logged-in'], { encoding: 'utf8', input: '' });
    expect(r.stdout, r.stderr).toContain('logged-in');
    const open = await waitFor('the open record', () => records().slice(before).find((x) => x.event === 'session_open') ?? null);
    const close = await waitFor('the close record', closeOf(open));
    return [open, close];
  }

  it('records a key login without a tty as an open/close pair, with no pty', async () => {
    const [open, close] = await keyLogin([]);
    for (const record of [open, close]) {
      expect(record).toMatchObject({ user: sshd.user, uid: sshd.uid, tty: 'ssh', rhost: '127.0.0.1', service: sshd.service, source: 'pam' });
    }
    expect(close['pid']).toBe(open['pid']);
    expect(close['login_time']).toBe(open['ts']);
    expect(close).not.toHaveProperty('pty');
    expect(readdirSync(`${sshd.runDir}/sessions`)).toEqual([]);
  });

  it('records a key login with -tt: PAM says ssh, the close carries the pty the shell had', async () => {
    const { open, close, pts } = await ptySession(sshd, records);
    expect(open).toMatchObject({ user: sshd.user, tty: 'ssh', rhost: '127.0.0.1' });
    expect(open).not.toHaveProperty('pty');
    expect(close).toMatchObject({ session_id: open['session_id'], tty: 'ssh', pty: pts });
    expect(readdirSync(`${sshd.runDir}/sessions`)).toEqual([]);
  });

  it('records the audit session pam_loginuid began, which the session\'s processes carry', async () => {
    const before = records().length;
    const client = spawn('ssh', [...sshd.sshArgs(), 'sleep 300'], { stdio: 'ignore' });
    const open = await waitFor('the open record', () => records().slice(before).find((x) => x.event === 'session_open') ?? null);
    const sleeper = await waitFor('the session\'s command', () => {
      const r = spawnSync('pgrep', ['-u', sshd.user, '-x', 'sleep'], { encoding: 'utf8' });
      return r.status === 0 ? Number(r.stdout.trim().split('\n')[0]) : null;
    });
    const sid = open['audit_session'];
    const sessionIds = [`/proc/${String(open['pid'])}/sessionid`, `/proc/${sleeper}/sessionid`].map((p) => readFileSync(p, 'utf8'));
    process.kill(sleeper, 'SIGKILL');
    client.kill('SIGKILL');
    await waitFor('the close record', closeOf(open));
    expect(typeof sid).toBe('number');
    expect(sessionIds).toEqual([String(sid), String(sid)]);
    expect(readFileSync('/proc/self/sessionid', 'utf8')).not.toBe(String(sid));
  });

  it('records a wrong password as auth_failure and opens no session', () => {
    const askpass = `${sshd.dir}/askpass`;
    writeFileSync(askpass, '#!/bin/sh\necho not-the-password\n', { mode: 0o755 });
    const before = records().length;
    const r = spawnSync(
      'setsid',
      ['-w', 'ssh', ...sshd.sshArgs(['-o', 'BatchMode=no', '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1']), 'true'],
      { encoding: 'utf8', input: '', env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'x' } },
    );
    expect(r.status).toBe(255);
    const added = records().slice(before);
    expect(added.map((x) => x.event)).toEqual(['auth_failure']);
    expect(added[0]).toMatchObject({ user: sshd.user, rhost: '127.0.0.1', service: sshd.service, session_id: null });
  });

  it('leaves an open without a close when the [priv] process is killed', async () => {
    const before = records().length;
    const client = spawn('ssh', [...sshd.sshArgs(), 'sleep 300'], { stdio: 'ignore' });
    const open = await waitFor('the open record', () => records().slice(before).find((x) => x.event === 'session_open') ?? null);
    const pid = Number(open['pid']);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('[priv]');
    process.kill(pid, 'SIGKILL');
    client.kill('SIGKILL');
    spawnSync('pkill', ['-KILL', '-u', sshd.user]);
    await waitFor('the session processes to end', () =>
      spawnSync('pgrep', ['-u', sshd.user]).status === 1 && !existsSync(`/proc/${pid}`) ? true : null,
    );
    // Only the [priv] monitor runs close_session, and it is gone: no close can come any more.
    expect(records().slice(before).map((x) => x.event)).toEqual(['session_open']);
    expect(spawnSync('ls', [`${sshd.runDir}/sessions`], { encoding: 'utf8' }).stdout).toContain(`${pid}-`);
  });
});

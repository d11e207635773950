import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import * as build from '../record/build.ts';
import { entryName, saveOpenSession } from '../store/open-sessions.ts';
import { addProcess, fakeProc } from '../../test/helpers/fake-proc.ts';
import { watchArgs, watchArguments, watchTerminal, type WatchEnvironment } from './watch-terminal.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const origin = { host: 'h', boot_id: 'b', source: 'pam' } as const;
const login: build.Login = { user: 'alice', uid: 1000, tty: 'ssh', rhost: '203.0.113.7', ruser: null, service: 'sshd', pid: 20, pid_start: 1020 };

/** A run directory with the open session of [priv] 20, and a /proc where it has its hook (21) and child (22). */
function scene() {
  const runDir = mkdtempSync(`${tmpdir()}/ls-watch-`);
  const open = build.sessionOpen(origin, login, 1_000_000);
  saveOpenSession(runDir, open);
  const proc = fakeProc([
    { pid: 1, ppid: 0 },
    { pid: 20, ppid: 1, fds: ['/dev/null', '/dev/null', 'socket:[3]'] },
    { pid: 21, ppid: 20, fds: ['pipe:[1]', '/dev/null', '/dev/null'] },
    { pid: 22, ppid: 20, fds: ['/dev/null', '/dev/null', '/dev/null'] },
  ]);
  dirs.push(runDir, proc);
  const watch = { runDir, entry: entryName(open), pid: 20, pidStart: 1020 };
  return { runDir, proc, watch, open };
}

/** A clock that a sleep moves on, with `step` run at each sleep (the session going on meanwhile). */
function environment(proc: string, step: (slept: number) => void = () => {}): WatchEnvironment & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    skip: new Set([21]),
    procRoot: proc,
    nowMs: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
      step(sleeps.length);
    },
    sleeps,
  };
}

describe('watchTerminal()', () => {
  it('waits for the shell to get its pty and keeps it beside the open-session entry', async () => {
    const { runDir, proc, watch } = scene();
    const env = environment(proc, (n) => {
      if (n === 3) addProcess(proc, { pid: 23, ppid: 22, fds: ['/dev/pts/9', '/dev/pts/9', '/dev/pts/9'] }, []);
      if (n === 3) addProcess(proc, { pid: 22, ppid: 20, fds: ['/dev/null', '/dev/null', '/dev/null'] }, [23]);
    });
    expect(await watchTerminal(watch, env)).toBe('saved');
    expect(env.sleeps).toEqual([10, 20, 40]);
    expect(readFileSync(`${runDir}/sessions/${watch.entry.replace(/\.json$/, '.pty')}`, 'utf8')).toBe('pts/9\n');
  });

  it('stops without a file when the command runs on pipes (no pty asked for)', async () => {
    const { runDir, proc, watch } = scene();
    addProcess(proc, { pid: 23, ppid: 22, fds: ['pipe:[5]', 'pipe:[6]', 'pipe:[7]'] }, []);
    addProcess(proc, { pid: 22, ppid: 20, fds: ['/dev/null', '/dev/null', '/dev/null'] }, [23]);
    expect(await watchTerminal(watch, environment(proc))).toBe('none');
    expect(readdirSync(`${runDir}/sessions`)).toEqual([watch.entry]);
  });

  it('stops when the PAM process ends, or is another process with its pid', async () => {
    const { proc, watch } = scene();
    expect(await watchTerminal({ ...watch, pidStart: 5 }, environment(proc))).toBe('ended');
    expect(await watchTerminal({ ...watch, pid: 99 }, environment(proc))).toBe('ended');
  });

  it('gives up after ten seconds of nothing, calmer and calmer', async () => {
    const { proc, watch } = scene();
    const env = environment(proc);
    expect(await watchTerminal(watch, env)).toBe('timeout');
    expect(env.sleeps.slice(0, 6)).toEqual([10, 20, 40, 80, 160, 200]);
    expect(env.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000);
  });

  it('leaves nothing behind when the session closed before its pty was found', async () => {
    const { runDir, proc, watch } = scene();
    rmSync(`${runDir}/sessions/${watch.entry}`);
    addProcess(proc, { pid: 23, ppid: 22, fds: ['/dev/pts/9'] }, []);
    addProcess(proc, { pid: 22, ppid: 20, fds: ['/dev/null'] }, [23]);
    expect(await watchTerminal(watch, environment(proc))).toBe('closed');
    expect(readdirSync(`${runDir}/sessions`)).toEqual([]);
  });
});

describe('watchArguments()', () => {
  it('reads back what watchArgs() writes', () => {
    const watch = { runDir: '/run/logsphere', entry: '20-1020-0123456789abcdef.json', pid: 20, pidStart: 1020 };
    const [command, ...rest] = watchArgs(watch);
    expect(command).toBe('watch-terminal');
    expect(watchArguments(rest)).toEqual(watch);
  });

  it.each([
    [[]],
    [['run', '20-1020-0123456789abcdef.json', '20', '1020']],
    [['/run', '../../etc/shadow', '20', '1020']],
    [['/run', '20-1020-0123456789abcdef.json', '-1', '1020']],
    [['/run', '20-1020-0123456789abcdef.json', '20', '1020', 'more']],
  ])('refuses %j', (args) => {
    expect(watchArguments(args)).toBeNull();
  });
});


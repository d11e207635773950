import { describe, expect, it } from 'vitest';
import { commands, run, version, type Process } from './main.ts';
import { mainUsage } from './usage.ts';

function fakeProcess(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const handlers: Array<() => void> = [];
  const process: Process = {
    env: { LOGSPHERE_CONFIG: '/nonexistent/logsphere.env', ...env },
    stdout: (text) => void out.push(typeof text === 'string' ? text : Buffer.from(text).toString()),
    stderr: (text) => void err.push(text),
    stdoutIsTerminal: false,
    onStopSignal(handler) {
      handlers.push(handler);
      return () => void handlers.splice(handlers.indexOf(handler), 1);
    },
  };
  return { process, stdout: () => out.join(''), stderr: () => err.join(''), handlers };
}

describe('run()', () => {
  it('has one command per name, doctor among them, each answering --help with its usage', async () => {
    const names = commands.map((c) => c.name);
    expect(names).toEqual(['sessions', 'last', 'failed', 'import', 'report', 'watch', 'follow', 'rotate', 'doctor']);
    for (const command of commands) {
      const p = fakeProcess();
      expect(await run([command.name, '--help'], p.process)).toBe(0);
      expect(p.stdout()).toBe(command.usage);
      expect(command.usage.startsWith(`Usage: logsphere ${command.name}`)).toBe(true);
    }
  });

  it('prints the main usage and the version', async () => {
    const help = fakeProcess();
    expect(await run(['--help'], help.process)).toBe(0);
    expect(help.stdout()).toBe(mainUsage);
    const v = fakeProcess();
    expect(await run(['-V'], v.process)).toBe(0);
    expect(v.stdout()).toBe(`logsphere ${version}\n`);
  });

  it.each([
    [[], "logsphere: missing command\nTry 'logsphere --help'.\n"],
    [['frobnicate'], "logsphere: unknown command \"frobnicate\"\nTry 'logsphere --help'.\n"],
    [['last', '-n', 'ten'], "logsphere: -n: expected a number of lines, got \"ten\"\nTry 'logsphere last --help'.\n"],
  ])('exits 2 on a usage error: %j', async (argv, message) => {
    const p = fakeProcess();
    expect(await run(argv, p.process)).toBe(2);
    expect(p.stderr()).toBe(message);
    expect(p.stdout()).toBe('');
  });

  it('exits 1 naming what failed', async () => {
    const p = fakeProcess();
    expect(await run(['last', '--input', '/nonexistent/x.jsonl'], p.process)).toBe(1);
    expect(p.stderr()).toBe("logsphere: Cannot read /nonexistent/x.jsonl: no such file or directory\n");
  });

  it('listens for stop signals only while a long-running command runs', async () => {
    const p = fakeProcess();
    await run(['last', '--input', '/nonexistent/x.jsonl'], p.process);
    expect(p.handlers).toHaveLength(0);
    expect(commands.filter((c) => c.longRunning).map((c) => c.name)).toEqual(['watch', 'follow']);
  });
});

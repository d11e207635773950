import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadCommands, run, version, type Process } from './main.ts';
import { mainUsage } from './usage.ts';
import { wrapUsage } from '../text/wrap.ts';

const commands = await loadCommands();

function fakeProcess(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const handlers: Array<() => void> = [];
  const process: Process = {
    env: { LOGSPHERE_CONFIG: '/dev/null', ...env },
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
    expect(names).toEqual(['sessions', 'last', 'failed', 'import', 'report', 'watch', 'follow', 'rotate', 'doctor', 'ship', 'db', 'lastlog', 'lastb', 'who']);
    for (const command of commands) {
      const p = fakeProcess();
      expect(await run([command.name, '--help'], p.process)).toBe(0);
      expect(p.stdout()).toBe(wrapUsage(command.usage, 80));
      expect(command.usage.startsWith(`Usage: logsphere ${command.name}`)).toBe(true);
    }
  });

  it('prints the main usage and the version', async () => {
    const help = fakeProcess();
    expect(await run(['--help'], help.process)).toBe(0);
    expect(help.stdout()).toBe(wrapUsage(mainUsage, 80));
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
    expect(commands.filter((c) => c.longRunning).map((c) => c.name)).toEqual(['watch', 'follow', 'ship']);
  });

  it('fits the main usage and those of last, lastb and who in 80 columns, and names lastb and who', () => {
    for (const text of [mainUsage, ...commands.filter((c) => ['last', 'lastb', 'who'].includes(c.name)).map((c) => c.usage)]) {
      for (const line of text.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    }
    expect(mainUsage).toMatch(/^  lastb {7}failed, with util-linux lastb's options/m);
    expect(mainUsage).toMatch(/^  who {9}sessions, with coreutils who's options/m);
  });

  it('takes a value that starts with - after an option that needs one: the README\'s examples with --since -7d run', async () => {
    const dir = mkdtempSync(`${tmpdir()}/ls-main-`);
    try {
      const input = `${dir}/in.jsonl`;
      writeFileSync(input, '');
      const env = { LOGSPHERE_STATE_DIR: dir, LOGSPHERE_LOG_DIR: dir };
      const failed = fakeProcess(env);
      expect(await run(['failed', '--by', 'rhost', '--since', '-7d', '--input', input], failed.process), failed.stderr()).toBe(0);
      const report = fakeProcess(env);
      expect(await run(['report', '--since', '-7d', '--format', 'html', '--output', `${dir}/report.html`, '--input', input], report.process), report.stderr()).toBe(0);
      expect(readFileSync(`${dir}/report.html`, 'utf8')).toMatch(/^<!DOCTYPE html>/i);
      const last = fakeProcess(env);
      expect(await run(['last', '--until', '-1h', '-n', '-5', '--input', input], last.process)).toBe(2);
      expect(last.stderr()).toBe("logsphere: -n: expected a number of lines, got \"-5\"\nTry 'logsphere last --help'.\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('every --help', () => {
  it.each([80, 60])('fits %i columns, the words kept', async (width) => {
    for (const command of [...commands.map((c) => c.name), '--help']) {
      const p = fakeProcess({ COLUMNS: String(width) });
      await run(command === '--help' ? ['--help'] : [command, '--help'], p.process);
      for (const line of p.stdout().split('\n')) expect([...line].length, `${command}: ${line}`).toBeLessThanOrEqual(width);
      const original = command === '--help' ? mainUsage : (commands.find((c) => c.name === command)?.usage ?? '');
      expect(p.stdout().split(/\s+/).filter(Boolean)).toEqual(original.split(/\s+/).filter(Boolean));
    }
  });
});

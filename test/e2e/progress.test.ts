// Progress of long work on standard error when it is a terminal (src/text/progress.ts): a real
// pseudo-terminal from util-linux `script` around the built CLI, against the same commands with
// standard error a pipe, which must see nothing of it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBundle, nodePath, repoRoot, requireBuilt } from '../helpers/paths.ts';

const script = '/usr/bin/script';
let dir = '';
let env: Record<string, string> = {};

beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(`${tmpdir()}/ls-progress-`);
  const gen = spawnSync(nodePath, [`${repoRoot}scripts/lib/gen-history.mjs`, `${dir}/h`, '--sessions', '3000', '--hosts', '2', '--weeks', '2', '--open-every', '50', '--segments', '--max-bytes', '200000'], { encoding: 'utf8' });
  expect(gen.status, gen.stderr).toBe(0);
  env = { PATH: '/usr/bin:/bin', TERM: 'xterm', TZ: 'UTC', LOGSPHERE_LOG_DIR: `${dir}/h/log`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_CONFIG: '/dev/null' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the terminal got from `logsphere ARGS` run on a pseudo-terminal (standard output and error both). */
function onTerminal(args: string[]): { status: number | null; screen: string } {
  const command = [nodePath, cliBundle, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync(script, ['-q', '-e', '-c', command, '/dev/null'], { encoding: 'utf8', env, maxBuffer: 1 << 28 });
  return { status: r.status, screen: r.stdout };
}

const piped = (args: string[]) => spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env });
const progressLine = (label: string) => new RegExp(`\\r\\x1b\\[K${label}: \\d+% \\(\\d+\\.?\\d* MiB of \\d+\\.?\\d* MiB\\)`);

describe.skipIf(!existsSync(script))('progress on a terminal', () => {
  it('import shows it while it writes to a file, erases it, and writes the same records as without a terminal', () => {
    const t = onTerminal(['import', 'wtmp', `${dir}/h/wtmp`, '--host', 'h', '--output', `${dir}/a.jsonl`]);
    expect(t.status).toBe(0);
    expect(t.screen).toMatch(progressLine('import'));
    expect(t.screen.endsWith('\r\x1b[K')).toBe(true);
    const p = piped(['import', 'wtmp', `${dir}/h/wtmp`, '--host', 'h', '--output', `${dir}/b.jsonl`]);
    expect([p.status, p.stderr]).toEqual([0, '']);
    expect(readFileSync(`${dir}/a.jsonl`, 'utf8')).toBe(readFileSync(`${dir}/b.jsonl`, 'utf8'));
    expect(readFileSync(`${dir}/a.jsonl`, 'utf8').length).toBeGreaterThan(100_000);
  });

  it('import to the terminal itself shows none: the records are on the screen', () => {
    const t = onTerminal(['import', 'wtmp', `${dir}/h/wtmp`, '--host', 'h']);
    expect(t.status).toBe(0);
    expect(t.screen).not.toMatch(/\x1b\[K/);
  });

  it('last over the whole log shows it, erased before the first line; --json and a pipe show none', () => {
    const t = onTerminal(['last']);
    expect(t.status).toBe(0);
    expect(t.screen).toMatch(progressLine('last'));
    const firstLine = t.screen.indexOf('user');
    expect(t.screen.lastIndexOf('\r\x1b[K')).toBeLessThan(firstLine);
    expect(t.screen.slice(t.screen.lastIndexOf('\r\x1b[K') + 4).replace(/\r\n/g, '\n')).toBe(piped(['last']).stdout);
    expect(onTerminal(['last', '--json']).screen).not.toMatch(/\x1b\[K/);
    expect(piped(['last']).stderr).toBe('');
  });
});

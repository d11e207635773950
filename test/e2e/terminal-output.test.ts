// Text output on a real terminal: the CLI run in a pseudo-terminal (util-linux script) of a set
// size fits its width and is coloured; NO_COLOR, TERM=dumb, --json and a pipe get no colour.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';

const t0 = Date.UTC(2026, 10, 20, 9, 0, 0) * 1000;
const login = (user: string, rhost: string): build.Login => ({ user, uid: 1000, tty: 'pts/1', rhost, ruser: null, service: 'sshd', pid: 42, pid_start: 7 });

let dir = '';
let input = '';
beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(`${tmpdir()}/ls-terminal-`);
  input = `${dir}/in.jsonl`;
  // Two other hosts (sessions that stay open whatever runs here), names and addresses long enough to need cutting.
  const web = { host: 'web-frontend-01.example.com', boot_id: 'b-1', source: 'pam' } as const;
  const db = { host: 'db2', boot_id: 'b-2', source: 'pam' } as const;
  writeFileSync(input, [
    build.sessionOpen(web, login('alice', 'bastion-gateway.corp.example.com'), t0),
    build.sessionOpen(db, login('administrator-on-call', '2001:db8:ffff:ffff:ffff:ffff:ffff:1'), t0 + 60e6),
    build.authFailure(web, { ...login('oracle', '198.51.100.250'), tty: 'ssh:notty' }, t0 + 120e6),
  ].map(build.toLine).join(''));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({ PATH: '/usr/bin:/bin', HOME: dir, TZ: 'UTC', SHELL: '/bin/sh', TERM: 'xterm', ...extra });
const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** The command's output as the terminal received it, run in a pseudo-terminal of `columns` columns. */
function onTerminal(args: string[], columns: number, extra: Record<string, string> = {}): string {
  const command = `stty cols ${columns} rows 50; exec ${[nodePath, cliBundle, ...args].map(quote).join(' ')}`;
  const r = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], { encoding: 'utf8', env: env(extra), stdio: ['pipe', 'pipe', 'pipe'] });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.replace(/\r\n/g, '\n');
}

const sgr = /\u001b\[[0-9;]*m/g;
const visibleLines = (text: string) => text.replace(sgr, '').split('\n').filter((l) => l !== '');

describe('text output on a terminal', () => {
  it('fits sessions, failed, last and report to the terminal\'s width', () => {
    for (const [args, columns] of [[['sessions'], 78], [['sessions'], 100], [['failed'], 70], [['last'], 80], [['report', '--since', '2026-11-19', '--until', '2026-11-21'], 72]] as const) {
      const text = onTerminal([...args, '--input', input], columns);
      const lines = visibleLines(text);
      expect(lines.length, text).toBeGreaterThan(0);
      for (const line of lines) expect([...line].length, `${args[0]} in ${columns}: ${line}`).toBeLessThanOrEqual(columns);
    }
    // Cut with a marker, not dropped: the long names are there, as far as they fit.
    const sessions = onTerminal(['sessions', '--input', input], 78);
    expect(sessions).toMatch(/web-fr[^ ]*…/);
    expect(sessions).toMatch(/administ[^ ]*…/);
  });

  it('colours on a terminal: the header of sessions, the headings of the report', () => {
    const sessions = onTerminal(['sessions', '--input', input], 100);
    expect(sessions.split('\n')[0]).toMatch(/^\u001b\[1mHOST +USER +TTY .*SESSION\u001b\[0m$/);
    expect(visibleLines(sessions).slice(1).join('\n')).not.toMatch(sgr);
    expect(sessions.split('\n').slice(1).join('\n')).not.toMatch(sgr);
    const report = onTerminal(['report', '--since', '2026-11-19', '--until', '2026-11-21', '--input', input], 100);
    expect(report).toContain('\u001b[1mLogSphere security report\u001b[0m');
    expect(report).toContain('\u001b[1mSessions by host\u001b[0m');
  });

  it('never colours with NO_COLOR, on a dumb terminal, with --json, or into a pipe', () => {
    expect(onTerminal(['sessions', '--input', input], 100, { NO_COLOR: '1' })).not.toMatch(/\u001b/);
    expect(onTerminal(['sessions', '--input', input], 100, { TERM: 'dumb' })).not.toMatch(/\u001b/);
    expect(onTerminal(['sessions', '--json', '--input', input], 100)).not.toMatch(/\u001b/);
    expect(onTerminal(['report', '--format', 'json', '--input', input], 100)).not.toMatch(/\u001b/);
    const piped = spawnSync(nodePath, [cliBundle, 'sessions', '--input', input], { encoding: 'utf8', env: env() });
    expect(piped.status).toBe(0);
    expect(piped.stdout).not.toMatch(/\u001b/);
    // A pipe is 80 columns, unless COLUMNS says otherwise.
    for (const line of visibleLines(piped.stdout)) expect([...line].length).toBeLessThanOrEqual(80);
    const wide = spawnSync(nodePath, [cliBundle, 'sessions', '--input', input], { encoding: 'utf8', env: env({ COLUMNS: '200' }) });
    expect(wide.stdout).toContain('bastion-gateway.corp.example.com');
  });

  it('writes the whole report, uncoloured and uncut, to --output even from a terminal', () => {
    onTerminal(['report', '--since', '2026-11-19', '--until', '2026-11-21', '--input', input, '--output', `${dir}/report.txt`], 50);
    const text = spawnSync('cat', [`${dir}/report.txt`], { encoding: 'utf8' }).stdout;
    expect(text).not.toMatch(/\u001b/);
    expect(text).toContain('web-frontend-01.example.com');
  });
});

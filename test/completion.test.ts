// The bash completion (completion/logsphere.bash), run by bash itself: the script is sourced,
// COMP_WORDS and COMP_CWORD are set as bash sets them, _logsphere is called, and COMPREPLY is
// read back. It completes from the built program's --help (dist/logsphere.cjs, through a
// `logsphere` on PATH) and from a log and run directory made here.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCommands, run, type Process } from '../src/cli/main.ts';
import { cliBundle, nodePath, repoRoot, requireBuilt } from './helpers/paths.ts';

const commands = await loadCommands();
let scratch = '';

function record(fields: Record<string, unknown>): string {
  return JSON.stringify({ schema: 'logsphere/1', event_id: `01a1fe77-ef6d-70ed-9281-${String(Math.random()).slice(2, 14).padEnd(12, '0')}`, ts: '2026-11-21T14:17:15.373006Z', host: 'web1', boot_id: 'b', source: 'pam', ...fields });
}

beforeAll(() => {
  requireBuilt();
  scratch = mkdtempSync(`${tmpdir()}/logsphere-completion-`);
  mkdirSync(`${scratch}/bin`);
  writeFileSync(`${scratch}/bin/logsphere`, `#!/bin/sh\nexec '${nodePath}' '${cliBundle}' "$@"\n`);
  chmodSync(`${scratch}/bin/logsphere`, 0o755);
  mkdirSync(`${scratch}/log`);
  mkdirSync(`${scratch}/run/sessions`, { recursive: true });
  mkdirSync(`${scratch}/empty/sessions`, { recursive: true });
  writeFileSync(`${scratch}/log/sessions.jsonl`, [
    record({ event: 'session_open', user: 'alice', host: 'web1' }),
    record({ event: 'session_close', user: 'bob', host: 'db2.example.net' }),
    record({ event: 'auth_failure', user: 'admin', host: 'web1' }),
    record({ event: 'auth_failure', user: 'x;rm -rf ~', host: 'web1' }),
    record({ event: 'session_open', user: '$(id)', host: 'web1' }),
    record({ event: 'boot', host: 'web1' }),
    '{"schema":"logsphere/1","event":"session_open","user":"torn-by-a-cr', // a last line a crash cut short
  ].join('\n'));
  writeFileSync(`${scratch}/run/sessions/1-2-abc.json`, record({ event: 'session_open', user: 'carol', host: 'web1' }));
  writeFileSync(`${scratch}/logsphere.env`, `# a test\nexport LOGSPHERE_LOG_DIR="${scratch}/log"\nLOGSPHERE_RUN_DIR=${scratch}/run\n`);
  writeFileSync(`${scratch}/report-2026.html`, '');
});

afterAll(() => {
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
});

/**
 * COMPREPLY for each command line, in one bash. Each line is given as bash splits it: words, the
 * last being the one completed ('' after a space); `=` is a word of its own, as COMP_WORDBREAKS
 * makes it.
 */
function complete(lines: string[][], env: Record<string, string> = {}): string[][] {
  const calls = lines.map((words) => {
    const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    return `COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _logsphere logsphere "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"; printf '%s\\n' "\${COMPREPLY[@]}"; echo '<end>'`;
  });
  const script = [`source '${repoRoot}completion/logsphere.bash'`, ...calls].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], {
    encoding: 'utf8',
    cwd: scratch,
    env: { PATH: `${scratch}/bin:/usr/bin:/bin`, HOME: scratch, LOGSPHERE_CONFIG: `${scratch}/logsphere.env`, ...env },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('<end>\n').slice(0, -1).map((block) => block.split('\n').filter((l) => l !== ''));
}

async function help(args: string[]): Promise<string> {
  const out: string[] = [];
  const process: Process = {
    // Wide: each option's description on its term's line.
    env: { LOGSPHERE_CONFIG: '/dev/null', COLUMNS: '1000' },
    stdout: (text) => void out.push(typeof text === 'string' ? text : Buffer.from(text).toString()),
    stderr: () => undefined,
    stdoutIsTerminal: false,
    onStopSignal: () => () => undefined,
  };
  await run([...args, '--help'], process);
  return out.join('');
}

/** The long options in the Options section of a help text. */
function longOptions(text: string): string[] {
  const section = text.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
  return [...new Set(section.split('\n').filter((l) => /^ {1,8}-/.test(l)).flatMap((l) => (l.trim().split(/\s{2,}/)[0] as string).split(/\s+/)).filter((w) => w.startsWith('--')).map((w) => w.replace(/,$/, '')))];
}

describe('completion/logsphere.bash', () => {
  it('completes the commands of the command table, and logsphere\'s own options', () => {
    const [all, la, dash] = complete([['logsphere', ''], ['logsphere', 'la'], ['logsphere', '-']]);
    expect(all).toEqual(commands.map((c) => c.name));
    expect(la).toEqual(commands.map((c) => c.name).filter((n) => n.startsWith('la')));
    expect(dash).toEqual(['-h', '--help', '-V', '--version']);
  });

  it('completes each command\'s long options from its --help', async () => {
    const replies = complete(commands.map((c) => ['logsphere', c.name, '--']));
    for (const [i, command] of commands.entries()) {
      const expected = longOptions(await help([command.name]));
      expect(expected, command.name).toContain('--help');
      expect(replies[i], command.name).toEqual(expected);
    }
  });

  it('completes short options too, and after other options', () => {
    const [who, last] = complete([['logsphere', 'who', '-'], ['logsphere', 'last', '--json', '-x', '--t']]);
    expect(who).toEqual(expect.arrayContaining(['-a', '-b', '-H', '-q', '-T', '-w', '-u', '--mesg', '--json']));
    expect(last).toEqual(['--time-format']);
  });

  it('completes the values of --format, --time-format, --by and --layout', async () => {
    const lines = [
      ['logsphere', 'report', '--format', ''],
      ['logsphere', 'follow', '--format', ''],
      ['logsphere', 'failed', '--json', '--format', ''],
      ['logsphere', 'failed', '--by', ''],
      ['logsphere', 'last', '--time-format', ''],
      ['logsphere', 'failed', '--time-format', ''],
      ['logsphere', 'import', 'wtmp', '--layout', ''],
    ];
    const replies = complete(lines);
    expect(replies).toEqual([
      ['text', 'markdown', 'json', 'html'],
      ['raw', 'ecs', 'otel'],
      ['ecs', 'otel'],
      ['rhost', 'user'],
      ['notime', 'short', 'full', 'iso'],
      ['short', 'iso'],
      ['x86_64', 'time64'],
    ]);
    // The values the script knows are those the help texts name for the option.
    for (const [i, words] of lines.entries()) {
      const option = words[words.length - 2] as string;
      const line = (await help([words[1] as string])).split('\n').find((l) => l.trim().startsWith(option)) ?? '';
      for (const value of replies[i] ?? []) expect(line, `${words[1]} ${option} ${value}`).toContain(value);
    }
  });

  it('completes a value after = as bash splits it, and in one word', () => {
    const [split, afterEquals] = complete([['logsphere', 'report', '--format', '=', 'j'], ['logsphere', 'report', '--format', '=']]);
    expect(split).toEqual(['json']);
    expect(afterEquals).toEqual(['text', 'markdown', 'json', 'html']);
    const script = `source '${repoRoot}completion/logsphere.bash'; COMP_WORDS=(logsphere report --format=m); COMP_CWORD=2; _logsphere logsphere; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', env: { PATH: `${scratch}/bin:/usr/bin:/bin` } });
    expect(r.stdout).toBe('--format=markdown\n');
  });

  it('completes the words import and db take, and files after import\'s format', () => {
    const [kinds, files, actions, keep] = complete([
      ['logsphere', 'import', ''],
      ['logsphere', 'import', 'wtmp', '--host', 'h1', 'report-'],
      ['logsphere', 'db', ''],
      ['logsphere', 'db', 'retain', '--keep-days', ''],
    ]);
    expect(kinds).toEqual(['wtmp', 'btmp', 'utmp', 'authlog', 'logsphere-v2', 'wtmpdb', 'lastlog2']);
    expect(files).toEqual(['report-2026.html']);
    expect(actions).toEqual(['migrate', 'retain']);
    expect(keep).toEqual([]);
  });

  it('completes --user with the users of the log and the open sessions, leaving out unsafe names', () => {
    const [last, lastNames, lastlog, failed, lastb, hosts, since, limit] = complete([
      ['logsphere', 'last', '--user', ''],
      ['logsphere', 'last', ''],
      ['logsphere', 'lastlog', '-u', 'a'],
      ['logsphere', 'failed', '--user', ''],
      ['logsphere', 'lastb', ''],
      ['logsphere', 'sessions', '--json', '--host', ''],
      ['logsphere', 'last', '--since', ''],
      ['logsphere', 'last', '-n', ''],
    ]);
    expect(last).toEqual(['alice', 'bob', 'carol']);
    expect(lastNames).toEqual(['alice', 'bob', 'carol', 'reboot']);
    expect(lastlog).toEqual(['alice']);
    expect(failed).toEqual(['admin']);
    expect(lastb).toEqual(['admin']);
    expect(hosts).toEqual(['db2.example.net', 'web1']);
    expect(since).toEqual(['today', 'yesterday', 'now']);
    expect(limit).toEqual([]);
  });

  it('takes the log directory from the environment before the config file, and falls back to the accounts', () => {
    const [empty] = complete([['logsphere', 'sessions', '--user', 'roo']], { LOGSPHERE_LOG_DIR: `${scratch}/empty`, LOGSPHERE_RUN_DIR: `${scratch}/empty` });
    expect(empty).toEqual(['root']);
    const [fromFile] = complete([['logsphere', 'who', '--user', '']]);
    expect(fromFile).toEqual(['alice', 'bob', 'carol']);
  });
});

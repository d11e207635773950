// The manual pages (docs/man/, scripts/gen-man.mjs, scripts/lib/man-page.ts): in step with what
// `--help` prints and with the configuration schema, true to the PAM and unit files, and valid
// roff. Where Debian's groff-base and man-db are installed, the pages are also rendered by groff
// and man, which must print no warning; without them those tests are skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCommands, run, version, type Process } from '../src/cli/main.ts';
import { mainUsage } from '../src/cli/usage.ts';
import { configSchema } from '../src/config/schema.ts';
import { ManSourceError, renderManPage, type ManContext, type ManPage } from '../scripts/lib/man-page.ts';
import { repoRoot } from './helpers/paths.ts';

const commands = await loadCommands();
const date = '2026-11-21';
const context: ManContext = { version, date, commands: commands.map(({ name, usage }) => ({ name, usage })), mainUsage };
const variables = Object.entries(configSchema.properties).map(([name, property]) => ({ name, default: 'default' in property ? property.default : undefined }));

function source(file: string): string {
  return readFileSync(`${repoRoot}docs/man/${file}`, 'utf8');
}

const pages: Record<string, ManPage> = {
  'logsphere.1': renderManPage(source('logsphere.1.md'), context),
  'logsphere-hook.8': renderManPage(source('logsphere-hook.8.md'), context),
  'logsphere.env.5': renderManPage(source('logsphere.env.5.md'), { ...context, variables }),
};
const page = (file: string) => (pages[file] as ManPage).roff;

/** What `logsphere ARGS --help` prints. */
async function help(args: string[]): Promise<string> {
  const out: string[] = [];
  const process: Process = {
    env: { LOGSPHERE_CONFIG: '/dev/null' },
    stdout: (text) => void out.push(typeof text === 'string' ? text : Buffer.from(text).toString()),
    stderr: () => undefined,
    stdoutIsTerminal: false,
    onStopSignal: () => () => undefined,
  };
  expect(await run([...args, '--help'], process)).toBe(0);
  return out.join('');
}

/**
 * The options a help text lists: in its Options section, each line that starts (indented, as a
 * term does) with `-`, every word of the term that starts with `-` (`-n, --limit N, -N`).
 */
function helpOptions(text: string): string[] {
  const options: string[] = [];
  let inOptions = false;
  for (const line of text.split('\n')) {
    if (/^\S.*:$/.test(line)) inOptions = line === 'Options:';
    else if (line.trim() === '') inOptions = false;
    else if (inOptions && /^ {1,8}-/.test(line)) {
      const term = line.trim().split(/\s{2,}/)[0] as string;
      for (const word of term.split(/\s+/)) if (word.startsWith('-')) options.push(word.replace(/,$/, ''));
    }
  }
  return options;
}

/** Plain text of roff: fonts and the escapes the generator writes undone. */
function unroff(roff: string): string {
  return roff
    .replace(/\\f[BIRP]/g, '')
    .replace(/\\[%&]/g, '')
    .replace(/\\-/g, '-')
    .replace(/\\\(aq/g, "'")
    .replace(/\\\(dq/g, '"')
    .replace(/\\e/g, '\\');
}

/** The part of a page from `.SH NAME` or `.SS NAME` up to the next heading of that level or above. */
function part(roff: string, macro: '.SH' | '.SS', name: string): string {
  const lines = roff.split('\n');
  const start = lines.findIndex((l) => l === `${macro} "${name}"` || l === `${macro} ${name}`);
  if (start < 0) return '';
  const stop = (l: string) => l.startsWith('.SH ') || (macro === '.SS' && l.startsWith('.SS '));
  const end = lines.findIndex((l, i) => i > start && stop(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The options in the terms (`.TP` items) of a part of a page. */
function termOptions(roffPart: string): Set<string> {
  const lines = roffPart.split('\n');
  const options = new Set<string>();
  lines.forEach((line, i) => {
    if (line !== '.TP') return;
    for (const word of unroff(lines[i + 1] ?? '').split(/[\s,[\]|]+/)) if (word.startsWith('-')) options.add(word.replace(/=.*$/, ''));
  });
  return options;
}

/** The options of `--help` that a command's part of logsphere(1) leaves out (null: the whole logsphere --help). */
function missingOptions(roff: string, command: string | null, helpText: string): string[] {
  const where = command === null ? part(roff, '.SH', 'OPTIONS') : part(part(roff, '.SH', 'COMMANDS'), '.SS', command);
  const listed = termOptions(where);
  return helpOptions(helpText).filter((o) => !listed.has(o));
}

describe('logsphere(1)', () => {
  it('lists, in each command\'s part, every option that command\'s --help lists, long and short', async () => {
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) {
      const text = await help([command.name]);
      expect(helpOptions(text), command.name).toContain('--help');
      expect(missingOptions(page('logsphere.1'), command.name, text), command.name).toEqual([]);
    }
  });

  it('lists the options of logsphere --help under OPTIONS', async () => {
    const text = await help([]);
    expect(helpOptions(text)).toEqual(['-h', '--help', '-V', '--version']);
    expect(missingOptions(page('logsphere.1'), null, text)).toEqual([]);
  });

  it('misses an option taken out of a command\'s part, and one its --help gains', async () => {
    const roff = page('logsphere.1');
    const sessions = await help(['sessions']);
    const withoutOne = roff.replace(/\.TP\n\\%\\fB\\-\\-include\\-gone\\fR\n[^\n]*\n/, '');
    expect(withoutOne).not.toBe(roff);
    expect(missingOptions(withoutOne, 'sessions', sessions)).toEqual(['--include-gone']);
    // The same option under another command does not count for this one.
    expect(missingOptions(roff, 'sessions', await help(['last']))).toContain('--system');
    const last = await help(['last']);
    const withoutShort = roff.replace('\\%\\fB\\-x\\fR, \\%\\fB\\-\\-system\\fR', '\\%\\fB\\-\\-system\\fR');
    expect(missingOptions(withoutShort, 'last', last)).toEqual(['-x']);
    expect(missingOptions(roff, 'sessions', `${sessions.replace('Options:\n', 'Options:\n      --new-option      a new one\n')}`)).toEqual(['--new-option']);
  });

  it('has the sections of a command\'s page and a part for every command of the command table', () => {
    const roff = page('logsphere.1');
    const sections = roff.split('\n').filter((l) => l.startsWith('.SH ')).map((l) => l.slice(4).replace(/"/g, ''));
    expect(sections).toEqual(['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'COMMANDS', 'TIMES', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'EXAMPLES', 'SEE ALSO']);
    const parts = part(roff, '.SH', 'COMMANDS').split('\n').filter((l) => l.startsWith('.SS ')).map((l) => l.slice(4).replace(/"/g, ''));
    expect(parts).toEqual(commands.map((c) => c.name));
    const synopsis = unroff(part(roff, '.SH', 'SYNOPSIS'));
    for (const command of commands) expect(synopsis).toContain(`logsphere ${command.name}`);
    for (const status of ['0', '1', '2']) expect(part(roff, '.SH', 'EXIT STATUS')).toContain(`.TP\n\\fB\\%${status}\\fR`);
    const seeAlso = unroff(part(roff, '.SH', 'SEE ALSO'));
    for (const reference of ['last(1)', 'lastb(1)', 'who(1)', 'lastlog(8)', 'pam_exec(8)', 'logsphere-hook(8)', 'logsphere.env(5)']) expect(seeAlso).toContain(reference);
    for (const path of ['/var/log/logsphere/sessions.jsonl', '/run/logsphere/sessions/', '/var/lib/logsphere/sessions.checkpoint', '/etc/logsphere/logsphere.env']) {
      expect(unroff(part(roff, '.SH', 'FILES'))).toContain(path);
    }
  });
});

describe('logsphere.env(5)', () => {
  const roff = page('logsphere.env.5');

  it('has an item for every variable of the configuration schema, with the schema\'s default', () => {
    const section = part(roff, '.SH', 'VARIABLES');
    const items = section.split('.TP\n').slice(1);
    expect(items).toHaveLength(variables.length);
    for (const variable of variables) {
      const item = items.find((i) => unroff(i).startsWith(`${variable.name}=`));
      expect(item, variable.name).toBeDefined();
      if (variable.default !== undefined) expect(unroff(item ?? ''), variable.name).toContain(`Default: ${String(variable.default)}.`);
    }
  });

  it('cannot be made when the source leaves out a variable of the schema or names another', () => {
    const text = source('logsphere.env.5.md');
    const without = text.replace(/^\* `LOGSPHERE_KEEP_DAYS`.*\n(?: {2}.*\n)*/m, '');
    expect(without).not.toBe(text);
    expect(() => renderManPage(without, { ...context, variables })).toThrow(new ManSourceError('logsphere.env.5.md: no item in VARIABLES for LOGSPHERE_KEEP_DAYS'));
    const unknown = text.replace('* `LOGSPHERE_RULES`', '* `LOGSPHERE_RULEZ`');
    expect(() => renderManPage(unknown, { ...context, variables })).toThrow(/LOGSPHERE_RULEZ is not a variable of the configuration schema/);
  });
});

describe('logsphere-hook(8)', () => {
  const text = unroff(page('logsphere-hook.8')).replace(/[ \t]+/g, ' ');

  it('gives the PAM lines of pam/ and the ExecStart and ExecStop lines of the boot unit as they are', () => {
    const lines = [
      ...readFileSync(`${repoRoot}pam/logsphere-session`, 'utf8').split('\n'),
      ...readFileSync(`${repoRoot}pam/logsphere-auth-failure`, 'utf8').split('\n'),
      ...readFileSync(`${repoRoot}services/logsphere-boot.service`, 'utf8').split('\n').filter((l) => /^Exec(Start|Stop)=/.test(l)),
    ].filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const line of lines) expect(text).toContain(line.replace(/[ \t]+/g, ' ').trim());
  });

  it('states the hook\'s rules', () => {
    const rules = unroff(part(page('logsphere-hook.8'), '.SH', 'RULES')).replace(/\s+/g, ' ');
    for (const rule of ['never fails or blocks a login', 'takes nothing from its environment', 'never follows symbolic links', 'exit status is 0', '2 seconds']) {
      expect(rules).toContain(rule);
    }
  });
});

describe('renderManPage()', () => {
  const render = (body: string) => renderManPage(`# x(1) -- a test\n\n## DESCRIPTION\n\n${body}\n`, context).roff;

  it('escapes what roff would read as requests or escapes, and writes options with minus signs', () => {
    const roff = render(['.hidden line', "'quoted line", 'a \\ backslash, util-linux and --keep-days=-7d — done…'].join('\n'));
    expect(roff).toContain('\n\\&.hidden line\n');
    expect(roff).toContain("\n\\&'quoted line\n");
    expect(roff).toContain('a \\e backslash, util-linux and \\%\\-\\-keep\\-days=\\-7d \\(em done...\n');
  });

  it('keeps code blocks as they are, with literal hyphens and quotes', () => {
    const roff = render("```\n.start --opt 'x'\n```");
    expect(roff).toContain(".RS 4\n.nf\n\\&.start \\-\\-opt \\(aqx\\(aq\n.fi\n.RE\n");
  });

  it('names the source line of a mistake', () => {
    expect(() => render('{{nothing}}')).toThrow(new ManSourceError('x.1.md line 5: unknown directive {{nothing}}'));
    expect(() => renderManPage('x(1) -- no title', context)).toThrow(ManSourceError);
  });
});

describe('the pages as roff', () => {
  const known = new Set(['.TH', '.SH', '.SS', '.PP', '.TP', '.IP', '.RS', '.RE', '.nf', '.fi', '.br', '.ad', '.\\"']);

  it('use only the man(7) requests the generator writes, ASCII, and escapes groff knows', () => {
    for (const [file, { roff }] of Object.entries(pages)) {
      let noFill = false;
      roff.split('\n').slice(0, -1).forEach((line, i) => {
        const where = `${file}:${i + 1}: ${line}`;
        if (line === '.nf') noFill = true;
        if (line === '.fi') noFill = false;
        expect(/^[\x20-\x7e]*$/.test(line), where).toBe(true);
        if (line.startsWith('.')) expect(known.has(line.split(' ')[0] as string), where).toBe(true);
        expect(line.startsWith("'"), where).toBe(false);
        if (!noFill) expect(line, where).not.toBe('');
        const escapes = line.replace(/\\(f[BIR]|[-e%&~]|\(\w\w|\(->|\(<=|\(>=|\[u[0-9A-F]{4,5}\]|")/g, '');
        expect(escapes.includes('\\'), where).toBe(false);
      });
    }
  });
});

const hasGroff = spawnSync('sh', ['-c', 'command -v groff'], { encoding: 'utf8' }).status === 0;
const hasMan = spawnSync('sh', ['-c', 'command -v man'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasGroff)('the pages rendered by groff (groff-base)', () => {
  const scratch = mkdtempSync(`${tmpdir()}/logsphere-man-`);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  function groff(file: string, device: string): { stdout: string; stderr: string } {
    const r = spawnSync('groff', ['-man', `-T${device}`, '-ww', '-rLL=80n'], { input: page(file), encoding: 'utf8', env: { ...process.env, GROFF_NO_SGR: '1' } });
    expect(r.status, r.stderr).toBe(0);
    return { stdout: r.stdout.replace(/.\x08/g, ''), stderr: r.stderr };
  }

  it('render without a warning', () => {
    for (const file of Object.keys(pages)) {
      for (const device of ['utf8', 'ascii']) expect(groff(file, device).stderr, `${file} -T${device}`).toBe('');
    }
  });

  it('show every option of every command in logsphere(1) as it is typed', async () => {
    const text = groff('logsphere.1', 'ascii').stdout;
    for (const command of commands) {
      for (const option of helpOptions(await help([command.name]))) expect(text, `${command.name} ${option}`).toContain(option);
    }
  });

  it.skipIf(!hasMan)('are read by man -l without a warning (man-db)', () => {
    for (const [file, { roff }] of Object.entries(pages)) writeFileSync(`${scratch}/${file}`, roff);
    for (const file of Object.keys(pages)) {
      const r = spawnSync('man', ['--warnings', '-l', `${scratch}/${file}`], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MAN_DISABLE_SECCOMP: '1', PAGER: 'cat' } });
      expect(r.stderr, file).toBe('');
      expect(r.status, file).toBe(0);
      expect(r.stdout, file).toContain('NAME');
    }
  });
});

describe('scripts/gen-man.mjs', () => {
  it('writes the pages of docs/man into --out, as renderManPage makes them', () => {
    const out = mkdtempSync(`${tmpdir()}/logsphere-man-`);
    try {
      const epoch = String(Date.parse(`${date}T12:00:00Z`) / 1000);
      const r = spawnSync('node', [`${repoRoot}scripts/gen-man.mjs`, '--out', out], { encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: epoch } });
      expect(r.status, r.stderr).toBe(0);
      expect(readdirSync(out).sort()).toEqual(Object.keys(pages).sort());
      for (const [file, { roff }] of Object.entries(pages)) expect(readFileSync(`${out}/${file}`, 'utf8'), file).toBe(roff);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

// Manual pages in roff (man(7) macros) from their sources in docs/man/: a small markdown-like
// text that a person edits (docs/man/README.md describes it), and, for logsphere(1), the usage
// texts of the commands themselves, so that a page cannot list other options than `--help` does.
// Pure functions over strings: scripts/gen-man.mjs reads the files and writes the pages.
//
// roff reads a line that starts with `.` or `'` as a request, `\` as an escape, and `-` as a
// hyphen that may be drawn as ‐ (U+2010): so text is escaped here once (roffText), options and
// literal words are written with `\-`, and characters beyond ASCII are written as groff's named
// glyphs, so that the pages need no preconv and render alike under -Tutf8 and -Tascii.

export interface ManCommand {
  name: string;
  /** What `logsphere NAME --help` prints (before it is fitted to the terminal's width). */
  usage: string;
}

export interface ManVariable {
  name: string;
  /** The schema's default; undefined when it has none. */
  default?: string | number | boolean | undefined;
}

export interface ManContext {
  /** The product's version, in the page footer. */
  version: string;
  /** YYYY-MM-DD, or '' for none. */
  date: string;
  /** The CLI's commands in the order of its command table. */
  commands: readonly ManCommand[];
  /** `logsphere --help`. */
  mainUsage: string;
  /**
   * The configuration variables of the schema. Given for the page that documents them: each item
   * of its VARIABLES section must name one, every one must have an item, and each item gets the
   * schema's default.
   */
  variables?: readonly ManVariable[];
}

export interface ManPage {
  /** File name: logsphere.1, logsphere-hook.8, ... */
  file: string;
  roff: string;
}

/** Thrown when a page's source cannot be turned into a page; the message names the source line. */
export class ManSourceError extends Error {
  override name = 'ManSourceError';
}

const manuals: Record<string, string> = {
  '1': 'User Commands',
  '5': 'File Formats',
  '8': 'System Administration',
};

// ---------------------------------------------------------------------------------------------
// Escaping

/** Characters beyond ASCII as groff glyphs that also have an ASCII rendering. */
const glyphs: Record<string, string> = {
  '\u2014': '\\(em',
  '\u2013': '\\(en',
  '\u2026': '...',
  '\u2018': '\\(oq',
  '\u2019': '\\(cq',
  '\u201c': '\\(lq',
  '\u201d': '\\(rq',
  '\u00d7': '\\(mu',
  '\u2192': '\\(->',
  '\u2264': '\\(<=',
  '\u2265': '\\(>=',
  '\u00a0': '\\~',
};

function glyph(ch: string): string {
  const named = glyphs[ch];
  if (named !== undefined) return named;
  const code = ch.codePointAt(0) ?? 0;
  return `\\[u${code.toString(16).toUpperCase().padStart(4, '0')}]`;
}

/** Backslashes and characters beyond ASCII; hyphens are left to the callers. */
function escapeBasic(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/[^\x00-\x7f]/gu, glyph);
}

/** A literal word (an option, a file, a command): every hyphen is a minus, `'` a straight quote. */
function roffLiteral(text: string): string {
  return escapeBasic(text).replace(/-/g, '\\-').replace(/'/g, '\\(aq');
}

/**
 * Prose: a word that begins with `-` (an option, `-7d`) or `/` (a path), or holds `=-` or `://`,
 * is literal, so its hyphens are minus signs; hyphens inside other words (util-linux) stay.
 */
function roffText(text: string): string {
  return escapeBasic(text).replace(/[^\s]+/g, (word) => {
    const bare = word.replace(/^[(["'`]+/, '');
    const literal = /^[-/]/.test(bare) || word.includes('=-') || word.includes('://');
    // Names, paths and identifiers are not hyphenated at a line's end (\%): a reader copies them.
    const name = literal || /[/_@=]|\w[.:]\w|^[(["']*[A-Z][A-Z0-9]+\b/.test(word);
    return `${name ? '\\%' : ''}${literal ? word.replace(/-/g, '\\-') : word}`;
  });
}

/** A literal word in bold, never hyphenated. */
function literalBold(text: string): string {
  return bold(`\\%${roffLiteral(text)}`);
}

/** A text line that roff will not take for a request. */
function textLine(line: string): string {
  return /^[.']/.test(line) ? `\\&${line}` : line;
}

/** A macro argument in double quotes. */
function quoted(text: string): string {
  return `"${text.replace(/"/g, '\\(dq')}"`;
}

const bold = (roff: string) => `\\fB${roff}\\fR`;
const italic = (roff: string) => `\\fI${roff}\\fR`;

// ---------------------------------------------------------------------------------------------
// Inline markup of the sources: `code` (bold, literal), **bold**, *italic*, and page(N)
// references (the page's name in bold).

const manReference = /(?<![\w.-])([A-Za-z][\w.+-]*)\(([1-8][a-z]*)\)/g;

function inlineText(text: string): string {
  let out = '';
  let at = 0;
  for (const m of text.matchAll(manReference)) {
    out += `${roffText(text.slice(at, m.index))}${literalBold(m[1] as string)}(${m[2]})`;
    at = m.index + m[0].length;
  }
  return out + roffText(text.slice(at));
}

function inline(text: string): string {
  let out = '';
  let rest = text;
  const span = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*/;
  for (let m = span.exec(rest); m !== null; m = span.exec(rest)) {
    out += inlineText(rest.slice(0, m.index));
    // \% goes where the word begins (inside a word it would mark a place to hyphenate): at the
    // span, or before what the word has so far (`(` before `code`).
    const wordStart = out === '' || /\s$/.test(out);
    if (!wordStart) out = out.replace(/(^|\s)(?!\\%)(\S*)$/, '$1\\%$2');
    if (m[1] !== undefined) out += wordStart ? literalBold(m[1]) : bold(roffLiteral(m[1]));
    else {
      const text = inlineText(m[2] ?? m[3] ?? '');
      const inner = wordStart ? text : text.replace(/^\\%/, '');
      out += m[2] !== undefined ? bold(inner) : italic(inner);
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return out + inlineText(rest);
}

// ---------------------------------------------------------------------------------------------
// The usage texts (src/cli/commands/*.ts, src/cli/usage.ts), read with the structure that
// src/text/wrap.ts reads them with: `Usage:` lines, headings (`Options:`), terms with their
// descriptions in a column, and paragraphs.

interface UsageTerm {
  term: string;
  description: string;
}

type UsageBlock =
  | { kind: 'paragraph'; text: string }
  | { kind: 'heading'; text: string }
  | { kind: 'terms'; heading: string | null; terms: UsageTerm[] };

interface ParsedUsage {
  /** The synopsis lines, without `Usage:`. */
  synopsis: string[];
  blocks: UsageBlock[];
}

const indentOf = (line: string) => line.length - line.trimStart().length;

/** A term line: its term, and the column its description starts at; null for other lines. */
function termLine(line: string): { term: string; column: number; description: string } | null {
  const gap = /^(\s+)(\S.*?)(\s{2,})(\S.*)$/.exec(line);
  if (gap) {
    const [, lead = '', term = '', space = '', description = ''] = gap;
    return { term, column: lead.length + term.length + space.length, description };
  }
  // An option whose term runs into its description with a single space: the options, then at
  // most one value placeholder (NAME, ecs|otel).
  const option = /^(\s+)((?:-[^\s,]+,?\s+)*-[^\s,]+)(?:\s+([A-Z][A-Z0-9_.]*|\S+\|\S+))?(?:\s+(.*))?$/.exec(line);
  if (option) {
    const [, lead = '', options = '', value, description = ''] = option;
    return { term: value === undefined ? options : `${options} ${value}`, column: lead.length + 1, description };
  }
  // A word at the margin with its description in a column (db's "migrate   creates ...").
  const word = /^([a-z][\w-]*)(\s{2,})(\S.*)$/.exec(line);
  if (word) {
    const [, term = '', space = '', description = ''] = word;
    return { term, column: term.length + space.length, description };
  }
  return null;
}

function parseUsage(text: string): ParsedUsage {
  const lines = text.replace(/\n+$/, '').split('\n');
  const synopsis: string[] = [];
  const blocks: UsageBlock[] = [];
  let heading: string | null = null;
  let terms: UsageTerm[] | null = null;
  for (let i = 0; i < lines.length; ) {
    const line = lines[i] as string;
    if (line.startsWith('Usage:')) {
      synopsis.push(line.slice('Usage:'.length).trim());
      for (i++; i < lines.length && /^\s+logsphere\b/.test(lines[i] as string); i++) synopsis.push((lines[i] as string).trim());
      continue;
    }
    if (line.trim() === '') {
      heading = null;
      terms = null;
      i++;
      continue;
    }
    if (/^\S.*:$/.test(line)) {
      heading = line.slice(0, -1);
      terms = null;
      blocks.push({ kind: 'heading', text: heading });
      i++;
      continue;
    }
    const term = termLine(line);
    if (term !== null && (indentOf(line) > 0 || terms !== null || /^\s{2,}/.test(line.slice(term.term.length)))) {
      const parts = [term.description];
      for (i++; i < lines.length; i++) {
        const next = lines[i] as string;
        if (next.trim() === '' || indentOf(next) < term.column) break;
        parts.push(next.trim());
      }
      if (terms === null) {
        terms = [];
        blocks.push({ kind: 'terms', heading, terms });
      }
      terms.push({ term: term.term, description: parts.filter((p) => p !== '').join(' ') });
      continue;
    }
    terms = null;
    const parts = [line.trim()];
    for (i++; i < lines.length; i++) {
      const next = lines[i] as string;
      if (next.trim() === '' || /^\S.*:$/.test(next) || (indentOf(next) > 0 && termLine(next) !== null && indentOf(next) !== indentOf(line))) break;
      parts.push(next.trim());
    }
    blocks.push({ kind: 'paragraph', text: parts.join(' ') });
  }
  return { synopsis, blocks };
}

/** One \\% at the start of a word, none inside it (there it would mark a place to hyphenate). */
function unbroken(word: string): string {
  return `\\%${word.replace(/\\%/g, '')}`;
}

/** A term of a usage text: options in bold, placeholders in italics, literal values in bold. */
function termRoff(term: string): string {
  return term
    .split(/\s+/)
    .map((token) => {
      const comma = token.endsWith(',') ? ',' : '';
      const word = comma ? token.slice(0, -1) : token;
      return unbroken(`${wordRoff(word)}${comma}`);
    })
    .join(' ');
}

/** One word of a synopsis or a term. */
function wordRoff(word: string): string {
  if (word.startsWith('-')) {
    const eq = word.indexOf('=');
    return eq < 0 ? literalBold(word) : `${literalBold(word.slice(0, eq + 1))}${wordRoff(word.slice(eq + 1))}`;
  }
  if (word.includes('|')) return word.split('|').map(wordRoff).join('|');
  const dots = word.endsWith('...') ? '...' : '';
  const bare = dots ? word.slice(0, -3) : word;
  if (bare === '') return dots;
  if (/^[A-Z][A-Z0-9_]*$/.test(bare)) return `${italic(roffLiteral(bare))}${dots}`;
  return `${literalBold(bare)}${dots}`;
}

/** A synopsis line: `logsphere db retain --keep-days N [--db URL]`. */
function synopsisRoff(line: string): string {
  return line
    .split(/\s+/)
    .map((token) => unbroken(token.replace(/[^\s[\]|]+(?:\|[^\s[\]|]+)*/g, (word) => wordRoff(word))))
    .join(' ');
}

function usageBlocksRoff(blocks: readonly UsageBlock[]): string[] {
  const out: string[] = [];
  for (const block of blocks) {
    // Options: and the like: the list that follows says what it is.
    if (block.kind === 'heading') continue;
    if (block.kind === 'paragraph') {
      out.push('.PP', textLine(roffText(block.text)));
      continue;
    }
    for (const { term, description } of block.terms) {
      out.push('.TP', textLine(termRoff(term)));
      if (description !== '') out.push(textLine(roffText(description)));
    }
  }
  return out;
}

/** The terms under `heading` in a usage text (the commands of `logsphere --help`, its options). */
function termsUnder(usage: ParsedUsage, heading: string): UsageTerm[] {
  return usage.blocks.flatMap((b) => (b.kind === 'terms' && b.heading === heading ? b.terms : []));
}

// ---------------------------------------------------------------------------------------------
// Directives: lines `{{name}}` in a source, replaced by what the usage texts say.

/** Synopsis lines, one under the other. */
function synopsisLines(lines: readonly string[]): string[] {
  return lines.flatMap((l, i) => (i === 0 ? [textLine(synopsisRoff(l))] : ['.br', textLine(synopsisRoff(l))]));
}

function synopsisDirective(context: ManContext): string[] {
  const lines = [...parseUsage(context.mainUsage).synopsis, ...context.commands.flatMap((c) => parseUsage(c.usage).synopsis)];
  return synopsisLines(lines);
}

function commandSummaryDirective(context: ManContext): string[] {
  const listed = termsUnder(parseUsage(context.mainUsage), 'Commands');
  const out: string[] = [];
  for (const command of context.commands) {
    const summary = listed.find((t) => t.term === command.name);
    const first = parseUsage(command.usage).blocks.find((b) => b.kind === 'paragraph');
    const text = summary?.description ?? (first?.kind === 'paragraph' ? first.text : '');
    out.push('.TP', literalBold(command.name));
    if (text !== '') out.push(textLine(roffText(text)));
  }
  return out;
}

function commandsDirective(context: ManContext): string[] {
  const out: string[] = [];
  for (const command of context.commands) {
    const usage = parseUsage(command.usage);
    out.push(`.SS ${quoted(roffLiteral(command.name))}`);
    out.push(...synopsisLines(usage.synopsis));
    out.push(...usageBlocksRoff(usage.blocks));
  }
  return out;
}

function globalOptionsDirective(context: ManContext): string[] {
  return termsUnder(parseUsage(context.mainUsage), 'Options').flatMap(({ term, description }) => ['.TP', textLine(termRoff(term)), textLine(roffText(description))]);
}

const directives: Record<string, (context: ManContext) => string[]> = {
  synopsis: synopsisDirective,
  'command-summary': commandSummaryDirective,
  commands: commandsDirective,
  'global-options': globalOptionsDirective,
};

// ---------------------------------------------------------------------------------------------
// The sources

interface Title {
  name: string;
  section: string;
  summary: string;
}

function parseTitle(line: string | undefined): Title {
  const m = /^# ([\w.+-]+)\(([1-8])\) -- (\S.*)$/.exec(line ?? '');
  if (!m) throw new ManSourceError(`line 1: expected "# NAME(SECTION) -- SUMMARY", got ${JSON.stringify(line ?? '')}`);
  return { name: m[1] as string, section: m[2] as string, summary: m[3] as string };
}

function defaultText(value: string | number | boolean): string {
  return typeof value === 'string' && value === '' ? '(empty)' : String(value);
}

/** Renders one page from its source. */
export function renderManPage(source: string, context: ManContext): ManPage {
  const lines = source.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const title = parseTitle(lines[0]);
  const manual = manuals[title.section];
  if (manual === undefined) throw new ManSourceError(`line 1: no manual for section ${title.section}`);
  const out: string[] = [
    `.\\" ${title.name}(${title.section}), generated by scripts/gen-man.mjs from docs/man/${title.name}.${title.section}.md`,
    `.\\" and the usage texts of the commands. Edit those, not this file.`,
    `.TH ${quoted(roffLiteral(title.name.toUpperCase()))} ${title.section} ${quoted(context.date)} ${quoted(`LogSphere ${context.version}`)} ${quoted(manual)}`,
    // Ragged right: paths and options, never hyphenated, would leave wide gaps in justified lines.
    '.ad l',
    '.SH NAME',
    `${roffLiteral(title.name)} \\- ${roffText(title.summary)}`,
  ];
  let section = '';
  const documented = new Set<string>();
  const variables = context.variables;
  const fail = (n: number, why: string): never => {
    throw new ManSourceError(`${title.name}.${title.section}.md line ${n + 1}: ${why}`);
  };

  for (let i = 1; i < lines.length; ) {
    const line = lines[i] as string;
    if (line.trim() === '') {
      i++;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^## (\S.*)$/.exec(line))) {
      section = m[1] as string;
      out.push(`.SH ${quoted(roffLiteral(section))}`);
      i++;
      continue;
    }
    if ((m = /^### (\S.*)$/.exec(line))) {
      out.push(`.SS ${quoted(roffText(m[1] as string))}`);
      i++;
      continue;
    }
    if ((m = /^\{\{([\w-]+)\}\}$/.exec(line.trim()))) {
      const directive = directives[m[1] as string];
      if (directive === undefined) fail(i, `unknown directive {{${m[1]}}}`);
      out.push(...(directive as (context: ManContext) => string[])(context));
      i++;
      continue;
    }
    if (line.startsWith('```')) {
      const [block, next] = codeBlock(lines, i, 0, fail);
      out.push('.PP', ...block);
      i = next;
      continue;
    }
    if (line.startsWith('* ')) {
      // An item: its term, then its description indented by two spaces (paragraphs and code).
      const term = line.slice(2).trim();
      const body: string[] = [];
      for (i++; i < lines.length; i++) {
        const next = lines[i] as string;
        if (next.trim() === '') {
          const following = lines.slice(i + 1).find((l) => l.trim() !== '');
          if (following === undefined || !following.startsWith('  ')) break;
          body.push('');
          continue;
        }
        if (!next.startsWith('  ')) break;
        body.push(next.slice(2));
      }
      out.push('.TP', textLine(inline(term)));
      out.push(...itemBody(body, fail, i - body.length));
      if (variables !== undefined && section === 'VARIABLES') {
        const name = /^`?([A-Z][A-Z0-9_]*)/.exec(term)?.[1];
        const variable = variables.find((v) => v.name === name);
        if (variable === undefined) fail(i - body.length - 1, `${name ?? term} is not a variable of the configuration schema`);
        else {
          if (documented.has(variable.name)) fail(i - body.length - 1, `${variable.name} has two items`);
          documented.add(variable.name);
          if (variable.default !== undefined) {
            if (body.some((l) => l.includes('Default:'))) fail(i - body.length - 1, `${variable.name}: its default comes from the schema; write none`);
            out.push('.IP', `Default: ${bold(roffLiteral(defaultText(variable.default)))}.`);
          }
        }
      }
      continue;
    }
    if (line.startsWith('- ')) {
      // A bullet: its text, and lines indented by two spaces after it.
      const parts = [line.slice(2)];
      for (i++; i < lines.length && /^ {2}\S/.test(lines[i] as string); i++) parts.push((lines[i] as string).trim());
      out.push('.IP \\(bu 2', ...parts.map((p) => textLine(inline(p))));
      continue;
    }
    if (/^\s/.test(line)) fail(i, 'an indented line outside an item');
    const parts: string[] = [];
    for (; i < lines.length; i++) {
      const next = lines[i] as string;
      if (next.trim() === '' || /^(#{2,3} |\* |- |```)/.test(next) || /^\{\{[\w-]+\}\}$/.test(next.trim())) break;
      parts.push(next.trim());
    }
    out.push('.PP', ...parts.map((p) => textLine(inline(p))));
  }

  if (variables !== undefined) {
    const missing = variables.filter((v) => !documented.has(v.name)).map((v) => v.name);
    if (missing.length > 0) throw new ManSourceError(`${title.name}.${title.section}.md: no item in VARIABLES for ${missing.join(', ')}`);
  }
  return { file: `${title.name}.${title.section}`, roff: `${out.join('\n')}\n` };
}

/** A fenced block from line `start` (its ``` line) at `indent`: no-fill, indented; and the line after it. */
function codeBlock(lines: readonly string[], start: number, indent: number, fail: (n: number, why: string) => never): [string[], number] {
  const out = ['.RS 4', '.nf'];
  let i = start + 1;
  for (; i < lines.length; i++) {
    const line = (lines[i] as string).slice(indent);
    if (line.startsWith('```')) break;
    out.push(line.trim() === '' ? '' : textLine(roffLiteral(line).replace(/\t/g, '        ')));
  }
  if (i >= lines.length) fail(start, 'a code block without its closing ```');
  out.push('.fi', '.RE');
  return [out, i + 1];
}

/** An item's description: paragraphs (the first right under the term) and code blocks. */
function itemBody(body: readonly string[], fail: (n: number, why: string) => never, firstLine: number): string[] {
  const out: string[] = [];
  let first = true;
  for (let i = 0; i < body.length; ) {
    const line = body[i] as string;
    if (line.trim() === '') {
      i++;
      continue;
    }
    if (line.startsWith('```')) {
      const [block, next] = codeBlock(body, i, 0, (n, why) => fail(firstLine + n, why));
      out.push(...block);
      i = next;
      first = false;
      continue;
    }
    const parts: string[] = [];
    for (; i < body.length && (body[i] as string).trim() !== '' && !(body[i] as string).startsWith('```'); i++) parts.push((body[i] as string).trim());
    if (!first) out.push('.IP');
    out.push(...parts.map((p) => textLine(inline(p))));
    first = false;
  }
  return out;
}

// PAM service files read as libpam reads them, so that a service's whole stack can be asked what
// it runs: whether the hook is in it, and whether it reads users' environment files (pam_env
// user_readenv), which would hand the hook, run as root, a PAM environment the user wrote
// (NODE_OPTIONS, LD_PRELOAD ...). As libpam (1.5): from `#` to the end of a line is a comment; a
// line ending in `\` goes on on the next one; a word in `[...]` may hold spaces (`\]` a bracket);
// `@include FILE`, `include` and `substack` (also as `[include]`) pull in another file, by path or
// by name in the configuration directory, else the vendor directory; services live in both.
// pam_env reads `user_readenv=` with atoi, the last one counting.

import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';

/** Where libpam looks for services and included files: the administrator's, then the vendor's. */
export interface PamDirs {
  config: string;
  vendor: string | null;
}

export const systemPamDirs: PamDirs = { config: '/etc/pam.d', vendor: '/usr/lib/pam.d' };

/** Where scripts/install.sh puts the hook, as PAM lines name it. */
export const installedHookPath = '/usr/local/lib/logsphere/logsphere-hook';

export interface PamLine {
  /** The file the line is in. */
  file: string;
  /** The line number where it starts, from 1, and where it ends (continuation lines). */
  number: number;
  lastNumber: number;
  /** Where on its last physical line the line's text ends (before a comment), in bytes. */
  endByte: number;
  words: string[];
}

/** Splits a logical line into words; `[...]` is one word (brackets kept), `\]` inside it a `]`. */
export function pamWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text.charAt(i))) i++;
    if (i >= text.length) break;
    let word = '';
    if (text.charAt(i) === '[') {
      word = '[';
      i++;
      while (i < text.length && text.charAt(i) !== ']') {
        if (text.charAt(i) === '\\' && text.charAt(i + 1) === ']') i++;
        word += text.charAt(i++);
      }
      word += ']';
      i++;
      while (i < text.length && !/\s/.test(text.charAt(i))) word += text.charAt(i++);
    } else {
      while (i < text.length && !/\s/.test(text.charAt(i))) word += text.charAt(i++);
    }
    words.push(word);
  }
  return words;
}

/** A word without its enclosing brackets (`[user_readenv=1]` is `user_readenv=1`). */
export function unbracketed(word: string): string {
  return word.startsWith('[') && word.endsWith(']') ? word.slice(1, -1) : word;
}

/** The logical lines of a file, comments removed and continuations joined. */
export function fileLines(path: string): PamLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return [];
  }
  const lines: PamLine[] = [];
  const physical = text.split('\n');
  let pending: { number: number; text: string; lastNumber: number; endByte: number } | null = null;
  physical.forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const kept = (hash < 0 ? raw : raw.slice(0, hash)).replace(/\s+$/, '');
    if (kept.endsWith('\\')) {
      const text = kept.slice(0, -1);
      pending = { number: pending?.number ?? i + 1, text: `${pending?.text ?? ''} ${text}`, lastNumber: i + 1, endByte: Buffer.byteLength(text.replace(/\s+$/, ''), 'latin1') };
      return;
    }
    const joined = `${pending?.text ?? ''} ${kept}`;
    const number = pending?.number ?? i + 1;
    pending = null;
    if (joined.trim() === '') return;
    lines.push({ file: path, number, lastNumber: i + 1, endByte: Buffer.byteLength(kept, 'latin1'), words: pamWords(joined) });
  });
  // A file may end inside a continued line: that is a line too.
  const rest = pending as { number: number; text: string; lastNumber: number; endByte: number } | null;
  if (rest !== null && rest.text.trim() !== '') {
    lines.push({ file: path, number: rest.number, lastNumber: rest.lastNumber, endByte: rest.endByte, words: pamWords(rest.text) });
  }
  return lines;
}

/** The file an include names: a path, or a name in the configuration then the vendor directory. */
function includedFile(dirs: PamDirs, name: string): string {
  if (name.startsWith('/')) return name;
  const own = `${dirs.config}/${name}`;
  try {
    statSync(own);
    return own;
  } catch {
    return dirs.vendor === null ? own : `${dirs.vendor}/${name}`;
  }
}

/** The file an include line pulls in, or null. */
function includeOf(line: PamLine): string | null {
  const [first, second, third] = line.words.map(unbracketed);
  if (first === '@include') return second ?? null;
  if (second === 'include' || second === 'substack') return third ?? null;
  return null;
}

/** Every line a service file reads, its includes followed (each file once). */
export function stackLines(dirs: PamDirs, path: string, seen = new Set<string>()): PamLine[] {
  if (seen.has(path)) return [];
  seen.add(path);
  const lines: PamLine[] = [];
  for (const line of fileLines(path)) {
    lines.push(line);
    const included = includeOf(line);
    if (included !== null) lines.push(...stackLines(dirs, includedFile(dirs, included), seen));
  }
  return lines;
}

/** The service files libpam can load: the configuration directory's, and the vendor's not shadowed by them. */
export function pamServices(dirs: PamDirs): Array<{ service: string; path: string }> {
  const list = (dir: string | null): string[] => {
    if (dir === null) return [];
    try {
      return readdirSync(dir).filter((name) => {
        try {
          return statSync(`${dir}/${name}`).isFile();
        } catch {
          return false;
        }
      });
    } catch {
      return [];
    }
  };
  const own = list(dirs.config);
  const vendor = list(dirs.vendor).filter((name) => !own.includes(name));
  return [
    ...own.map((service) => ({ service, path: `${dirs.config}/${service}` })),
    ...vendor.map((service) => ({ service, path: `${dirs.vendor}/${service}` })),
  ].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}

const resolved = new Map<string, string | null>();
function realpath(path: string): string | null {
  if (!resolved.has(path)) {
    try {
      resolved.set(path, realpathSync(path));
    } catch {
      resolved.set(path, null);
    }
  }
  return resolved.get(path) ?? null;
}

/** Whether a line runs the hook through pam_exec, by whatever path names it (links resolved). */
export function runsHook(line: PamLine, hookPath: string): boolean {
  const words = line.words.map(unbracketed);
  if (!words.some((w) => /(^|\/)pam_exec\.so$/.test(w))) return false;
  const hook = realpath(hookPath) ?? hookPath;
  return words.some((w) => w === hookPath || (w.startsWith('/') && realpath(w) === hook));
}

/** C's atoi: leading blanks, a sign, digits; 0 when there are none. */
function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number.parseInt(m[1] ?? '0', 10) : 0;
}

/** Whether a line is pam_env reading users' environment files: its last `user_readenv=` is not 0. */
export function readsUserEnvironment(line: PamLine): boolean {
  const words = line.words.map(unbracketed);
  const at = words.findIndex((w) => /(^|\/)pam_env\.so$/.test(w));
  if (at < 0) return false;
  let reads = false;
  for (const arg of words.slice(at + 1)) if (arg.startsWith('user_readenv=')) reads = atoi(arg.slice('user_readenv='.length)) !== 0;
  return reads;
}

export interface UserEnvironmentExposure {
  service: string;
  /** The pam_env line reading users' environment files. */
  line: PamLine;
}

/**
 * Services that run the hook — or would, once it is added to one of `hookIn` (files) — and read
 * users' environment files, with the line that reads them.
 */
export function hookServicesReadingUserEnvironment(dirs: PamDirs, hookPath: string, hookIn: readonly string[] = []): UserEnvironmentExposure[] {
  const found: UserEnvironmentExposure[] = [];
  for (const { service, path } of pamServices(dirs)) {
    const lines = stackLines(dirs, path);
    if (!lines.some((l) => runsHook(l, hookPath) || hookIn.includes(l.file))) continue;
    for (const line of lines.filter(readsUserEnvironment)) found.push({ service, line });
  }
  return found;
}

/** The active lines, in any service file, that run the hook on the auth stack's failure branch. */
export function authFailureLines(dirs: PamDirs, hookPath: string): PamLine[] {
  return pamServices(dirs)
    .flatMap(({ path }) => fileLines(path))
    .filter((line) => /^-?auth$/.test(line.words[0] ?? '') && runsHook(line, hookPath) && line.words.map(unbracketed).includes('auth-failure'));
}

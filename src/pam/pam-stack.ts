// PAM service files read as libpam reads them: from `#` to the end of a line is a comment, and
// `@include FILE`, `include` and `substack` pull in other files of the directory. A service's
// whole stack can then be asked what it runs: whether the hook is in it, and whether it reads
// users' environment files (pam_env user_readenv=1), which would hand the hook, run as root, a
// PAM environment the user wrote (NODE_OPTIONS, LD_PRELOAD ...).

import { readdirSync, readFileSync, statSync } from 'node:fs';

export interface PamLine {
  /** The file the line is in. */
  file: string;
  /** Its line number there, from 1. */
  number: number;
  /** The line without its comment. */
  text: string;
  words: string[];
}

function fileLines(path: string): PamLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const lines: PamLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line !== '') lines.push({ file: path, number: i + 1, text: line, words: line.split(/\s+/) });
  });
  return lines;
}

/** Every line a service reads, its includes followed (each file once). */
export function stackLines(pamDir: string, service: string, seen = new Set<string>()): PamLine[] {
  const path = service.startsWith('/') ? service : `${pamDir}/${service}`;
  if (seen.has(path)) return [];
  seen.add(path);
  const lines: PamLine[] = [];
  for (const line of fileLines(path)) {
    lines.push(line);
    const [first, second, third] = line.words;
    const included = first === '@include' ? second : second === 'include' || second === 'substack' ? third : undefined;
    if (included !== undefined) lines.push(...stackLines(pamDir, included, seen));
  }
  return lines;
}

/** The service names in a PAM directory (its regular files). */
export function pamServices(pamDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(pamDir);
  } catch {
    return [];
  }
  return names.filter((name) => {
    try {
      return statSync(`${pamDir}/${name}`).isFile();
    } catch {
      return false;
    }
  }).sort();
}

export function runsHook(line: PamLine, hookPath: string): boolean {
  return line.words.some((w) => /(^|\/)pam_exec\.so$/.test(w)) && line.words.includes(hookPath);
}

export function readsUserEnvironment(line: PamLine): boolean {
  return line.words.some((w) => /(^|\/)pam_env\.so$/.test(w)) && line.words.includes('user_readenv=1');
}

export interface UserEnvironmentExposure {
  service: string;
  /** The pam_env line reading users' environment files. */
  line: PamLine;
}

/** Services that run the hook and read users' environment files, with the line that reads them. */
export function hookServicesReadingUserEnvironment(pamDir: string, hookPath: string): UserEnvironmentExposure[] {
  const found: UserEnvironmentExposure[] = [];
  for (const service of pamServices(pamDir)) {
    const lines = stackLines(pamDir, service);
    if (!lines.some((l) => runsHook(l, hookPath))) continue;
    for (const line of lines.filter(readsUserEnvironment)) found.push({ service, line });
  }
  return found;
}

/** The active lines, in any file of the directory, that run the hook on the auth stack's failure branch. */
export function authFailureLines(pamDir: string, hookPath: string): PamLine[] {
  return pamServices(pamDir)
    .flatMap((service) => fileLines(`${pamDir}/${service}`))
    .filter((line) => /^-?auth$/.test(line.words[0] ?? '') && runsHook(line, hookPath) && line.words.includes('auth-failure'));
}

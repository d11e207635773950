// Where configuration comes from on a host.
//
// The hook runs as root inside every login, started by pam_exec with the PAM environment, which
// users can write to (Debian's sshd stack reads ~/.pam_environment). So it takes nothing from its
// environment: its configuration is the root-owned config file alone, the default one or the one
// named by `--config=FILE` on its PAM line (which only root can write). The file is opened
// without following a link and without blocking (a FIFO or device there is refused at once),
// must be a regular file owned by root and writable by nobody else, and is read up to a cap.
//
// The CLI, run by a person, reads the same file (or LOGSPHERE_CONFIG) and its environment, which
// wins. Run as root it checks the file as the hook does; run by anyone else, a file it may not
// read (a 0600 file) leaves it with the defaults and a warning: a read-only query still answers.

import { configPathFrom, defaultConfigPath, secretsPathFor, type ConfigSources } from './config.ts';
import { describeFileType, errorCode } from '../store/errors.ts';
import { parseEnvFile } from './env-file.ts';
import { escapeText } from '../text/terminal.ts';
import { fs } from '../sys/fs.ts';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = fs.constants;

/** A config file is a few hundred bytes; anything this large is not one. */
export const maxConfigBytes = 64 * 1024;

/** What LOGSPHERE_CONFIG names for no configuration file (the CLI's defaults and environment only). */
export const noConfigFile = '/dev/null';

/** Thrown when a configuration file is not one root can trust. */
export class UntrustedFileError extends Error {
  override name = 'UntrustedFileError';
  readonly path: string;
  constructor(path: string, why: string) {
    super(`Refusing to read configuration from ${path}: ${why}`);
    this.path = path;
  }
}

/**
 * Reads a configuration file: null when it does not exist. `owners`, when given, are the uids
 * that may own it, and then it must not be writable by group or others.
 */
export function readConfigFile(path: string, owners: readonly number[] | null): string | null {
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new UntrustedFileError(path, 'a symbolic link');
    throw error;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new UntrustedFileError(path, describeFileType(st.mode));
    if (owners !== null) {
      if (!owners.includes(st.uid)) throw new UntrustedFileError(path, `owned by uid ${st.uid}, not root`);
      if ((st.mode & 0o022) !== 0) {
        throw new UntrustedFileError(path, `writable by group or others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`);
      }
    }
    if (st.size > maxConfigBytes) throw new UntrustedFileError(path, `larger than ${maxConfigBytes} bytes`);
    // Sized by the file, with one byte more to see whether it grew since the fstat.
    const buffer = Buffer.allocUnsafe(st.size + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) {
      n = fs.readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > st.size) throw new UntrustedFileError(path, 'it changed while being read');
    return buffer.toString('utf8', 0, length);
  } finally {
    fs.closeSync(fd);
  }
}

/** The uids root may take configuration from: root only; an unprivileged run also its own. */
function trustedOwners(): number[] {
  const euid = process.geteuid?.() ?? 0;
  return euid === 0 ? [0] : [0, euid];
}

/**
 * The hook's configuration: the file named on its PAM line (`--config=FILE`), else the default
 * file, else the defaults. Its environment is not consulted at all.
 */
export function hookConfigSources(configPath: string | null): ConfigSources {
  const filePath = configPath ?? defaultConfigPath;
  const fileText = readConfigFile(filePath, trustedOwners());
  if (fileText === null && configPath !== null) throw new UntrustedFileError(filePath, 'it does not exist');
  return { env: {}, fileText, filePath };
}

/**
 * The CLI's configuration sources, with warnings: a config file this user may not read leaves the
 * defaults (a read-only query still answers). With `secrets`, for the commands that send mail or
 * webhooks, the secrets file beside the config file is read too; it should be readable by root
 * alone.
 */
export function configSources(
  env: Readonly<Record<string, string | undefined>>,
  options: { secrets?: boolean } = {},
): ConfigSources & { warnings: string[] } {
  const filePath = configPathFrom(env);
  const root = (process.geteuid?.() ?? 0) === 0;
  const warnings: string[] = [];
  // Whether the last file read was not there (readConfigFile's null), not merely unreadable.
  let absent = false;
  const read = (path: string, what: string): string | null => {
    absent = false;
    try {
      const text = readConfigFile(path, root ? [0] : null);
      absent = text === null;
      return text;
    } catch (error) {
      if (root || errorCode(error) !== 'EACCES') throw error;
      warnings.push(`Cannot read ${escapeText(path)}: EACCES; ${what}`);
      return null;
    }
  };
  // LOGSPHERE_CONFIG=/dev/null (that name): no file, the defaults and the environment only.
  const none = filePath === noConfigFile;
  const fileText = none ? null : read(filePath, 'using the defaults and the environment');
  if (fileText !== null) warnings.push(...secretsInSight(filePath, fileText));
  // The default file may be absent (the defaults are the configuration); one named on purpose is
  // meant to be there, and a mistyped name would otherwise go unseen.
  else if (absent && env['LOGSPHERE_CONFIG']) {
    warnings.push(`${escapeText(filePath)} (LOGSPHERE_CONFIG) does not exist: using the defaults and the environment; LOGSPHERE_CONFIG=${noConfigFile} for no file`);
  }
  const sources: ConfigSources & { warnings: string[] } = { env, fileText, filePath, warnings };
  if (options.secrets) {
    const secretsPath = secretsPathFor(filePath);
    sources.secretsPath = secretsPath;
    sources.secretsText = none ? null : read(secretsPath, 'going on without its secrets');
    if (sources.secretsText !== null && root && (fs.statSync(secretsPath).mode & 0o077) !== 0) {
      warnings.push(`${secretsPath} is readable by others than root: make it mode 0600`);
    }
  }
  return sources;
}

/** The user and password of a URL's text: scheme://user:password@. */
export const passwordInText = /^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^@/?#]*@/i;

/** Whether a URL's text carries a password (user:password@, or ?password=). */
export function urlCarriesPassword(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.password !== '' || parsed.searchParams.has('password');
  } catch {
    // libpq's postgresql://user:password@/db?host=/run/postgresql, which is no WHATWG URL.
    return passwordInText.test(url) || /[?&]password=/i.test(url);
  }
}

/**
 * A warning for secrets in a config file others than root may read (the config file is
 * world-readable as installed; secrets go in the root-only secrets.env beside it): the mail
 * password, the webhook URL (its token), a database URL with a password.
 */
function secretsInSight(path: string, text: string): string[] {
  let mode: number;
  try {
    mode = fs.statSync(path).mode;
  } catch {
    return [];
  }
  if ((mode & 0o044) === 0) return [];
  const values = parseEnvFile(text).values;
  const secret = (['LOGSPHERE_SMTP_PASSWORD', 'LOGSPHERE_WEBHOOK_URL', 'LOGSPHERE_DATABASE_URL'] as const).filter(
    (key) => values[key] !== undefined && values[key] !== '' && (key !== 'LOGSPHERE_DATABASE_URL' || urlCarriesPassword(values[key] as string)),
  );
  if (secret.length === 0) return [];
  return [`${path} sets ${secret.join(', ')}, and others than root can read it: put ${secret.length === 1 ? 'it' : 'them'} in ${secretsPathFor(path)} (owner root, mode 0600)`];
}

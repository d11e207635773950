// The checks of `logsphere doctor` over what an installed host needs: node, the hook, the
// directories with their modes and owners, the PAM line and the services that run it, the boot
// unit and record, the spool, and utmp against the open sessions. Each is OK, WARN or FAIL.

import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { Config } from '../config/config.ts';
import { groupName, lookupGid, userName } from '../sys/accounts.ts';
import { spooledNames } from '../store/spool.ts';
import { errorCode } from '../store/errors.ts';
import { listOpenSessions } from '../store/open-sessions.ts';
import { readUtmp, UtType } from '../legacy/utmp.ts';
import { authFailureLines, fileLines, hookServicesReadingUserEnvironment, pamServices, runsHook, unbracketed, type PamDirs, type PamLine } from '../pam/pam-stack.ts';

export type CheckStatus = 'OK' | 'WARN' | 'FAIL';

export interface Check {
  status: CheckStatus;
  name: string;
  detail: string;
}

export interface DoctorOptions {
  config: Config;
  /** The system's utmp file (/run/utmp), compared with the run directory when it exists. */
  utmpPath: string;
  nodePath: string;
  nodeVersion: string;
  hookPath: string;
  /** Where PAM services live (the configuration and vendor directories). */
  pamDirs: PamDirs;
  unitDirs: readonly string[];
  /** True when systemd is the running init (/run/systemd/system exists). */
  systemdRunning: boolean;
  bootId: string;
  /** What installed LogSphere here (src/sys/installation.ts), for the advice; install.sh by default. */
  installedBy?: 'package' | 'install.sh';
}

/** How to set right what a check finds, by what installed LogSphere. */
const advice = {
  'install.sh': {
    enable: null,
    userEnvironment: 'install.sh does',
    authFailures: 'scripts/install.sh --with-auth-failures (or the line of pam/logsphere-auth-failure)',
    bootsWithoutSystemd: 'boots are recorded by install.sh only',
  },
  package: {
    enable: 'dpkg-reconfigure logsphere proves the line and enables it',
    userEnvironment: 'dpkg-reconfigure logsphere does',
    authFailures: 'LOGSPHERE_AUTH_FAILURES=yes dpkg-reconfigure logsphere',
    bootsWithoutSystemd: "boots are recorded by the package's configuration only",
  },
} as const;

const adviceFor = (options: DoctorOptions) => advice[options.installedBy ?? 'install.sh'];

export const unitName = 'logsphere-boot.service';

const mode = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');

/** The oldest Node.js LogSphere runs on: Debian 12's and Ubuntu 24.04's own (18.19 and 18.20). */
export const oldestNode = [18, 19] as const;

/** Whether `version` (`v18.20.4`) is at least oldestNode. */
export function nodeSupported(version: string): boolean {
  const [, major = '0', minor = '0'] = /^v(\d+)\.(\d+)/.exec(version) ?? [];
  return Number(major) > oldestNode[0] || (Number(major) === oldestNode[0] && Number(minor) >= oldestNode[1]);
}

function checkNode(options: DoctorOptions): Check {
  if (!nodeSupported(options.nodeVersion)) return { status: 'FAIL', name: 'node', detail: `${options.nodeVersion} is older than ${oldestNode.join('.')}` };
  if (!existsSync(options.nodePath)) {
    return { status: 'FAIL', name: 'node', detail: `${options.nodePath} is missing (the hook runs with it; pam_exec gives no PATH)` };
  }
  return { status: 'OK', name: 'node', detail: `${options.nodeVersion} at ${options.nodePath}` };
}

/** Checks a directory or file: present, not a symlink, owner root, group and mode as expected. */
function checkPath(
  name: string,
  path: string,
  kind: 'directory' | 'file',
  expected: { mode: number; gid: number | null },
  missing: CheckStatus,
): Check {
  let st;
  try {
    st = lstatSync(path);
  } catch (error) {
    const code = errorCode(error);
    if (denied(error)) return { status: 'WARN', name, detail: `not checked: ${path} is out of this user's reach (run logsphere doctor as root)` };
    return { status: code === 'ENOENT' ? missing : 'FAIL', name, detail: `${path}: ${code === 'ENOENT' ? 'missing' : code}` };
  }
  if (st.isSymbolicLink()) return { status: 'FAIL', name, detail: `${path} is a symbolic link` };
  if (kind === 'directory' ? !st.isDirectory() : !st.isFile()) {
    return { status: 'FAIL', name, detail: `${path} is not a ${kind}` };
  }
  const problems: string[] = [];
  if (st.uid !== 0) problems.push(`owner ${userName(st.uid)}, expected root`);
  if ((st.mode & 0o002) !== 0) problems.push(`world-writable (${mode(st.mode)})`);
  const wider = (st.mode & 0o777 & ~expected.mode) !== 0;
  if (wider) problems.push(`mode ${mode(st.mode)} is wider than ${mode(expected.mode)}`);
  if (expected.gid !== null && st.gid !== expected.gid) problems.push(`group ${groupName(st.gid)}, expected ${groupName(expected.gid)}`);
  if (problems.length === 0) return { status: 'OK', name, detail: `${path} ${mode(st.mode)} ${userName(st.uid)}:${groupName(st.gid)}` };
  const severe = st.uid !== 0 || (st.mode & 0o002) !== 0;
  return { status: severe ? 'FAIL' : 'WARN', name, detail: `${path}: ${problems.join(', ')}` };
}

function checkHook(options: DoctorOptions): Check {
  try {
    const st = statSync(options.hookPath);
    if ((st.mode & 0o111) === 0) return { status: 'FAIL', name: 'hook', detail: `${options.hookPath} is not executable` };
    return { status: 'OK', name: 'hook', detail: options.hookPath };
  } catch {
    return { status: 'FAIL', name: 'hook', detail: `${options.hookPath} is missing` };
  }
}

/** The session lines, in any service file, that run the hook. */
export function findPamLines(dirs: PamDirs, hookPath: string): PamLine[] {
  return pamServices(dirs)
    .flatMap(({ path }) => fileLines(path))
    .filter((line) => /^-?session$/.test(line.words[0] ?? '') && runsHook(line, hookPath));
}

function checkPam(options: DoctorOptions): Check {
  const lines = findPamLines(options.pamDirs, options.hookPath);
  if (lines.length === 0) {
    const enable = adviceFor(options).enable;
    return { status: 'FAIL', name: 'pam', detail: `no session line with pam_exec.so ${options.hookPath} in ${options.pamDirs.config}${enable === null ? '' : `; ${enable}`}` };
  }
  const files = [...new Set(lines.map((l) => l.file))].join(', ');
  const required = lines.filter((l) => !/^(optional|\[)/.test(l.words[1] ?? ''));
  if (required.length > 0) {
    return { status: 'WARN', name: 'pam', detail: `${files}: the line is not optional, a logging fault could block logins` };
  }
  // Without seteuid the hook keeps the caller's real uid: under su, the user who ran su could
  // signal it (stop it mid-append, kill it).
  const unshielded = lines.filter((l) => !l.words.map(unbracketed).includes('seteuid'));
  if (unshielded.length > 0) {
    return { status: 'WARN', name: 'pam', detail: `${[...new Set(unshielded.map((l) => l.file))].join(', ')}: pam_exec without seteuid runs the hook with the caller's real uid (a user running su could stop or kill it)` };
  }
  return { status: 'OK', name: 'pam', detail: files };
}

/**
 * Fails while a service that runs the hook reads users' environment files: pam_exec hands the
 * hook, run as root, the PAM environment, and NODE_OPTIONS or LD_PRELOAD there act before node's
 * first line. install.sh turns user_readenv off in such services.
 */
function checkUserEnvironment(options: DoctorOptions): Check {
  const exposed = hookServicesReadingUserEnvironment(options.pamDirs, options.hookPath);
  if (exposed.length === 0) {
    return { status: 'OK', name: 'pam environment', detail: "no service that runs the hook reads users' environment files" };
  }
  const where = exposed.map((e) => `${e.service} (${e.line.file} line ${e.line.number})`).join(', ');
  return {
    status: 'FAIL',
    name: 'pam environment',
    detail: `${where}: runs the hook and reads users' ~/.pam_environment (pam_env user_readenv=1), so a user can run code as root at logout; set user_readenv=0 there (${adviceFor(options).userEnvironment})`,
  };
}

/** Whether failed logins are recorded: the hook on the auth stack's failure branch (off by default). */
function checkFailedLogins(options: DoctorOptions): Check {
  const lines = authFailureLines(options.pamDirs, options.hookPath);
  if (lines.length > 0) {
    return { status: 'OK', name: 'failed logins', detail: `recorded (${[...new Set(lines.map((l) => l.file))].join(', ')})` };
  }
  return {
    status: 'WARN',
    name: 'failed logins',
    detail: `not recorded: no auth-failure line runs the hook; turn it on with ${adviceFor(options).authFailures}`,
  };
}

function checkUnit(options: DoctorOptions): Check {
  const dir = options.unitDirs.find((d) => existsSync(`${d}/${unitName}`));
  if (!dir) return { status: 'FAIL', name: 'unit', detail: `${unitName} is not installed (${options.unitDirs.join(', ')})` };
  if (!options.systemdRunning) {
    return { status: 'WARN', name: 'unit', detail: `${dir}/${unitName} installed; systemd is not running, ${adviceFor(options).bootsWithoutSystemd}` };
  }
  const enabled = options.unitDirs.some((d) =>
    ['multi-user.target.wants', 'sysinit.target.wants'].some((w) => existsSync(`${d}/${w}/${unitName}`)),
  );
  if (!enabled) return { status: 'FAIL', name: 'unit', detail: `${unitName} is installed but not enabled` };
  return { status: 'OK', name: 'unit', detail: `${dir}/${unitName} enabled` };
}

/** True when the log holds a boot record of `bootId`. Reads in chunks; the log may be large. */
export function logHasBoot(logFile: string, bootId: string): boolean {
  const fd = openSync(logFile, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let rest = '';
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      const text = rest + chunk.toString('utf8', 0, n);
      const lines = text.split('\n');
      rest = n === 0 ? '' : (lines.pop() ?? '');
      for (const line of n === 0 ? [...lines, rest] : lines) {
        if (!line.includes('"boot"') || !line.includes(bootId)) continue;
        try {
          const record = JSON.parse(line) as { event?: unknown; boot_id?: unknown };
          if (record.event === 'boot' && record.boot_id === bootId) return true;
        } catch {
          // a malformed line is not a boot record
        }
      }
      if (n === 0) return false;
    }
  } finally {
    closeSync(fd);
  }
}

function checkBootRecord(options: DoctorOptions): Check {
  const { logFile } = options.config;
  try {
    if (logHasBoot(logFile, options.bootId)) return { status: 'OK', name: 'boot record', detail: `boot ${options.bootId}` };
    return { status: 'FAIL', name: 'boot record', detail: `no boot record for this boot (${options.bootId}) in ${logFile}` };
  } catch (error) {
    if (denied(error)) return { status: 'WARN', name: 'boot record', detail: `not checked: reading ${logFile} needs group adm or root (run logsphere doctor as root)` };
    return { status: 'FAIL', name: 'boot record', detail: `Cannot read ${logFile}: ${errorCode(error) ?? String(error)}` };
  }
}

/** A read refused for want of rights: something only root (or group adm) can check. */
function denied(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'EACCES' || code === 'EPERM';
}

function checkSpool(options: DoctorOptions): Check {
  try {
    const waiting = spooledNames(options.config.runDir).length;
    if (waiting === 0) return { status: 'OK', name: 'spool', detail: 'empty' };
    return {
      status: 'WARN',
      name: 'spool',
      detail: `${waiting} record(s) waiting in ${options.config.runDir}/spool: the log could not be written; the next successful write appends them`,
    };
  } catch (error) {
    if (denied(error)) return { status: 'WARN', name: 'spool', detail: `not checked: ${options.config.runDir}/spool is root's (run logsphere doctor as root)` };
    return { status: 'FAIL', name: 'spool', detail: `Cannot read ${options.config.runDir}/spool: ${errorCode(error) ?? String(error)}` };
  }
}

/** Sessions utmp lists that LogSphere has no open entry for (counted per user). */
function checkUtmp(options: DoctorOptions): Check | null {
  let data: Buffer;
  try {
    data = readFileSync(options.utmpPath);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    return { status: 'WARN', name: 'utmp', detail: `Cannot read ${options.utmpPath}: ${errorCode(error) ?? String(error)}` };
  }
  const inUtmp = readUtmp(data).entries.filter((e) => e.type === UtType.USER_PROCESS);
  const open = new Map<string, number>();
  for (const r of listOpenSessions(options.config.runDir).records) open.set(r.user, (open.get(r.user) ?? 0) + 1);
  const unrecorded: string[] = [];
  for (const e of inUtmp) {
    const left = open.get(e.user) ?? 0;
    if (left > 0) open.set(e.user, left - 1);
    else unrecorded.push(`${e.user} (${e.line})`);
  }
  if (unrecorded.length === 0) {
    return { status: 'OK', name: 'utmp', detail: `${inUtmp.length} session(s) in ${options.utmpPath}, all known to LogSphere` };
  }
  return {
    status: 'WARN',
    name: 'utmp',
    detail: `${options.utmpPath} lists sessions LogSphere has no open entry for (logins that bypassed the PAM line?): ${unrecorded.join(', ')}`,
  };
}

export function doctorChecks(options: DoctorOptions): Check[] {
  const adm = lookupGid('adm') ?? 0;
  const { config } = options;
  return [
    checkNode(options),
    checkHook(options),
    checkPath('log directory', config.logDir, 'directory', { mode: 0o750, gid: adm }, 'FAIL'),
    checkPath('log file', config.logFile, 'file', { mode: 0o640, gid: adm }, 'FAIL'),
    checkPath('run directory', config.runDir, 'directory', { mode: 0o755, gid: null }, 'FAIL'),
    checkPath('state directory', config.stateDir, 'directory', { mode: 0o755, gid: null }, 'WARN'),
    checkPam(options),
    checkUserEnvironment(options),
    checkFailedLogins(options),
    checkUnit(options),
    checkBootRecord(options),
    checkSpool(options),
    checkUtmp(options),
  ].filter((c): c is Check => c !== null);
}

// A real systemd as PID 1 on a throwaway root (RECIPES.md): an overlay of `/` whose writes land in
// a directory under /var/tmp, booted in new mount, PID, cgroup, network, UTS and IPC namespaces.
// Beyond the recipe it keeps the host out of reach of what boots there: a private /dev (no gettys
// or static nodes on the host's devices), read-only /sys and /proc/sys (no kernel settings),
// a cgroup subtree of its own (no cgroups left on the host, no clash with a second such root),
// no CAP_SYS_MODULE or CAP_SYS_TIME, and basic.target (the host's enabled daemons stay down).
// Commands run inside through nsenter; stop() kills systemd by its pid and removes what it made.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { waitFor } from './sshd.ts';

export const systemdBinary = '/lib/systemd/systemd';

// Run by `unshare` as the first process of the new namespaces; it becomes systemd.
const bootScript = String.raw`
set -eu
B=$1; R=$B/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$B/upper,workdir=$B/work" "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount --bind "$R/proc/sys" "$R/proc/sys"; mount -o remount,bind,ro "$R/proc/sys"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"
mount -t tmpfs -o nosuid,mode=0755 tmpfs "$R/dev"
for n in null zero full random urandom tty; do : >"$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
: >"$R/dev/console"; mount --bind /dev/null "$R/dev/console"
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$R/dev/shm"
ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs "$R/run"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$R/tmp"
# The checkout under test, read-only at its own path (it may live under /tmp, hidden above).
if [ -n "$2" ]; then mkdir -p "$R$2"; mount --bind "$2" "$R$2"; mount -o remount,bind,ro "$R$2"; fi
cd "$R"; mkdir -p old; pivot_root . old; umount -l /old; rmdir /old
export container=lxc
exec setpriv --bounding-set -sys_module,-sys_time ${systemdBinary} --system --unit=basic.target --show-status=no
`;

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface SystemdRoot {
  /** The directory under /var/tmp holding the overlay's upper layer. */
  dir: string;
  /** systemd's pid on the host (PID 1 inside). */
  pid: number;
  /** The host path of `path` inside the root, through /proc/PID/root (an absolute symlink on the
   * way would resolve on the host: use it for real directories such as /var/log/...). */
  path(path: string): string;
  /** Runs a command inside the root, in all its namespaces, with a clean environment. */
  run(command: string[], options?: { input?: string; timeoutMs?: number; env?: Record<string, string> }): Run;
  /** Like run, but the command stays running; it ends with the root at the latest. */
  start(command: string[]): ChildProcess;
  systemctl(...args: string[]): Run;
  /** The unit's journal, one JSON object per entry. */
  journal(unit: string): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

const pathEnv = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The host's cgroup v2 directory of this process (where a subtree for the root is made). */
function ownCgroup2(): string {
  const mount = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .find((f) => f[f.indexOf('-') + 1] === 'cgroup2');
  if (!mount) throw new Error('Cannot boot systemd on a throwaway root: no cgroup2 file system is mounted on this host');
  const [root, point] = [mount[3] as string, mount[4] as string];
  const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  const relative = own.startsWith(root) ? own.slice(root.length) : own;
  return `${point}/${relative}`.replace(/\/+/g, '/').replace(/\/$/, '');
}

/** Removes a cgroup directory and the ones systemd made below it, deepest first. */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroupTree(`${dir}/${entry.name}`);
  rmdirSync(dir);
}

/** Boots the root; `share`, when given, is a host directory seen read-only at the same path inside. */
export async function bootSystemdRoot(share = ''): Promise<SystemdRoot> {
  const cgroupParent = ownCgroup2();
  const dir = mkdtempSync('/var/tmp/logsphere-systemd-');
  const cgroup = `${cgroupParent}/${dir.slice(dir.lastIndexOf('/') + 1)}`;
  try {
    for (const d of ['root', 'upper', 'work']) mkdirSync(`${dir}/${d}`);
    mkdirSync(cgroup);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  // The shell moves itself into the new cgroup, then becomes unshare; if this process dies, unshare
  // is killed (pdeathsig) and takes systemd with it (--kill-child).
  const unshare = spawn(
    '/bin/sh',
    [
      '-c',
      'echo $$ >"$1/cgroup.procs" && exec setpriv --pdeathsig KILL unshare --mount --pid --cgroup --net --uts --ipc --fork --propagation private --kill-child=SIGKILL /bin/sh -c "$2" boot "$3" "$4"',
      'sh',
      cgroup,
      bootScript,
      dir,
      share,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let ended = false;
  unshare.once('exit', () => (ended = true));
  let bootErrors = '';
  unshare.stderr?.on('data', (d: Buffer) => (bootErrors += d.toString()));

  let pid = 0;
  let stopping: Promise<void> | undefined;
  async function end(): Promise<void> {
    // Killing PID 1 of the namespace kills everything in it; the mounts go with the namespace.
    if (!ended) {
      if (pid !== 0) process.kill(pid, 'SIGKILL');
      else unshare.kill('SIGKILL');
    }
    await waitFor('the throwaway root to end', () => (ended ? true : null), 15_000);
    await waitFor('the cgroup of the throwaway root to empty', () => (!existsSync(cgroup) || /^populated 0$/m.test(readFileSync(`${cgroup}/cgroup.events`, 'utf8')) ? true : null), 15_000);
    removeCgroupTree(cgroup);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }

  const root: SystemdRoot = {
    dir,
    get pid() {
      return pid;
    },
    path: (p) => `/proc/${pid}/root${p}`,
    run(command, options = {}) {
      const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
      const r: SpawnSyncReturns<string> = spawnSync('nsenter', ['-t', String(pid), '-a', '--', 'env', '-i', pathEnv, 'LANG=C.UTF-8', ...env, ...command], {
        encoding: 'utf8',
        input: options.input ?? '',
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
      });
      return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
    },
    start(command) {
      return spawn('nsenter', ['-t', String(pid), '-a', '--', 'env', '-i', pathEnv, 'LANG=C.UTF-8', ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
    },
    systemctl: (...args) => root.run(['systemctl', '--no-pager', ...args]),
    journal(unit) {
      const r = root.run(['journalctl', '--no-pager', '-o', 'json', '-u', unit]);
      if (r.status !== 0) throw new Error(`Cannot read the journal of ${unit}: ${r.stderr}`);
      return r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    stop() {
      stopping ??= end();
      return stopping;
    },
  };

  try {
    // systemd is unshare's only child.
    pid = await waitFor(
      'systemd to start',
      () => {
        if (unshare.exitCode !== null) throw new Error(`Cannot boot systemd on a throwaway root: ${bootErrors.trim() || `unshare exited with ${unshare.exitCode}`}`);
        try {
          const child = Number(readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim().split(' ')[0]);
          return child && readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'systemd' ? child : null;
        } catch {
          return null; // between exits and execs
        }
      },
      15_000,
    );
    // "degraded" too: a unit of the host's own that fails in a container is no concern here.
    await waitFor('systemd to finish booting', () => (['running', 'degraded'].includes(root.systemctl('is-system-running').stdout.trim()) ? true : null), 30_000);
    return root;
  } catch (error) {
    await root.stop();
    throw error;
  }
}

/** Writes a root-owned file inside the root, creating its directories (mode 0755). */
export function writeRootFile(root: SystemdRoot, path: string, text: string, mode = 0o644): void {
  const r = root.run(['/bin/sh', '-c', 'umask 022 && mkdir -p -- "${1%/*}" && cat >"$1" && chmod "$2" "$1"', 'sh', path, mode.toString(8)], { input: text });
  if (r.status !== 0) throw new Error(`Cannot write ${path} on the throwaway root: ${r.stderr}`);
}

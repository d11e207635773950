// Writes the V8 code cache of a built or installed CLI (src/bundle/piece-cache.ts) beside it:
//   node scripts/lib/write-cli-code-cache.mjs /usr/local/lib/logsphere/logsphere
// Run by scripts/install.sh after it installs the CLI, and by scripts/bench.sh.
//
// The cache holds what V8 has compiled, so the CLI is first run here the way administrators run
// it — sessions, last, failed, report, who, lastb, over a scratch log of a few hosts, rotated
// segments and failed logins — and only then turned into a cache. V8 takes a cache only under the
// flags it was made with, so the CLI runs here under the node flags of its first line, as it
// runs when started by name. The cache is then checked in a fresh node (V8 must accept every
// piece of it), and put in place through a rename, mode 0644, owned by whoever runs this (root,
// when installing). On failure any older cache is removed, and this exits 1: the CLI then
// compiles its code as before.
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, constants, fchmodSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** The time zone the runs take days in, as the caller's. */
const zone = process.env.TZ === undefined ? {} : { TZ: process.env.TZ };
const self = fileURLToPath(import.meta.url);
const [mode, cliPath, file] = process.argv[2]?.startsWith('--') ? process.argv.slice(2) : ['--write', process.argv[2], undefined];

if (cliPath === undefined || !cliPath.startsWith('/')) {
  console.error('usage: node scripts/lib/write-cli-code-cache.mjs /absolute/path/of/logsphere');
  process.exit(2);
}

/** The CLI's own exports: run(), and codeCache (scripts/build.mjs). */
const cli = () => require(cliPath);

/** A failed login, as the hook writes one. */
const failure = (n, at, host) =>
  JSON.stringify({
    schema: 'logsphere/1', event_id: `01a1ff38-0000-7000-8000-${String(n).padStart(12, '0')}`, ts: at, host, boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591', source: 'pam',
    event: 'auth_failure', session_id: null, user: n % 2 ? 'root' : 'admin', uid: null, tty: 'ssh', rhost: `192.0.2.${n % 5}`, ruser: null, service: 'sshd', pid: 4000 + n, pid_start: 90000 + n,
  });

/** Runs the commands over a scratch log, then writes what was compiled to `out`. */
async function make(out) {
  const scratch = mkdtempSync(`${tmpdir()}/logsphere-code-cache-`);
  try {
    const gen = spawnSync(process.execPath, [new URL('gen-history.mjs', import.meta.url).pathname, `${scratch}/h`, '--sessions', '3000', '--hosts', '3', '--weeks', '3', '--open-every', '50', '--segments', '--max-bytes', '200000', '--start', '2026-01-05'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (gen.status !== 0) throw new Error('cannot write the scratch history');
    const meta = JSON.parse(readFileSync(`${scratch}/h/history.json`, 'utf8'));
    const last = Date.parse(meta.last);
    const lines = Array.from({ length: 12 }, (_, n) => failure(n + 1, new Date(last + (n + 1) * 1000).toISOString().replace('Z', '000Z'), 'host0.example.net'));
    appendFileSync(`${scratch}/h/log/sessions.jsonl`, `${lines.join('\n')}\n`);
    const config = `${scratch}/logsphere.env`;
    writeFileSync(config, '', { mode: 0o644 });
    const env = { LOGSPHERE_CONFIG: config, LOGSPHERE_LOG_DIR: `${scratch}/h/log`, LOGSPHERE_STATE_DIR: `${scratch}/state`, LOGSPHERE_RUN_DIR: `${scratch}/run`, ...zone };
    const io = { env, stdout() {}, stderr() {}, stdoutIsTerminal: false, columns: null, onStopSignal: () => () => {} };
    const week = new Date(last - 7 * 86400e3).toISOString();
    const runs = [
      ['sessions'], ['sessions'], ['sessions', '--json'], ['last', '-n', '10'], ['last'], ['last', '--json'], ['last', '--since', week],
      ['failed'], ['failed', '--since', week], ['lastb'], ['who'], ['lastlog'], ['report', '--since', week], ['report', '--since', new Date(last - 20 * 86400e3).toISOString()],
    ];
    const { run, codeCache } = cli();
    for (const argv of runs) {
      const status = await run(argv, io);
      if (status !== 0) throw new Error(`logsphere ${argv.join(' ')} exited ${status}`);
    }
    writeFileSync(out, codeCache.file(), { mode: 0o644, flag: 'wx' });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (mode === '--make') {
  await make(file);
} else if (mode === '--check') {
  // In a fresh node: does V8 accept every piece of the cache in `file`?
  const rejects = cli().codeCache.rejects(readFileSync(file));
  if (rejects === null || rejects.length > 0) {
    console.error(rejects === null ? 'not a code cache of this program' : `V8 rejects ${rejects.join(', ')}`);
    process.exit(1);
  }
} else {
  const target = `${cliPath}.code-cache`;
  const flags = (/^#!\S+((?: -{1,2}[\w-]+(?:=\S*)?)*)\s*$/.exec(readFileSync(cliPath, 'latin1').slice(0, 200).split('\n')[0]) ?? [])[1]?.trim().split(' ').filter(Boolean) ?? [];
  const draft = `${target}.${process.pid}.tmp`;
  const step = (which) => spawnSync(process.execPath, [...flags, self, which, cliPath, draft], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...zone }, stdio: 'inherit' }).status === 0;
  const ok = step('--make') && step('--check');
  if (!ok) {
    rmSync(draft, { force: true });
    rmSync(target, { force: true });
    console.error(`Cannot write the CLI's code cache ${target}`);
    process.exit(1);
  }
  // Through its descriptor, opened without following a link: the mode of this very file.
  const fd = openSync(draft, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    fchmodSync(fd, 0o644);
  } finally {
    closeSync(fd);
  }
  renameSync(draft, target);
}

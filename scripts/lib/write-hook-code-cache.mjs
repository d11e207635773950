// Writes the V8 code cache of an installed hook (src/hook/code-cache.ts) beside it, as root:
//   node scripts/lib/write-hook-code-cache.mjs /usr/local/lib/logsphere/logsphere-hook
// Run by scripts/install.sh after it installs the hook, and by scripts/lib/bench-hook.mjs.
//
// The cache holds what V8 has compiled, so the hook's program is first run here the way logins
// run it — an open, its close and a failed login, against a scratch log — and only then turned
// into a cache. The cache is then checked in a fresh node (V8 must accept it), and put in place
// owned by root, mode 0644, through a rename. Without a cache the hook compiles as node would;
// on failure any older cache is removed, and this exits 1.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';

const require = createRequire(import.meta.url);

if (process.argv[2] === '--check') {
  // In a fresh node: does V8 accept the cache in file argv[4] for the hook argv[3]?
  const hook = require(process.argv[3]);
  const script = hook.compileBody(readFileSync(process.argv[4]));
  process.exit(script.cachedDataRejected === false ? 0 : 1);
}

const hookPath = process.argv[2];
if (hookPath === undefined || !hookPath.startsWith('/')) {
  console.error('usage: node scripts/lib/write-hook-code-cache.mjs /absolute/path/of/logsphere-hook');
  process.exit(2);
}
const hook = require(hookPath);
const target = hook.codeCachePath;
const scratch = mkdtempSync(`${tmpdir()}/logsphere-code-cache-`);

function fail(message) {
  rmSync(target, { force: true });
  rmSync(scratch, { recursive: true, force: true });
  console.error(`Cannot write the hook's code cache ${target}: ${message}`);
  process.exit(1);
}

const config = `${scratch}/logsphere.env`;
writeFileSync(config, `LOGSPHERE_LOG_DIR=${scratch}/log\nLOGSPHERE_RUN_DIR=${scratch}/run\nLOGSPHERE_FSYNC=false\n`, { mode: 0o644 });
chmodSync(config, 0o644);

// The runs a login makes; each goes on once the previous one has left nothing to do (beforeExit).
const runs = [
  { args: [], env: { PAM_TYPE: 'open_session' } },
  { args: [], env: { PAM_TYPE: 'close_session' } },
  { args: ['auth-failure'], env: { PAM_TYPE: 'auth' } },
];
const script = hook.compileBody();
const pam = { PAM_USER: 'root', PAM_SERVICE: 'logsphere-code-cache', PAM_TTY: 'pts/0', PAM_RHOST: '192.0.2.1' };
const argv = process.argv.slice(0, 1);
let next = 0;
process.on('beforeExit', function step() {
  const run = runs[next++];
  if (run !== undefined) {
    process.argv = [...argv, hookPath, `--config=${config}`, ...run.args];
    for (const key of Object.keys(process.env)) if (key.startsWith('PAM_')) delete process.env[key];
    Object.assign(process.env, pam, run.env);
    hook.runBody(script);
    return;
  }
  process.removeListener('beforeExit', step);
  let records = 0;
  try {
    records = readFileSync(`${scratch}/log/sessions.jsonl`, 'utf8').split('\n').filter((l) => l !== '').length;
  } catch {
    // counted as none
  }
  if (records !== runs.length) fail(`the hook wrote ${records} records in ${runs.length} runs`);
  const data = script.createCachedData();
  const draft = `${target}.${process.pid}.tmp`;
  writeFileSync(`${scratch}/cache`, data);
  const check = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--check', hookPath, `${scratch}/cache`], { env: {}, stdio: 'inherit' });
  if (check.status !== 0) fail('node rejects it');
  writeFileSync(draft, Buffer.concat([Buffer.from(hook.codeCacheHeader(hook.bodyId), 'latin1'), data]), { mode: 0o644, flag: 'wx' });
  chmodSync(draft, 0o644);
  renameSync(draft, target);
  rmSync(scratch, { recursive: true, force: true });
  process.exitCode = 0;
});

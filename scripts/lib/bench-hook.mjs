// The measurements behind scripts/bench.sh (see there).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' }, storm: { type: 'string', default: '500' } } });
const runs = Number(values.runs);
const stormSize = Number(values.storm);
const node = '/usr/bin/node';
const built = fileURLToPath(new URL('../../dist/logsphere-hook.cjs', import.meta.url));

// The hook as scripts/install.sh installs it, with its V8 code cache (src/hook/code-cache.ts), and
// the same hook without one: copies, so that neither depends on what lies beside dist's.
const hooks = mkdtempSync(`${tmpdir()}/logsphere-bench-hooks-`);
process.on('exit', () => rmSync(hooks, { recursive: true, force: true }));
function hookCopy(name, withCache) {
  mkdirSync(`${hooks}/${name}`);
  const path = `${hooks}/${name}/logsphere-hook.cjs`;
  copyFileSync(built, path);
  chmodSync(path, 0o755);
  if (withCache) {
    const r = spawnSync(node, [fileURLToPath(new URL('write-hook-code-cache.mjs', import.meta.url)), path], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('cannot write the code cache of the hook');
  }
  return path;
}
const hook = hookCopy('installed', true);
const hookNoCache = hookCopy('no-cache', false);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${x.toFixed(2)} ms`;

function timed(cmd, args, env) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Writes the hook's config file (log and run directories in `dir`); returns its --config= argument. */
function configFile(dir, extra) {
  const values = { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, ...extra };
  const path = `${dir}/hook.env`;
  writeFileSync(path, Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o644 });
  chmodSync(path, 0o644);
  return `--config=${path}`;
}

function startup() {
  const dir = mkdtempSync(`${tmpdir()}/logsphere-bench-`);
  // The hook reads its configuration from a root-owned file named on its PAM line.
  const config = configFile(dir, {});
  const args = [hook, config];
  const argsNoCache = [hookNoCache, config];
  const base = { PAM_USER: 'root', PAM_SERVICE: 'sshd', PAM_RHOST: '192.0.2.1' };
  const samples = { node: [], cjs: [], esm: [], open: [], close: [], openNoCache: [], closeNoCache: [] };
  // The floors of a CommonJS entry point (what the hook is) and of an ESM one (Node 20 loads its
  // ESM loader for an .mjs main module).
  writeFileSync(`${dir}/empty.cjs`, '');
  writeFileSync(`${dir}/empty.mjs`, '');
  try {
    for (let i = 0; i < 5; i++) timed(node, ['-e', '0'], {}); // warm the page cache
    for (let i = 0; i < runs; i++) {
      const tty = `pts/${i}`;
      samples.node.push(timed(node, ['-e', '0'], {}));
      samples.cjs.push(timed(node, [`${dir}/empty.cjs`], {}));
      samples.esm.push(timed(node, [`${dir}/empty.mjs`], {}));
      samples.open.push(timed(node, args, { ...base, PAM_TYPE: 'open_session', PAM_TTY: tty }));
      samples.close.push(timed(node, args, { ...base, PAM_TYPE: 'close_session', PAM_TTY: tty }));
      samples.openNoCache.push(timed(node, argsNoCache, { ...base, PAM_TYPE: 'open_session', PAM_TTY: `${tty}-plain` }));
      samples.closeNoCache.push(timed(node, argsNoCache, { ...base, PAM_TYPE: 'close_session', PAM_TTY: `${tty}-plain` }));
    }
    const lines = readFileSync(`${dir}/log/sessions.jsonl`, 'utf8').trim().split('\n').length;
    if (lines !== 4 * runs) throw new Error(`expected ${4 * runs} records, found ${lines}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const n = median(samples.node);
  const o = median(samples.open);
  const c = median(samples.close);
  const on = median(samples.openNoCache);
  const cn = median(samples.closeNoCache);
  console.log(`hook start-up, ${runs} alternated runs each, clean environment, fsync on, hook as installed (with its code cache)`);
  const e = median(samples.esm);
  const j = median(samples.cjs);
  console.log(`  node -e 0            median ${ms(n)}`);
  console.log(`  node empty.cjs       median ${ms(j)}   ratio ${(j / n).toFixed(2)}   (CommonJS entry floor)`);
  console.log(`  node empty.mjs       median ${ms(e)}   ratio ${(e / n).toFixed(2)}   (ESM entry floor)`);
  console.log(`  hook open_session    median ${ms(o)}   ratio ${(o / n).toFixed(2)}`);
  console.log(`  hook close_session   median ${ms(c)}   ratio ${(c / n).toFixed(2)}`);
  console.log(`  open+close           median ${ms(o + c)}   ratio to 2 × node -e 0: ${((o + c) / (2 * n)).toFixed(2)}`);
  console.log(`  without its code cache: open ${ms(on)}, close ${ms(cn)}, open and close ${ms(on + cn)}   ratio to 2 × node -e 0: ${((on + cn) / (2 * n)).toFixed(2)}`);
}

async function storm(fsync) {
  const dir = mkdtempSync(`${tmpdir()}/logsphere-storm-`);
  const env = {};
  const config = configFile(dir, { LOGSPHERE_FSYNC: String(fsync) });
  const script = `export PAM_USER=storm PAM_SERVICE=sshd PAM_TTY=pts/$1
    PAM_TYPE=open_session ${node} ${hook} ${config} && PAM_TYPE=close_session ${node} ${hook} ${config}`;
  const start = process.hrtime.bigint();
  const statuses = await Promise.all(
    Array.from({ length: stormSize }, (_, i) => new Promise((resolve) => {
      spawn('/bin/sh', ['-c', script, 'storm', String(i)], { env, stdio: 'ignore' }).on('close', resolve);
    })),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const lines = readFileSync(`${dir}/log/sessions.jsonl`, 'utf8').trim().split('\n').length;
  rmSync(dir, { recursive: true, force: true });
  const failed = statuses.filter((s) => s !== 0).length;
  console.log(`  fsync ${fsync ? 'on ' : 'off'}: ${lines} events in ${seconds.toFixed(2)} s = ${(lines / seconds).toFixed(0)} events/s${failed ? ` (${failed} pairs did not exit 0)` : ''}`);
}

startup();
if (stormSize > 0) {
  console.log(`login storm: ${stormSize} simultaneous open/close pairs (${2 * stormSize} hook runs)`);
  await storm(true);
  await storm(false);
}

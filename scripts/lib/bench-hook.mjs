// The measurements behind scripts/bench.sh (see there).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// --baseline FILE: another build of the hook (a dist/logsphere-hook.cjs kept from before a change),
// measured the same way in the same alternation, with its own code cache, for a side-by-side figure.
const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' }, storm: { type: 'string', default: '500' }, baseline: { type: 'string' } } });
const runs = Number(values.runs);
const stormSize = Number(values.storm);
const node = '/usr/bin/node';
const built = fileURLToPath(new URL('../../dist/logsphere-hook.cjs', import.meta.url));

// The hook as scripts/install.sh installs it, with its V8 code cache (src/hook/code-cache.ts), and
// the same hook without one: copies, so that neither depends on what lies beside dist's.
const hooks = mkdtempSync(`${tmpdir()}/logsphere-bench-hooks-`);
process.on('exit', () => rmSync(hooks, { recursive: true, force: true }));
function hookCopy(name, withCache, from = built) {
  mkdirSync(`${hooks}/${name}`);
  const path = `${hooks}/${name}/logsphere-hook.cjs`;
  copyFileSync(from, path);
  chmodSync(path, 0o755);
  if (withCache) {
    const r = spawnSync(node, [fileURLToPath(new URL('write-hook-code-cache.mjs', import.meta.url)), path], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('cannot write the code cache of the hook');
  }
  return path;
}
const hook = hookCopy('installed', true);
const hookNoCache = hookCopy('no-cache', false);
const hookBaseline = values.baseline ? hookCopy('baseline', true, values.baseline) : null;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${x.toFixed(2)} ms`;

/** CPU time of this process's waited-for children so far (cutime + cstime of /proc/self/stat), in ms. */
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10; // USER_HZ is 100 on Linux
}

/** CPU time of each kind of run, summed (the counter's 10 ms ticks average out over many runs). */
const cpuTotals = {};

function timed(cmd, args, env, kind) {
  const cpu = childrenCpuMs();
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: 'ignore' });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}`);
  if (kind) cpuTotals[kind] = (cpuTotals[kind] ?? 0) + childrenCpuMs() - cpu;
  return elapsed;
}

// The run directory where a host keeps it: /run is a tmpfs on every systemd host, and /dev/shm
// is one here too (the log directory stays on disk, in tmpdir(), as /var/log is).
const runParent = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const runDirs = [];
process.on('exit', () => runDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Writes the hook's config file (log directory in `dir`, run directory in a tmpfs); returns its --config= argument. */
function configFile(dir, extra) {
  const run = mkdtempSync(`${runParent}/logsphere-bench-run-`);
  runDirs.push(run);
  const values = { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${run}/run`, ...extra };
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
  const argsBaseline = hookBaseline ? [hookBaseline, config] : null;
  const samples = { node: [], cjs: [], esm: [], open: [], close: [], openNoCache: [], closeNoCache: [], openBaseline: [], closeBaseline: [] };
  // The floors of a CommonJS entry point (what the hook is) and of an ESM one (Node 20 loads its
  // ESM loader for an .mjs main module).
  writeFileSync(`${dir}/empty.cjs`, '');
  writeFileSync(`${dir}/empty.mjs`, '');
  try {
    for (let i = 0; i < 5; i++) timed(node, ['-e', '0'], {}); // warm the page cache
    for (let i = 0; i < runs; i++) {
      const tty = `pts/${i}`;
      samples.node.push(timed(node, ['-e', '0'], {}, 'node'));
      samples.cjs.push(timed(node, [`${dir}/empty.cjs`], {}, 'cjs'));
      samples.esm.push(timed(node, [`${dir}/empty.mjs`], {}, 'esm'));
      samples.open.push(timed(node, args, { ...base, PAM_TYPE: 'open_session', PAM_TTY: tty }, 'open'));
      samples.close.push(timed(node, args, { ...base, PAM_TYPE: 'close_session', PAM_TTY: tty }, 'close'));
      samples.openNoCache.push(timed(node, argsNoCache, { ...base, PAM_TYPE: 'open_session', PAM_TTY: `${tty}-plain` }, 'openNoCache'));
      samples.closeNoCache.push(timed(node, argsNoCache, { ...base, PAM_TYPE: 'close_session', PAM_TTY: `${tty}-plain` }, 'closeNoCache'));
      if (argsBaseline) {
        samples.openBaseline.push(timed(node, argsBaseline, { ...base, PAM_TYPE: 'open_session', PAM_TTY: `${tty}-baseline` }, 'openBaseline'));
        samples.closeBaseline.push(timed(node, argsBaseline, { ...base, PAM_TYPE: 'close_session', PAM_TTY: `${tty}-baseline` }, 'closeBaseline'));
      }
    }
    const expected = (argsBaseline ? 6 : 4) * runs;
    const lines = readFileSync(`${dir}/log/sessions.jsonl`, 'utf8').trim().split('\n').length;
    if (lines !== expected) throw new Error(`expected ${expected} records, found ${lines}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const n = median(samples.node);
  const o = median(samples.open);
  const c = median(samples.close);
  const on = median(samples.openNoCache);
  const cn = median(samples.closeNoCache);
  console.log(`hook start-up, ${runs} alternated runs each, clean environment, fsync on, hook as installed (with its code cache), run directory in ${runParent}`);
  const e = median(samples.esm);
  const j = median(samples.cjs);
  // Mean CPU time (user + system) of one run of each kind.
  const cpu = (...kinds) => `CPU ${ms(kinds.reduce((sum, k) => sum + (cpuTotals[k] ?? 0), 0) / runs)}`;
  console.log(`  node -e 0            median ${ms(n)}   ${cpu('node')}`);
  console.log(`  node empty.cjs       median ${ms(j)}   ratio ${(j / n).toFixed(2)}   ${cpu('cjs')}   (CommonJS entry floor)`);
  console.log(`  node empty.mjs       median ${ms(e)}   ratio ${(e / n).toFixed(2)}   ${cpu('esm')}   (ESM entry floor)`);
  console.log(`  hook open_session    median ${ms(o)}   ratio ${(o / n).toFixed(2)}   ${cpu('open')}`);
  console.log(`  hook close_session   median ${ms(c)}   ratio ${(c / n).toFixed(2)}   ${cpu('close')}`);
  console.log(`  open+close           median ${ms(o + c)}   ${cpu('open', 'close')}   ratio to 2 × node -e 0: ${((o + c) / (2 * n)).toFixed(2)}`);
  console.log(`  without its code cache: open ${ms(on)}, close ${ms(cn)}, open and close ${ms(on + cn)}   ${cpu('openNoCache', 'closeNoCache')}   ratio to 2 × node -e 0: ${((on + cn) / (2 * n)).toFixed(2)}`);
  if (hookBaseline) {
    const ob = median(samples.openBaseline);
    const cb = median(samples.closeBaseline);
    console.log(`  baseline ${values.baseline}: open ${ms(ob)} (${cpu('openBaseline')}), close ${ms(cb)} (${cpu('closeBaseline')}), open and close ${ms(ob + cb)}   ${cpu('openBaseline', 'closeBaseline')}   ratio to 2 × node -e 0: ${((ob + cb) / (2 * n)).toFixed(2)}`);
  }
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

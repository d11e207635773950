// The history measurements behind scripts/bench.sh: a million events (500,000 sessions over 50
// hosts) as a LogSphere log and as a 1,000,000-record wtmp file, then, side by side in one run:
//  - `logsphere last --json` over the log against util-linux `last -f` over the wtmp, and the
//    peak memory of the logsphere run (GNU time's %M);
//  - `logsphere sessions` with a warm checkpoint against `node -e 0`;
//  - `logsphere import wtmp` of the 1,000,000-record wtmp against `utmpdump` of the same file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, runs: { type: 'string', default: '30' }, sessions: { type: 'string', default: '500000' } } });
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = `${root}dist/logsphere.mjs`;
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function timed(cmd, args, env = process.env) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 24 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return { ms, stderr: r.stderr };
}

const dir = mkdtempSync(`${tmpdir()}/logsphere-history-`);
try {
  const gen = timed(process.execPath, [`${root}scripts/lib/gen-history.mjs`, dir, '--sessions', values.sessions, '--hosts', '50']);
  console.log(`history: ${2 * Number(values.sessions)} session events over 50 hosts, generated in ${(gen.ms / 1000).toFixed(1)} s`);

  const ours = [];
  const theirs = [];
  const rss = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    // GNU time reports the peak resident set size of logsphere itself, in KB, on stderr.
    const r = gnuTime
      ? timed(gnuTime, ['-f', '%M', '/bin/sh', '-c', `exec ${cli} last --json --input ${dir}/sessions.jsonl > /dev/null`])
      : timed('/bin/sh', ['-c', `exec ${cli} last --json --input ${dir}/sessions.jsonl > /dev/null`]);
    ours.push(r.ms);
    if (gnuTime) rss.push(Number(r.stderr.trim().split('\n').at(-1)));
    theirs.push(timed('/bin/sh', ['-c', `exec last -f ${dir}/wtmp > /dev/null`]).ms);
  }
  const o = median(ours);
  const t = median(theirs);
  console.log(`  logsphere last --json (log)   median ${(o / 1000).toFixed(2)} s`);
  console.log(`  last -f (wtmp)                median ${(t / 1000).toFixed(2)} s   ratio logsphere/last ${(o / t).toFixed(2)}`);
  console.log(`  peak memory of logsphere last ${rss.length ? `${(Math.max(...rss) / 1024).toFixed(0)} MB (max of ${rss.length} runs)` : 'not measured (no /usr/bin/time)'}`);

  // A clean environment for both, as for the hook: variables such as NODE_EXTRA_CA_CERTS cost start-up time.
  const env = { LOGSPHERE_LOG_DIR: dir, LOGSPHERE_STATE_DIR: dir, LOGSPHERE_RUN_DIR: `${dir}/run` };
  const cold = timed(cli, ['sessions'], env);
  const node = [];
  const warm = [];
  for (let i = 0; i < Number(values.runs); i++) {
    node.push(timed('/usr/bin/node', ['-e', '0'], {}).ms);
    warm.push(timed(cli, ['sessions'], env).ms);
  }
  const n = median(node);
  const w = median(warm);
  console.log(`sessions over the same log: cold (builds the checkpoint) ${(cold.ms / 1000).toFixed(2)} s`);
  console.log(`  node -e 0                     median ${n.toFixed(2)} ms`);
  console.log(`  logsphere sessions (warm)     median ${w.toFixed(2)} ms   ratio ${(w / n).toFixed(2)}`);

  const imports = [];
  const importCpu = [];
  const dumps = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    // The import runs on two threads (the name worker): GNU time adds the CPU time it spends.
    const r = gnuTime
      ? timed(gnuTime, ['-f', '%U %S', '/bin/sh', '-c', `exec ${cli} import wtmp ${dir}/wtmp --host bench > /dev/null`])
      : timed('/bin/sh', ['-c', `exec ${cli} import wtmp ${dir}/wtmp --host bench > /dev/null`]);
    imports.push(r.ms);
    const cpu = gnuTime ? r.stderr.trim().split('\n').pop().split(' ').map(Number) : [];
    if (cpu.length === 2) importCpu.push((cpu[0] + cpu[1]) * 1000);
    dumps.push(timed('/bin/sh', ['-c', `exec utmpdump ${dir}/wtmp > /dev/null 2>&1`]).ms);
  }
  const im = median(imports);
  const du = median(dumps);
  console.log(`import of the 1,000,000-record wtmp:`);
  console.log(`  logsphere import wtmp         median ${(im / 1000).toFixed(2)} s${importCpu.length ? ` (CPU, both threads: ${(median(importCpu) / 1000).toFixed(2)} s)` : ''}`);
  console.log(`  utmpdump                      median ${(du / 1000).toFixed(2)} s   ratio logsphere/utmpdump ${(im / du).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

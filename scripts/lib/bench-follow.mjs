// The collector-side measurements behind scripts/bench.sh:
//  - `logsphere follow --from-start --once` over a 1,000,000-event log (the log of
//    gen-history.mjs), output to /dev/null: events per second for --format ecs, otel and raw,
//    the formats alternated round by round, medians;
//  - the cost of rotation for a writer: latencies of single appends (fsync on) through the writer,
//    side by side in one run: with no rotation, with another process rotating the log as fast as
//    it can (rotations in flight), and with the writer rotating a 64 KiB log itself. Medians of
//    the rounds' p50, p99 and max.
// Usage: node scripts/lib/bench-follow.mjs [--rounds N] [--appends N] [--sessions N]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, appends: { type: 'string', default: '3000' }, sessions: { type: 'string', default: '500000' } } });
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = `${root}dist/logsphere.cjs`;
const rounds = Number(values.rounds);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const dir = mkdtempSync(`${tmpdir()}/logsphere-follow-bench-`);
try {
  // 1. follow throughput.
  const gen = spawnSync(process.execPath, [`${root}scripts/lib/gen-history.mjs`, `${dir}/history`, '--sessions', values.sessions, '--hosts', '50'], { stdio: 'inherit' });
  if (gen.status !== 0) throw new Error('gen-history failed');
  const events = 2 * Number(values.sessions) + 50;
  // An empty configuration: the defaults.
  writeFileSync(`${dir}/logsphere.env`, '', { mode: 0o644 });
  chmodSync(`${dir}/logsphere.env`, 0o644);
  const env = { PATH: '/usr/bin:/bin', LOGSPHERE_CONFIG: `${dir}/logsphere.env`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run` };
  const seconds = { ecs: [], otel: [], raw: [] };
  for (let round = 0; round < rounds; round++) {
    for (const format of Object.keys(seconds)) {
      const start = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [cli, 'follow', '--from-start', '--once', '--format', format, '--input', `${dir}/history`], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`follow --format ${format}: ${r.stderr}`);
      seconds[format].push(Number(process.hrtime.bigint() - start) / 1e9);
    }
  }
  for (const [format, s] of Object.entries(seconds)) {
    const m = median(s);
    console.log(`follow --format ${format}: ${events} events in ${m.toFixed(2)} s = ${Math.round(events / m)} events/s (median of ${rounds})`);
  }

  // 2. append latency with and without rotation in flight.
  const worker = `${dir}/append-worker.mjs`;
  await build({ entryPoints: [`${root}scripts/lib/append-worker.ts`], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: worker, logLevel: 'error' });
  const runWriter = (work, maxBytes) => {
    const r = spawnSync(process.execPath, [worker, 'writer', work, values.appends, String(maxBytes)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`writer: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const scenarios = { 'no rotation': [], 'another process rotating': [], 'writer rotating at 64 KiB': [] };
  let rotationsInFlight = 0;
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(scenarios)) {
      const work = `${dir}/append-${round}-${name.replace(/\W+/g, '-')}`;
      mkdirSync(`${work}/log`, { recursive: true, mode: 0o750 });
      let latencies;
      if (name === 'another process rotating') {
        const rotator = spawn(process.execPath, [worker, 'rotator', work], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        rotator.stdout.on('data', (d) => (out += d));
        latencies = await new Promise((resolve) => setImmediate(() => resolve(runWriter(work, 0))));
        const done = new Promise((resolve) => rotator.on('close', resolve));
        rotator.kill('SIGTERM');
        await done;
        rotationsInFlight += Number(out);
      } else {
        latencies = runWriter(work, name === 'no rotation' ? 0 : 65536);
      }
      scenarios[name].push({ p50: pct(latencies, 50), p99: pct(latencies, 99), max: Math.max(...latencies), segments: readdirSync(`${work}/log`).length - 1 });
    }
  }
  const base = median(scenarios['no rotation'].map((x) => x.p50));
  for (const [name, runs] of Object.entries(scenarios)) {
    const p50 = median(runs.map((x) => x.p50));
    const p99 = median(runs.map((x) => x.p99));
    const max = median(runs.map((x) => x.max));
    const segments = median(runs.map((x) => x.segments));
    console.log(`append latency, ${name}: p50 ${(p50 / 1000).toFixed(3)} ms (${(p50 / base).toFixed(2)}×), p99 ${(p99 / 1000).toFixed(3)} ms, max ${(max / 1000).toFixed(3)} ms; ${segments} segments per ${values.appends} appends (medians of ${rounds})`);
  }
  console.log(`rotations made by the other process during its runs: ${rotationsInFlight}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// The long-line measurements behind scripts/bench.sh: reading one 64 MiB line (between two
// records) against reading 64 MiB of ordinary records (the log of gen-history.mjs, cut to
// 64 MiB at a line's end), side by side in one run, the two alternated round by round, medians:
//  - `logsphere last --json --input FILE` (the query commands' reader);
//  - `logsphere follow --from-start --once --input FILE` (the tail behind follow and watch).
// A reader that re-copied a partial line at every chunk took time quadratic in the line's length
// (38 s for such a line); one that does not reads the line in about the time of the records.
// Usage: node scripts/lib/bench-long-line.mjs [--rounds N]
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = `${root}dist/logsphere.cjs`;
const size = 64 << 20;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(`${tmpdir()}/logsphere-long-line-`);
try {
  // 64 MiB of records: gen-history's 80,000 sessions (about 150,000 lines), cut after the last whole line.
  const gen = spawnSync(process.execPath, [`${root}scripts/lib/gen-history.mjs`, `${dir}/history`, '--sessions', '80000', '--hosts', '50'], { stdio: 'inherit' });
  if (gen.status !== 0) throw new Error('gen-history failed');
  const records = Buffer.alloc(size);
  const fd = openSync(`${dir}/history/sessions.jsonl`, 'r');
  const got = readSync(fd, records, 0, size, 0);
  closeSync(fd);
  if (got < size) throw new Error(`gen-history wrote ${got} bytes, fewer than ${size}`);
  const cut = records.lastIndexOf(0x0a) + 1;
  writeFileSync(`${dir}/records.jsonl`, records.subarray(0, cut));
  const first = records.subarray(0, records.indexOf(0x0a) + 1);
  const lineCount = records.subarray(0, cut).reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);

  // One line of 64 MiB between two records.
  const out = openSync(`${dir}/line.jsonl`, 'w');
  writeSync(out, first);
  const junk = Buffer.alloc(1 << 20, 0x78);
  writeSync(out, '{"schema":"logsphere/1","junk":"');
  for (let i = 0; i < 64; i++) writeSync(out, junk);
  writeSync(out, '"}\n');
  writeSync(out, first);
  closeSync(out);

  // An empty configuration: the defaults.
  writeFileSync(`${dir}/logsphere.env`, '', { mode: 0o644 });
  chmodSync(`${dir}/logsphere.env`, 0o644);
  const env = { PATH: '/usr/bin:/bin', LOGSPHERE_CONFIG: `${dir}/logsphere.env`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_LOG_DIR: `${dir}/log` };
  const timed = (args) => {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`logsphere ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const commands = {
    'last --json': (file) => ['last', '--json', '--input', file],
    'follow --once': (file) => ['follow', '--from-start', '--once', '--input', file],
  };
  console.log(`long lines: one 64 MiB line between two records against 64 MiB of records (${lineCount} lines)`);
  for (const [name, args] of Object.entries(commands)) {
    const normal = [];
    const long = [];
    for (let round = 0; round < Number(values.rounds); round++) {
      normal.push(timed(args(`${dir}/records.jsonl`)));
      long.push(timed(args(`${dir}/line.jsonl`)));
    }
    const n = median(normal);
    const l = median(long);
    console.log(`  logsphere ${name.padEnd(14)} records median ${n.toFixed(2)} s   long line median ${l.toFixed(2)} s   ratio long line/records ${(l / n).toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// The history measurements behind scripts/bench.sh: the figures of issue 15's table, side by side
// in one run (alternated, medians), over one synthetic history of 500,000 sessions on 50 hosts
// spread over 52 weeks, one in a hundred left open (gen-history.mjs):
//  - the log as a log directory the way the writer and `logsphere rotate` leave it: 16 MiB
//    segments sessions-YYYYMMDDTHHMMSSZ.jsonl, those before the last daily upkeep gzipped, and
//    the live sessions.jsonl;
//  - the same logins as wtmp files: `wtmp-noboot` (no reboot records, each login on the lowest
//    pty free on its host: util-linux `last` reads it in one pass), `wtmp` (the same with a
//    reboot record per host) and `wtmp-spread` (reboot records, the ptys numbered pts/0 … 4095 in
//    turn as the generator used to: util-linux `last`, which scans its list of logouts at every
//    login, is slow there — the ptys make it slow, not the reboot records).
// Figures: `last -n 10` against `node -e 0`; `last --json` (all) against util-linux `last -f` on
// wtmp-noboot and on wtmp-spread, and its peak memory (GNU time's %M); `report --since` one week
// against the same report over the whole history; `sessions` with a warm checkpoint (5,000 open)
// against `node -e 0`; `import wtmp` against `utmpdump`. Every command is run once first, its
// exit status and output checked (and not timed: a warm-up), and a figure whose command fails is
// reported as failed. A summary table at the end sets each ratio beside the issue's ceiling and
// goal, the hook's from scripts/lib/bench-hook.mjs's output when given (--hook-output FILE).
// Exits 1 when a command failed or printed the wrong thing, never because of a figure.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    // Timed runs of each slow command (seconds each), of the util-linux run on wtmp-spread, and at
    // most of a fast one (milliseconds each); a figure's runs fill about --budget seconds.
    rounds: { type: 'string', default: '3' },
    'spread-rounds': { type: 'string', default: '1' },
    runs: { type: 'string', default: '30' },
    budget: { type: 'string', default: '12' },
    sessions: { type: 'string', default: '500000' },
    hosts: { type: 'string', default: '50' },
    weeks: { type: 'string', default: '52' },
    'open-every': { type: 'string', default: '100' },
    'hook-output': { type: 'string' },
  },
});
const rounds = Math.max(1, Number(values.rounds));
const spreadRounds = Math.max(1, Number(values['spread-rounds']));
const maxRuns = Math.max(1, Number(values.runs));
const budgetMs = Number(values.budget) * 1000;
const sessions = Number(values.sessions);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = `${root}dist/logsphere.mjs`;
const node = process.execPath;
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const which = (name) => {
  const r = spawnSync('/bin/sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};
const utilLast = which('last');
const utmpdump = which('utmpdump');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const count = (n) => n.toLocaleString('en-US');
const started = Date.now();

class Failed extends Error {}
const failures = [];

const dir = mkdtempSync(`${tmpdir()}/logsphere-history-`);
const cleanUp = () => rmSync(dir, { recursive: true, force: true });
// The data is removed however this process ends: a signal does not reach JavaScript handlers
// while spawnSync blocks, so a watcher in a session of its own removes it once we are gone.
spawn('/bin/sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; rm -rf '${dir}'`], { detached: true, stdio: 'ignore' }).unref();

/**
 * Runs `cmd args` with stdout to `out` (a file, default /dev/null); its time (ms), its peak RSS
 * (KB, with `rss`: GNU time's %M into a file) and its CPU time (`cpu`: %U + %S, ms). Throws Failed
 * unless it exits 0.
 */
function run(cmd, args, { env = {}, out = '/dev/null', rss = false, cpu = false } = {}) {
  const fd = openSync(out, 'w');
  const timeFile = `${dir}/time.out`;
  const [file, argv] = gnuTime && (rss || cpu) ? [gnuTime, ['-f', '%M %U %S', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const start = process.hrtime.bigint();
  let r;
  try {
    r = spawnSync(file, argv, { env, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 24 });
  } finally {
    closeSync(fd);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error) throw new Failed(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  // Interrupted (^C reaches the whole process group): no figure, the bench stops.
  if (['SIGINT', 'SIGTERM', 'SIGHUP'].includes(r.signal)) throw new Error(`${cmd} ${args.join(' ')}: ${r.signal}`);
  if (r.status !== 0) {
    const why = r.stderr.trim().split('\n').filter((l) => l && !/^\s+at /.test(l)).slice(-2).join(' / ');
    throw new Failed(`${cmd.replace(root, '')} ${args.join(' ')} exited ${r.status ?? r.signal}${why ? `: ${why}` : ''}`);
  }
  const result = { ms, stderr: r.stderr };
  if (gnuTime && (rss || cpu)) {
    const [m, u, s] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
    result.rssKb = m;
    result.cpuMs = (u + s) * 1000;
  }
  return result;
}

/** Lines of a file (counted in chunks: outputs of hundreds of MB). */
function linesOf(path) {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let n = 0;
  try {
    for (let got; (got = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      for (let i = buf.indexOf(10, 0); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) n++;
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

/** The check run: exit 0, then `check(outputFile)` returns what is wrong with the output, or null. */
function checked(label, cmd, args, options, check) {
  const out = `${dir}/check.out`;
  const r = run(cmd, args, { ...options, out });
  const wrong = check(out);
  rmSync(out, { force: true });
  if (wrong) throw new Failed(`${label}: ${wrong}`);
  return r;
}

/** How many timed runs fill the budget, given one run's time. */
const runsFor = (ms, min = rounds) => Math.max(min, Math.min(maxRuns, Math.floor(budgetMs / Math.max(ms, 1))));

/** A figure: `body` returns its row(s); a Failed command makes it a failed row instead. */
const rows = [];
function figure(name, body, summaryName = name) {
  const t0 = Date.now();
  try {
    rows.push(...body());
  } catch (error) {
    if (!(error instanceof Failed)) throw error;
    failures.push(error.message);
    console.log(`  FAILED: ${error.message}`);
    rows.push({ name: summaryName, failed: error.message });
  }
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

// The CLI as scripts/install.sh installs it, with its V8 code cache (src/bundle/piece-cache.ts).
{
  const made = spawnSync(node, [`${root}scripts/lib/write-cli-code-cache.mjs`, `${root}dist/logsphere.cjs`], { stdio: 'inherit' });
  console.log(made.status === 0 ? `the CLI's code cache: ${root}dist/logsphere.cjs.code-cache` : 'the CLI has no code cache: it compiles its code at each run');
}

try {
  const h = `${dir}/h`;
  const gen = run(node, [`${root}scripts/lib/gen-history.mjs`, h, '--sessions', values.sessions, '--hosts', values.hosts, '--weeks', values.weeks, '--start', '2025-12-01', '--open-every', values['open-every'], '--segments', '--ptys', 'lowest'], { env: process.env });
  const meta = JSON.parse(readFileSync(`${h}/history.json`, 'utf8'));
  const rotated = meta.segments.length - 1;
  const gz = meta.segments.filter((s) => s.compressed).length;
  const logBytes = meta.segments.reduce((n, s) => n + s.bytes, 0);
  console.log(
    `history: ${count(meta.records)} records (${count(meta.sessions)} sessions over ${meta.hosts} hosts, ${count(meta.open)} left open), ${meta.first.slice(0, 10)} to ${meta.last.slice(0, 10)}, ` +
      `${(logBytes / 2 ** 20).toFixed(0)} MiB in ${rotated} rotated segments (${gz} gzipped) and the live file; generated in ${(gen.ms / 1000).toFixed(1)} s`,
  );
  // A clean environment for logsphere and node alike (variables such as NODE_EXTRA_CA_CERTS cost start-up time).
  const env = { LOGSPHERE_LOG_DIR: `${h}/log`, LOGSPHERE_STATE_DIR: `${h}/state`, LOGSPHERE_RUN_DIR: `${h}/run` };
  const nodeStart = () => run(node, ['-e', '0']).ms;

  figure('`last -n 10` / `node -e 0`', () => {
    console.log('last -n 10 over the log directory, against node -e 0:');
    const check = checked('last -n 10', cli, ['last', '-n', '10'], { env }, (out) => {
      const text = readFileSync(out, 'utf8');
      const listed = text.split('\n\n')[0].split('\n').filter(Boolean).length;
      return listed === 10 ? null : `printed ${listed} sessions, not 10: ${JSON.stringify(text.slice(0, 300))}`;
    });
    const ours = [];
    const base = [];
    for (let i = runsFor(check.ms); i > 0; i--) {
      base.push(nodeStart());
      ours.push(run(cli, ['last', '-n', '10'], { env }).ms);
    }
    const o = median(ours);
    const n = median(base);
    console.log(`  node -e 0                          median ${secs(n)}   (${base.length} runs)`);
    console.log(`  logsphere last -n 10               median ${secs(o)}   ratio ${(o / n).toFixed(1)}×`);
    return [{ name: '`last -n 10`, log directory / `node -e 0`', ours: o, theirs: n, ratio: o / n, unit: '×', ceiling: 3, goal: 1.5 }];
  });

  let lastJsonRow = null;
  figure('`last --json` / util-linux `last -f`', () => {
    console.log('last --json (all) over the log directory, against util-linux last -f over the same logins:');
    if (!utilLast) throw new Failed('util-linux last is not installed');
    const check = checked('last --json', cli, ['last', '--json'], { env, rss: true }, (out) => {
      const n = linesOf(out);
      return n >= sessions ? null : `printed ${count(n)} lines for ${count(sessions)} sessions`;
    });
    checked('last -f wtmp-noboot', utilLast, ['-f', `${h}/wtmp-noboot`], {}, (out) => {
      const n = linesOf(out);
      return n >= sessions ? null : `printed ${count(n)} lines for ${count(sessions)} sessions`;
    });
    const ours = [];
    // The peak of the runs with the segment index made; the first run's (which makes it) apart.
    const rss = [];
    const noboot = [];
    const boot = [];
    const spread = [];
    for (let round = 0; round < rounds; round++) {
      const r = run(cli, ['last', '--json'], { env, rss: true });
      ours.push(r.ms);
      if (r.rssKb) rss.push(r.rssKb);
      noboot.push(run(utilLast, ['-f', `${h}/wtmp-noboot`]).ms);
      if (round === 0) boot.push(run(utilLast, ['-f', `${h}/wtmp`]).ms);
      if (round < spreadRounds) spread.push(run(utilLast, ['-f', `${h}/wtmp-spread`]).ms);
    }
    const o = median(ours);
    const a = median(noboot);
    const b = median(boot);
    const s = median(spread);
    const peak = rss.length > 0 ? Math.max(...rss) / 1024 : 0;
    console.log(`  logsphere last --json, first run   ${secs(check.ms)}${check.rssKb ? `, ${(check.rssKb / 1024).toFixed(0)} MB` : ''}   (keeps each rotated segment's records in columns in the segment index)`);
    console.log(`  logsphere last --json              median ${secs(o)}   (${ours.length} runs)`);
    console.log(`  last -f wtmp-noboot                median ${secs(a)}   ratio logsphere/last ${(o / a).toFixed(2)}×`);
    console.log(`  last -f wtmp (reboot rows)         ${secs(b)}   (1 run; the same ptys with a reboot record per host)`);
    console.log(`  last -f wtmp-spread                median ${secs(s)}   ratio logsphere/last ${(o / s).toFixed(2)}×   (${spread.length} run${spread.length > 1 ? 's' : ''}; reboot rows, ptys 0…4095 in turn)`);
    console.log(`  peak memory of logsphere last --json ${gnuTime ? `${peak.toFixed(0)} MB (max of ${rss.length} runs)` : 'not measured (no /usr/bin/time)'}`);
    lastJsonRow = { ours: o };
    return [
      { name: '`last --json` all / `last -f` (no reboot rows)', ours: o, theirs: a, ratio: o / a, unit: '×', ceiling: 2, goal: 1 },
      { name: 'the same / `last -f` (reboot rows, ptys spread)', ours: o, theirs: s, ratio: o / s, unit: '×', ceiling: 1, goal: 0.2 },
      gnuTime
        ? { name: 'peak memory of that `last --json`', value: peak, valueText: `${peak.toFixed(0)} MB`, ceiling: 150, goal: 64, unit: ' MB' }
        : { name: 'peak memory of that `last --json`', failed: 'no /usr/bin/time' },
    ];
  });

  figure('`report --since` one week / all', () => {
    console.log(`report over the last week of the history, against the same report over all ${values.weeks} weeks:`);
    const rfc = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
    const end = Date.parse(meta.last) + 1000;
    // Into a file (--output): each run's report is checked, and no run is a mere check (the
    // segments have been read by last already).
    const week = ['report', '--since', rfc(end - 7 * 86400e3), '--until', rfc(end), '--output', `${dir}/week.txt`];
    const all = ['report', '--since', rfc(Date.parse(meta.first) - 1000), '--until', rfc(end), '--output', `${dir}/all.txt`];
    const sessionsIn = (out) => {
      const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
      rmSync(out, { force: true });
      const m = /^Sessions: (\d+)/m.exec(text);
      return m ? Number(m[1]) : null;
    };
    // The first report before the week makes the summaries of the segments before it (which
    // `logsphere rotate` makes on a host as it rotates): timed apart.
    const first = run(cli, week, { env });
    if (!(sessionsIn(`${dir}/week.txt`) > 0)) throw new Failed('report, one week, first run: no "Sessions: N" line with N > 0');
    console.log(`  report, one week, first run        ${secs(first.ms)}   (makes the segment summaries)`);
    let inWeek = null;
    let inAll = null;
    const w = [];
    const a = [];
    for (let i = rounds; i > 0; i--) {
      w.push(run(cli, week, { env }).ms);
      inWeek = sessionsIn(`${dir}/week.txt`);
      if (!(inWeek > 0)) throw new Failed('report, one week: no "Sessions: N" line with N > 0');
      a.push(run(cli, all, { env }).ms);
      inAll = sessionsIn(`${dir}/all.txt`);
      if (!(inAll >= sessions)) throw new Failed(`report, all: "Sessions: ${inAll}", not ${count(sessions)}`);
    }
    const mw = median(w);
    const ma = median(a);
    console.log(`  report, one week (${count(inWeek)} sessions)    median ${secs(mw)}   (${w.length} runs)`);
    console.log(`  report, ${values.weeks} weeks (${count(inAll)} sessions)   median ${secs(ma)}   ratio week/all ${(mw / ma).toFixed(2)}`);
    return [{ name: `\`report --since\` one week / all ${values.weeks} weeks`, ours: mw, theirs: ma, ratio: mw / ma, unit: '', ceiling: 0.1, goal: 0.03 }];
  });

  figure('`sessions` warm / `node -e 0`', () => {
    console.log(`sessions with a warm checkpoint (${count(meta.open)} open), against node -e 0:`);
    const cold = run(cli, ['sessions'], { env });
    console.log(`  cold (builds the checkpoint)       ${secs(cold.ms)}`);
    const check = checked('sessions', cli, ['sessions', '--json'], { env }, (out) => {
      const text = readFileSync(out, 'utf8');
      const n = text.split('\n').filter((l) => l.includes('"session_id"')).length;
      return n === meta.open ? null : `listed ${count(n)} sessions, not the ${count(meta.open)} open: ${JSON.stringify(text.slice(0, 200))}`;
    });
    const base = [];
    const warm = [];
    for (let i = runsFor(check.ms); i > 0; i--) {
      base.push(nodeStart());
      warm.push(run(cli, ['sessions'], { env }).ms);
    }
    const n = median(base);
    const w = median(warm);
    console.log(`  node -e 0                          median ${secs(n)}   (${base.length} runs)`);
    console.log(`  logsphere sessions (warm)          median ${secs(w)}   ratio ${(w / n).toFixed(2)}×`);
    return [{ name: `\`sessions\` warm, ${count(meta.open)} open / \`node -e 0\``, ours: w, theirs: n, ratio: w / n, unit: '×', ceiling: 3, goal: 1.5 }];
  });

  figure('import wtmp / utmpdump', () => {
    // wtmp-spread: its ptys never taken by two logins at once, as in the wtmp of one host (in
    // the others, the logins of 50 hosts share ptys: the import ends a login when another
    // begins on its pty).
    console.log(`import of the ${count(meta.records)}-record wtmp-spread, against utmpdump:`);
    if (!utmpdump) throw new Failed('utmpdump is not installed');
    checked('import wtmp', cli, ['import', 'wtmp', `${h}/wtmp-spread`, '--host', 'bench'], { env }, (out) => {
      const n = linesOf(out);
      return n >= meta.records ? null : `wrote ${count(n)} records for ${count(meta.records)}`;
    });
    const imports = [];
    const cpu = [];
    const dumps = [];
    for (let round = 0; round < rounds; round++) {
      // The import runs on two threads (the name worker): GNU time adds the CPU time it spends.
      const r = run(cli, ['import', 'wtmp', `${h}/wtmp-spread`, '--host', 'bench'], { env, cpu: true });
      imports.push(r.ms);
      if (r.cpuMs !== undefined) cpu.push(r.cpuMs);
      dumps.push(run('/bin/sh', ['-c', `exec ${utmpdump} ${h}/wtmp-spread > /dev/null 2>&1`]).ms);
    }
    const im = median(imports);
    const du = median(dumps);
    console.log(`  logsphere import wtmp              median ${secs(im)}${cpu.length ? ` (CPU, both threads: ${secs(median(cpu))})` : ''}`);
    console.log(`  utmpdump                           median ${secs(du)}   ratio logsphere/utmpdump ${(im / du).toFixed(2)}×`);
    return [];
  }, 'import wtmp / utmpdump (not in the issue)');

  // The hook's figure, from bench-hook.mjs's output earlier in this run.
  let hook = { name: 'hook open+close / two `node -e 0`', failed: 'not in this run (HOOK=no, or no --hook-output)' };
  if (values['hook-output']) {
    const text = existsSync(values['hook-output']) ? readFileSync(values['hook-output'], 'utf8') : '';
    // Its line `open+close  median … ms  ratio to 2 × node -e 0: R`: R is the line's last decimal.
    const ratio = text.split('\n').find((l) => l.includes('open+close'))?.match(/\d+\.\d+/g)?.at(-1);
    hook = ratio ? { name: hook.name, ratio: Number(ratio), unit: '×', ceiling: 1.25, goal: 1.1, note: 'see the hook part' } : { name: hook.name, failed: 'no open+close ratio in its output' };
  }
  rows.push(hook);

  // The summary: each figure, its ratio, the issue's ceiling and goal.
  const fmt = (x, unit) => (unit === '' ? x.toFixed(x < 0.1 ? 3 : 2) : `${x < 10 ? x.toFixed(2) : x.toFixed(1)}${unit}`);
  const table = rows.map((r) => {
    if (r.failed) return [r.name, 'FAILED', '', '', '', r.failed];
    const value = r.value ?? r.ratio;
    const verdict = value <= r.goal ? 'goal met' : value <= r.ceiling ? 'under ceiling' : 'over ceiling';
    const measured = r.valueText ?? (r.ours !== undefined ? `${secs(r.ours)} / ${secs(r.theirs)}` : r.note ?? '');
    return [r.name, measured, r.valueText ? '' : fmt(r.ratio, r.unit), `${r.unit === ' MB' ? '' : '≤ '}${r.ceiling}${r.unit}`, `${r.goal}${r.unit}`, verdict];
  });
  const head = ['figure (issue 15)', 'measured', 'ratio', 'ceiling', 'goal', ''];
  const widths = head.map((_, i) => Math.max(...[head, ...table].map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(`\nsummary (medians; the history part took ${((Date.now() - started) / 1000 / 60).toFixed(1)} min)`);
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  ').trimEnd());
  for (const r of table) console.log(line(r));
} finally {
  cleanUp();
}
if (failures.length > 0) {
  console.log(`\n${failures.length} command(s) failed: their figures are missing`);
  process.exitCode = 1;
}

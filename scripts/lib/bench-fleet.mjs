// The fleet store's measurements behind scripts/bench.sh (issue 16's table), on a private
// PostgreSQL 15 started here (Debian's package; initdb and the server run as the postgres user):
//  - `logsphere ship --once` of a 1,000,000-event log (500,000 sessions over 1,000 hosts and 52
//    weeks, one in 25 left open: 20,000 open sessions) against PostgreSQL's own COPY of the same
//    lines into a one-column jsonb table, run before and after it;
//  - the store's size per million events against the JSONL's;
//  - `logsphere sessions --db` (1,000 hosts, 20,000 open sessions) against `node -e 0`, alternated;
//  - `logsphere last -n 20 --db` against `node -e 0`, alternated, once the store holds 10,000,000
//    events: nine more years of the same hosts, made from the first by SQL (ids, boot ids and
//    years rewritten in the lines as in the columns).
// Needs root (the server runs as postgres). Usage: node scripts/lib/bench-fleet.mjs [--runs N]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, sessions: { type: 'string', default: '500000' } } });
const runs = Math.max(3, Number(values.runs));
const root = fileURLToPath(new URL('../..', import.meta.url));
// Run as installed: the file itself, with the node options of its #! line.
const cli = `${root}dist/logsphere.cjs`;
const node = process.execPath;
const pgBin = '/usr/lib/postgresql/15/bin';
const psqlPath = '/usr/bin/psql';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

if (!existsSync(`${pgBin}/initdb`) || !existsSync(psqlPath) || process.getuid?.() !== 0) {
  console.log('fleet: skipped: needs root and PostgreSQL 15 (apt-get install postgresql)');
  process.exit(1);
}

const dir = mkdtempSync(`${tmpdir()}/logsphere-fleet-`);
const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))?.split(':');
chownSync(dir, Number(passwd?.[2]), Number(passwd?.[3]));
const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = server.address();
    server.close(() => resolve(p));
  });
});
const asPostgres = (cmd, args) => execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
const url = (db) => `postgresql://postgres@127.0.0.1:${port}/${db}`;
const psql = (sql, db = 'postgres') => execFileSync(psqlPath, ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim();
let started = false;
const stop = () => {
  if (started) {
    try {
      asPostgres(`${pgBin}/pg_ctl`, ['-D', `${dir}/data`, '-m', 'fast', '-w', 'stop']);
    } catch {
      // gone already
    }
  }
  rmSync(dir, { recursive: true, force: true });
};
// Removed however this ends: a watcher in a session of its own stops the server and removes the data.
spawn('/bin/sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; [ -f '${dir}/data/postmaster.pid' ] && kill -INT "$(head -n 1 '${dir}/data/postmaster.pid')"; sleep 2; rm -rf '${dir}'`], { detached: true, stdio: 'ignore' }).unref();

/** Time of one run (ms); throws unless it exits 0. */
function timed(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { PATH: '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.replace(root, '')} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-2).join(' / ')}`);
  return ms;
}

const rows = [];
try {
  asPostgres(`${pgBin}/initdb`, ['-D', `${dir}/data`, '-A', 'trust', '-U', 'postgres']);
  asPostgres(`${pgBin}/pg_ctl`, ['-D', `${dir}/data`, '-l', `${dir}/server.log`, '-w', 'start', '-o', `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c max_wal_size=4GB`]);
  started = true;
  // An empty configuration: the defaults.
  writeFileSync(`${dir}/logsphere.env`, '', { mode: 0o644 });
  chmodSync(`${dir}/logsphere.env`, 0o644);
  const env = { LOGSPHERE_CONFIG: `${dir}/logsphere.env`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run` };

  const hosts = 1000;
  console.log(`fleet store: a private PostgreSQL 15; a log of ${values.sessions} sessions over ${hosts} hosts and 52 weeks, one in 25 left open`);
  const t0 = Date.now();
  execFileSync(node, [`${root}scripts/lib/gen-history.mjs`, `${dir}/h`, '--sessions', values.sessions, '--hosts', String(hosts), '--weeks', '52', '--start', '2025-12-01', '--open-every', '25', '--ptys', 'lowest'], { stdio: 'ignore' });
  for (const f of ['wtmp', 'wtmp-noboot', 'wtmp-spread']) rmSync(`${dir}/h/${f}`, { force: true });
  const log = `${dir}/h/sessions.jsonl`;
  const meta = JSON.parse(readFileSync(`${dir}/h/history.json`, 'utf8'));
  const events = readFileSync(log).toString('latin1').split('\n').filter((l) => l !== '').length;
  console.log(`  ${events.toLocaleString('en-US')} events, ${mb(statSync(log).size)} (made in ${((Date.now() - t0) / 1000).toFixed(0)} s)`);

  // ship --once against COPY into one jsonb column, the COPY before and after.
  psql('CREATE DATABASE fleet');
  psql('CREATE DATABASE copied');
  timed(cli, ['db', 'migrate', '--db', url('fleet')], env);
  const copy = () => {
    psql('DROP TABLE IF EXISTS raw; CREATE TABLE raw (line jsonb)', 'copied');
    const ms = timed(psqlPath, ['-X', '-q', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'copied', '-c', `\\copy raw (line) FROM '${log}' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')`]);
    if (Number(psql('SELECT count(*) FROM raw', 'copied')) !== events) throw new Error('COPY did not load every line');
    return ms;
  };
  const copyBefore = copy();
  const ship = timed(cli, ['ship', '--once', '--db', url('fleet'), '--input', log], env);
  const copyAfter = copy();
  const loaded = Number(psql('SELECT count(*) FROM logsphere.events', 'fleet'));
  if (loaded !== events) throw new Error(`ship loaded ${loaded} of ${events} events`);
  const copyMs = median([copyBefore, copyAfter]);
  console.log(`  ship --once           ${secs(ship)}   (${Math.round(events / (ship / 1000)).toLocaleString('en-US')} events/s)`);
  console.log(`  COPY into jsonb       ${secs(copyBefore)} before, ${secs(copyAfter)} after   ratio ${(ship / copyMs).toFixed(2)}×`);
  rows.push({ name: '`ship --once` 1M events / COPY into jsonb', text: `${secs(ship)} / ${secs(copyMs)}`, ratio: ship / copyMs, unit: '×', ceiling: 3, goal: 1.5 });

  // Size per million events: the partitions with their indexes, the quarantine, the open sessions.
  const size = Number(psql("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'logsphere' AND c.relkind = 'r'", 'fleet'));
  const perMillion = (size / events) * 1e6;
  const jsonlPerMillion = (statSync(log).size / events) * 1e6;
  console.log(`  store size            ${mb(perMillion)} per million events (tables and indexes), the JSONL ${mb(jsonlPerMillion)}: ${(perMillion / jsonlPerMillion).toFixed(2)}×`);
  rows.push({ name: 'store size per million events / the JSONL', text: `${mb(perMillion)} / ${mb(jsonlPerMillion)}`, ratio: perMillion / jsonlPerMillion, unit: '×', ceiling: null, goal: 1.5 });

  /** `args` against `node -e 0`, alternated; checked once first. */
  const against = (name, args, check, ceiling, goal, figureName) => {
    const r = spawnSync(cli, args, { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    const wrong = check(r.stdout);
    if (wrong) throw new Error(`${args.join(' ')}: ${wrong}`);
    const base = [];
    const ours = [];
    for (let i = 0; i < runs; i++) {
      base.push(timed(node, ['-e', '0']));
      ours.push(timed(cli, args, env));
    }
    const [o, b] = [median(ours), median(base)];
    console.log(`  ${name.padEnd(22)}${secs(o)}, node -e 0 ${secs(b)}   ratio ${(o / b).toFixed(2)}×   (${runs} runs each)`);
    rows.push({ name: figureName, text: `${secs(o)} / ${secs(b)}`, ratio: o / b, unit: '×', ceiling, goal });
  };
  const open = meta.open ?? Math.floor(Number(values.sessions) / 25);
  against('sessions --db', ['sessions', '--db', url('fleet')], (out) => {
    const n = out.split('\n').filter((l) => l !== '').length - 1;
    return n === open ? null : `listed ${n} sessions, not the ${open} open`;
  }, 5, 2, `\`sessions --db\` (${hosts} hosts, ${open} open) / \`node -e 0\``);

  // Ten times the events: nine earlier years of the same hosts.
  const t1 = Date.now();
  // The months of those years, as ship would make them: 2016-12 to 2025-11.
  psql("SELECT logsphere.ensure_month(d::date) FROM generate_series('2016-12-01'::date, '2025-11-01'::date, '1 month') AS d", 'fleet');
  // The secondary indexes are made again afterwards: faster than kept up row by row.
  const indexes = psql("SELECT string_agg(indexname || '|' || replace(indexdef, ' ON ONLY ', ' ON '), E'\\n') FROM pg_indexes WHERE schemaname = 'logsphere' AND tablename = 'events' AND indexname <> 'events_pkey'", 'fleet')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('|'));
  for (const [index] of indexes) psql(`DROP INDEX logsphere.${index}`, 'fleet');
  psql(`CREATE TEMP TABLE o AS SELECT * FROM logsphere.events;
    INSERT INTO logsphere.events (event_id, ts, host, event, session_id, user_name, rhost, line)
    SELECT md5(event_id::text || k)::uuid, ts - make_interval(years => k), host, event,
      CASE WHEN session_id IS NULL THEN NULL ELSE md5(session_id::text || k)::uuid END, user_name, rhost,
      replace(replace(replace(replace(replace(line,
        event_id::text, md5(event_id::text || k)::uuid::text),
        coalesce(session_id::text, '-'), coalesce(md5(session_id::text || k)::uuid::text, '-')),
        substring(line from '"boot_id":"([0-9a-f-]{36})"'), md5(substring(line from '"boot_id":"([0-9a-f-]{36})"') || k)::uuid::text),
        '":"2025-', '":"' || (2025 - k) || '-'), '":"2026-', '":"' || (2026 - k) || '-')
    FROM o CROSS JOIN generate_series(1, 9) AS k`, 'fleet');
  for (const [, definition] of indexes) psql(definition, 'fleet');
  // Their boots, shutdowns and id-less closes went into logsphere.ending_events as they were
  // inserted (the store's trigger), as ship's would.
  psql('VACUUM ANALYZE logsphere.events', 'fleet');
  const total = Number(psql('SELECT count(*) FROM logsphere.events', 'fleet'));
  console.log(`  grown to ${total.toLocaleString('en-US')} events by SQL (${((Date.now() - t1) / 1000).toFixed(0)} s)`);
  against('last -n 20 --db', ['last', '-n', '20', '--db', url('fleet')], (out) => {
    const n = out.split('\n').filter((l) => l.includes(' pts/')).length;
    return n === 20 ? null : `showed ${n} session lines, not 20`;
  }, 5, 2, `\`last -n 20 --db\` (${(total / 1e6).toFixed(0)}M events) / \`node -e 0\``);
} catch (error) {
  console.log(`  FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  stop();
}

console.log('\nsummary (issue 16)');
for (const r of rows) {
  const verdict = r.ratio <= r.goal ? 'goal met' : r.ceiling === null || r.ratio <= r.ceiling ? (r.ceiling === null ? 'measured' : 'under ceiling') : 'over ceiling';
  console.log(`  ${r.name.padEnd(48)} ${r.text.padEnd(22)} ${r.ratio.toFixed(2)}${r.unit}   ceiling ${r.ceiling === null ? 'measured' : `${r.ceiling}${r.unit}`}, goal ${r.goal}${r.unit}   ${verdict}`);
}

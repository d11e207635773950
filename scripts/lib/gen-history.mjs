// Writes a synthetic login history for benchmarks, twice: as a LogSphere log and as a glibc
// wtmp file (x86_64 layout, 384-byte records) holding the same logins.
// Usage: node scripts/lib/gen-history.mjs DIR [--sessions N] [--hosts N] [--start DATE]
//          [--weeks W] [--open-every K] [--segments [--max-bytes B]]
//   DIR/sessions.jsonl   one boot per host, then N session_open + N session_close records
//   DIR/wtmp             one reboot record per host, then N USER_PROCESS + N DEAD_PROCESS
//   DIR/wtmp-noboot      with --segments, --weeks or --open-every: the same logins without the
//                        reboot records (util-linux `last` reads such a file in one pass)
//   DIR/wtmp-spread      with --ptys lowest: the reboot records and the logins again, the ptys
//                        numbered as by default (pts/0 … pts/4095 in turn, whatever is in use)
//   DIR/history.json     what was written: the first and last record times, counts, segments
// --start: the first boot (default 2026-01-01); sessions begin 10 s later, on average one a
//   second, or spread evenly over W weeks with --weeks.
// --open-every K: every K-th session is never closed (no session_close, no DEAD_PROCESS) and
//   keeps its pty: no later login on its host is given it.
// --ptys: `cycle` (default) numbers the logins' ptys pts/0 … pts/4095 in turn (the ones left open
//   pts/4096 and up); `lowest` gives each login the lowest pty number free on its host, as the
//   kernel does, so that a host's logins share a few ptys. util-linux `last` keeps a list of the
//   logouts it has met and scans it at every login: its time grows with the number of ptys in
//   use across the file, so it reads a `lowest` wtmp in one pass and a `cycle` one slowly.
// --segments: the log as a log directory, DIR/log, as the writer and `logsphere rotate` leave
//   it: the live file rotated whenever an append would take it past --max-bytes (default
//   16 MiB, LOGSPHERE_MAX_BYTES's default) to sessions-YYYYMMDDTHHMMSSZ.jsonl (the time of its
//   last record; -1, -2 … within one second), each file's modification time that of its last
//   record, then the daily upkeep's compression: every segment rotated before the last midnight
//   (UTC) of the history is gzip-compressed to .jsonl.gz (level 6, modification time kept), the
//   ones rotated since stay plain; the live sessions.jsonl holds the rest.
import { closeSync, existsSync, futimesSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    sessions: { type: 'string', default: '500000' },
    hosts: { type: 'string', default: '50' },
    start: { type: 'string', default: '2026-01-01' },
    weeks: { type: 'string', default: '0' },
    'open-every': { type: 'string', default: '0' },
    segments: { type: 'boolean', default: false },
    'max-bytes': { type: 'string', default: String(16 * 1024 * 1024) },
    ptys: { type: 'string', default: 'cycle' },
  },
});
const dir = positionals[0];
if (!dir) throw new Error('usage: gen-history.mjs DIR [--sessions N] [--hosts N] [--start DATE] [--weeks W] [--open-every K] [--segments [--max-bytes B]]');
const sessions = Number(values.sessions);
const hosts = Number(values.hosts);
const weeks = Number(values.weeks);
const openEvery = Number(values['open-every']);
const segmented = values.segments;
const maxBytes = Number(values['max-bytes']);
for (const [name, n] of [['sessions', sessions], ['hosts', hosts], ['weeks', weeks], ['open-every', openEvery], ['max-bytes', maxBytes]]) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name}: not a whole number: ${values[name]}`);
}
if (hosts < 1 || (segmented && maxBytes < 4096)) throw new Error('--hosts must be at least 1, --max-bytes at least 4096');
if (values.ptys !== 'cycle' && values.ptys !== 'lowest') throw new Error(`--ptys: cycle or lowest, not ${values.ptys}`);
const lowestPtys = values.ptys === 'lowest';
const startMs = Date.parse(values.start);
if (!Number.isFinite(startMs)) throw new Error(`--start: not a date: ${values.start}`);
// Mean time between two logins (µs): a second, or the weeks spread over the sessions.
const meanGap = weeks > 0 && sessions > 0 ? Math.max(1, Math.round((weeks * 7 * 86400e6) / sessions)) : 1_000_000;
const extras = segmented || weeks > 0 || openEvery > 0 || lowestPtys;
mkdirSync(dir, { recursive: true });
const logDir = segmented ? `${dir}/log` : dir;
mkdirSync(logDir, { recursive: true });

let state = 0x2545f491;
const rand = () => {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state;
};
const hex = (n, width) => n.toString(16).padStart(width, '0').slice(-width);
const uuid7 = (ms) =>
  `${hex(Math.floor(ms / 65536), 8)}-${hex(ms % 65536, 4)}-7${hex(rand(), 3)}-${hex(0x8000 | (rand() & 0x3fff), 4)}-${hex(rand(), 8)}${hex(rand(), 4)}`;
const iso = (us) => `${new Date(Math.floor(us / 1000)).toISOString().slice(0, -1)}${String(us % 1000).padStart(3, '0')}Z`;

let jsonl = openSync(`${logDir}/sessions.jsonl`, 'w');
const wtmp = openSync(`${dir}/wtmp`, 'w');
const spread = lowestPtys ? openSync(`${dir}/wtmp-spread`, 'w') : null;
let text = '';
const records = [];
const spreadRecords = [];
const flush = (force) => {
  if (text.length > (force ? 0 : 1 << 20)) {
    writeSync(jsonl, text);
    text = '';
  }
  if (records.length > (force ? 0 : 4096)) {
    writeSync(wtmp, Buffer.concat(records));
    records.length = 0;
    if (spread !== null) writeSync(spread, Buffer.concat(spreadRecords));
    spreadRecords.length = 0;
  }
};
// The log directory's segments: the live file's size, its last record's time, and the rotated ones.
let liveBytes = 0;
let lastUs = 0;
let firstUs = null;
let lines = 0;
const rotated = [];
const stamp = (ms) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
/** One record, appended as the writer appends it: the live file rotated first when it would grow past maxBytes. */
function append(line, at) {
  lines++;
  firstUs ??= at;
  if (segmented && liveBytes > 0 && liveBytes + line.length > maxBytes) {
    writeSync(jsonl, text);
    text = '';
    futimesSync(jsonl, lastUs / 1e6, lastUs / 1e6);
    closeSync(jsonl);
    const ms = Math.floor(lastUs / 1000);
    let name;
    for (let seq = 0; ; seq++) {
      name = `sessions-${stamp(ms)}${seq > 0 ? `-${seq}` : ''}.jsonl`;
      if (!existsSync(`${logDir}/${name}`)) break;
    }
    renameSync(`${logDir}/sessions.jsonl`, `${logDir}/${name}`);
    rotated.push({ name, rotatedMs: ms, lastUs, bytes: liveBytes });
    jsonl = openSync(`${logDir}/sessions.jsonl`, 'w');
    liveBytes = 0;
  }
  text += line;
  liveBytes += line.length; // ASCII only
  lastUs = at;
}
function utmp(type, pid, line, user, host, us, ipv4, spreadLine = line) {
  const b = Buffer.alloc(384);
  b.writeInt16LE(type, 0);
  b.writeInt32LE(pid, 4);
  b.write(line, 8, 32, 'latin1');
  b.write(line.slice(-4), 40, 4, 'latin1');
  b.write(user, 44, 32, 'latin1');
  b.write(host, 76, 256, 'latin1');
  b.writeInt32LE(Math.floor(us / 1e6), 340);
  b.writeInt32LE(us % 1e6, 344);
  if (ipv4) ipv4.split('.').forEach((o, i) => b.writeUInt8(Number(o), 348 + i));
  records.push(b);
  if (spread !== null) {
    const c = Buffer.from(b);
    c.fill(0, 8, 44);
    c.write(spreadLine, 8, 32, 'latin1');
    c.write(spreadLine.slice(-4), 40, 4, 'latin1');
    spreadRecords.push(c);
  }
}

const start = startMs * 1000;
const bootIds = [];
for (let h = 0; h < hosts; h++) {
  const bootId = `${hex(rand(), 8)}-${hex(rand(), 4)}-4${hex(rand(), 3)}-8${hex(rand(), 3)}-${hex(rand(), 8)}${hex(rand(), 4)}`;
  bootIds.push(bootId);
  const us = start + h;
  append(`{"schema":"logsphere/1","event_id":"${uuid7(Math.floor(us / 1000))}","ts":"${iso(us)}","host":"host${h}.example.net","boot_id":"${bootId}","source":"systemd","event":"boot","kernel":"6.1.0-bench","boot_time":"${iso(us - 5e6)}"}\n`, us);
  utmp(2, 0, '~', 'reboot', '6.1.0-bench', us, null);
}
// Sessions open and close in a sliding window: every open is followed by its close 1..600 events later.
const pending = [];
let us = start + 10e6;
const closeOne = (p) => {
  const dur = us - p.us;
  append(`{"schema":"logsphere/1","event_id":"${uuid7(Math.floor(us / 1000))}","ts":"${iso(us)}","host":"host${p.h}.example.net","boot_id":"${bootIds[p.h]}","source":"pam","event":"session_close","session_id":"${p.sid}","user":"${p.user}","uid":${p.uid},"tty":"${p.tty}","rhost":"${p.rhost}","ruser":null,"service":"sshd","pid":${p.pid},"pid_start":${p.pidStart},"login_time":"${iso(p.us)}","duration_s":${(dur / 1e6).toFixed(6)}}\n`, us);
  utmp(8, p.pid, p.tty, '', '', us, null, p.spreadTty);
  if (lowestPtys) ptysInUse[p.h][Number(p.tty.slice(4))] = false;
};
let open = 0;
// The ptys in use on each host (--ptys lowest): a login takes the lowest free number.
const ptysInUse = Array.from({ length: hosts }, () => []);
const lowestFree = (h) => {
  const inUse = ptysInUse[h];
  let n = inUse.indexOf(false);
  if (n < 0) n = inUse.length;
  inUse[n] = true;
  return n;
};
for (let i = 0; i < sessions; i++) {
  us += 1 + (rand() % (2 * meanGap));
  const h = rand() % hosts;
  const user = `user${rand() % 2000}`;
  const rhost = `198.51.${rand() % 256}.${rand() % 256}`;
  const p = {
    h, user, uid: 1000 + (rand() % 2000), rhost, us, tty: `pts/${i % 4096}`, pid: 1000 + (i % 4_000_000),
    pidStart: 100 + (rand() % 1_000_000), sid: uuid7(Math.floor(us / 1000)), closeAfter: i + 1 + (rand() % 600),
  };
  const stays = openEvery > 0 && i % openEvery === openEvery - 1;
  p.spreadTty = p.tty;
  if (lowestPtys) p.tty = `pts/${lowestFree(h)}`;
  else if (stays) p.tty = `pts/${4096 + open}`;
  if (stays) open++;
  append(`{"schema":"logsphere/1","event_id":"${uuid7(Math.floor(us / 1000))}","ts":"${iso(us)}","host":"host${h}.example.net","boot_id":"${bootIds[h]}","source":"pam","event":"session_open","session_id":"${p.sid}","user":"${user}","uid":${p.uid},"tty":"${p.tty}","rhost":"${rhost}","ruser":null,"service":"sshd","pid":${p.pid},"pid_start":${p.pidStart}}\n`, us);
  utmp(7, p.pid, p.tty, user, rhost, us, rhost, p.spreadTty);
  if (!stays) pending.push(p);
  while (pending.length > 0 && pending[0].closeAfter <= i) {
    us += 1;
    closeOne(pending.shift());
  }
  pending.sort((a, b) => a.closeAfter - b.closeAfter);
  flush(false);
}
for (const p of pending) {
  us += 1;
  closeOne(p);
}
flush(true);
if (lines > 0) futimesSync(jsonl, lastUs / 1e6, lastUs / 1e6);
closeSync(jsonl);
closeSync(wtmp);
if (spread !== null) closeSync(spread);

if (extras) {
  // The same logins without the reboot records: the whole file past the first `hosts` records.
  writeFileSync(`${dir}/wtmp-noboot`, readFileSync(`${dir}/wtmp`).subarray(hosts * 384));
}
// The daily upkeep (logsphere-rotate.timer) last ran at the last midnight of the history: it
// compressed every segment rotated before then.
const upkeepMs = Math.floor(lastUs / 1000 / 86400e3) * 86400e3;
const compress = promisify(gzip);
const due = rotated.filter((segment) => segment.rotatedMs < upkeepMs);
// Two at a time (zlib's thread pool): both cores, without every segment in memory at once.
await Promise.all(
  [0, 1].map(async () => {
    for (let segment; (segment = due.shift()); ) {
      const plain = `${logDir}/${segment.name}`;
      const gz = `${plain}.gz`;
      writeFileSync(gz, await compress(readFileSync(plain), { level: 6 }));
      utimesSync(gz, segment.lastUs / 1e6, segment.lastUs / 1e6);
      unlinkSync(plain);
      segment.name += '.gz';
      segment.compressed = true;
    }
  }),
);
writeFileSync(
  `${dir}/history.json`,
  `${JSON.stringify(
    {
      first: firstUs === null ? null : iso(firstUs),
      last: lines > 0 ? iso(lastUs) : null,
      records: lines,
      hosts,
      sessions,
      open,
      log: segmented ? `${logDir}` : `${dir}/sessions.jsonl`,
      segments: segmented ? [...rotated.map((s) => ({ name: s.name, bytes: s.bytes, last: iso(s.lastUs), compressed: s.compressed ?? false })), { name: 'sessions.jsonl', bytes: liveBytes, last: lines > 0 ? iso(lastUs) : null, compressed: false }] : null,
    },
    null,
    1,
  )}\n`,
);

// Writes a synthetic login history for benchmarks, twice: as a LogSphere log and as a glibc
// wtmp file (x86_64 layout, 384-byte records) holding the same logins.
// Usage: node scripts/lib/gen-history.mjs DIR [--sessions N] [--hosts N]
//   DIR/sessions.jsonl   one boot per host, then N session_open + N session_close records
//   DIR/wtmp             one reboot record per host, then N USER_PROCESS + N DEAD_PROCESS
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { sessions: { type: 'string', default: '500000' }, hosts: { type: 'string', default: '50' } },
});
const dir = positionals[0];
if (!dir) throw new Error('usage: gen-history.mjs DIR [--sessions N] [--hosts N]');
const sessions = Number(values.sessions);
const hosts = Number(values.hosts);
mkdirSync(dir, { recursive: true });

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

const jsonl = openSync(`${dir}/sessions.jsonl`, 'w');
const wtmp = openSync(`${dir}/wtmp`, 'w');
let text = '';
const records = [];
const flush = (force) => {
  if (text.length > (force ? 0 : 1 << 20)) {
    writeSync(jsonl, text);
    text = '';
  }
  if (records.length > (force ? 0 : 4096)) {
    writeSync(wtmp, Buffer.concat(records));
    records.length = 0;
  }
};
function utmp(type, pid, line, user, host, us, ipv4) {
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
}

const start = Date.UTC(2026, 0, 1) * 1000;
const bootIds = [];
for (let h = 0; h < hosts; h++) {
  const bootId = `${hex(rand(), 8)}-${hex(rand(), 4)}-4${hex(rand(), 3)}-8${hex(rand(), 3)}-${hex(rand(), 8)}${hex(rand(), 4)}`;
  bootIds.push(bootId);
  const us = start + h;
  text += `{"schema":"logsphere/1","event_id":"${uuid7(Math.floor(us / 1000))}","ts":"${iso(us)}","host":"host${h}.example.net","boot_id":"${bootId}","source":"systemd","event":"boot","kernel":"6.1.0-bench","boot_time":"${iso(us - 5e6)}"}\n`;
  utmp(2, 0, '~', 'reboot', '6.1.0-bench', us, null);
}
// Sessions open and close in a sliding window: every open is followed by its close 1..600 events later.
const pending = [];
let us = start + 10e6;
const closeOne = (p) => {
  const dur = us - p.us;
  text += `{"schema":"logsphere/1","event_id":"${uuid7(Math.floor(us / 1000))}","ts":"${iso(us)}","host":"host${p.h}.example.net","boot_id":"${bootIds[p.h]}","source":"pam","event":"session_close","session_id":"${p.sid}","user":"${p.user}","uid":${p.uid},"tty":"${p.tty}","rhost":"${p.rhost}","ruser":null,"service":"sshd","pid":${p.pid},"pid_start":${p.pidStart},"login_time":"${iso(p.us)}","duration_s":${(dur / 1e6).toFixed(6)}}\n`;
  utmp(8, p.pid, p.tty, '', '', us, null);
};
for (let i = 0; i < sessions; i++) {
  us += 1 + (rand() % 2_000_000);
  const h = rand() % hosts;
  const user = `user${rand() % 2000}`;
  const rhost = `198.51.${rand() % 256}.${rand() % 256}`;
  const p = {
    h, user, uid: 1000 + (rand() % 2000), rhost, us, tty: `pts/${i % 4096}`, pid: 1000 + (i % 4_000_000),
    pidStart: 100 + (rand() % 1_000_000), sid: uuid7(Math.floor(us / 1000)), closeAfter: i + 1 + (rand() % 600),
  };
  text += `{"schema":"logsphere/1","event_id":"${uuid7(Math.floor(us / 1000))}","ts":"${iso(us)}","host":"host${h}.example.net","boot_id":"${bootIds[h]}","source":"pam","event":"session_open","session_id":"${p.sid}","user":"${user}","uid":${p.uid},"tty":"${p.tty}","rhost":"${rhost}","ruser":null,"service":"sshd","pid":${p.pid},"pid_start":${p.pidStart}}\n`;
  utmp(7, p.pid, p.tty, user, rhost, us, rhost);
  pending.push(p);
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
closeSync(jsonl);
closeSync(wtmp);

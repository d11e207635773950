// A generated login history, laid out as a real log directory is: rotated segments named as the
// writer names them (some compressed, as `logsphere rotate` leaves them), the live file, and an
// import beside them; for the tests that compare newest-first reading with the whole read.

import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as build from '../../src/record/build.ts';
import { parseTimestamp, type Micros } from '../../src/record/time.ts';
import type { LogRecord } from '../../src/record/types.ts';
import { rotatedName } from '../../src/store/segments.ts';

export interface HistoryShape {
  /** Sessions to generate. */
  sessions: number;
  seed?: number;
  /** Records per segment file. */
  perSegment?: number;
}

export interface GeneratedHistory {
  records: LogRecord[];
  /** The lines as written, in file order, malformed ones and duplicates included. */
  lines: string[];
  start: Micros;
  end: Micros;
}

const T0 = Date.UTC(2026, 9, 1) * 1000;
// app1 never reboots: its sessions left open stay open.
const hosts = ['web1', 'web2', 'db1', 'app1'];
const users = ['alice', 'bob', 'carol', 'dave', 'root'];

/**
 * Sessions of four hosts over some days: ssh logins (the pty on the close), console logins,
 * su and sudo inside them, closes without a session id, failed logins, boots after a shutdown and
 * after a crash, sessions never closed; written in time order as concurrent writers leave them
 * (neighbours a few seconds apart swapped), with duplicated and malformed lines among them.
 */
export function generateHistory(shape: HistoryShape): GeneratedHistory {
  // xorshift32: the same history for the same seed.
  let x = (shape.seed ?? 11) * 0x9e3779b1 || 1;
  const rand = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const boots = new Map(hosts.map((h) => [h, 0]));
  const bootId = (h: string) => `7a2fbc11-fb9c-496f-9b67-${String(hosts.indexOf(h)).padStart(4, '0')}${String(boots.get(h)).padStart(8, '0')}`;
  const origin = (h: string, source: 'pam' | 'systemd' = 'pam') => ({ host: h, boot_id: bootId(h), source });
  const events: LogRecord[] = [];
  let at = T0;
  for (const h of hosts) events.push(build.boot(origin(h, 'systemd'), (at += 1_000_000), '6.1.0-18-amd64', at - 20_000_000));
  const open: Array<{ h: string; login: build.Login; rec: ReturnType<typeof build.sessionOpen>; until: Micros; pty: string | null; unnamed: boolean }> = [];
  let pid = 1000;
  for (let i = 0; i < shape.sessions; i++) {
    at += 1_000_000 + rand(3_600_000_000);
    // Closes due by now, in time order.
    open.sort((a, b) => a.until - b.until);
    while (open.length > 0 && (open[0]?.until ?? Infinity) <= at) {
      const s = open.shift() as (typeof open)[number];
      events.push(build.sessionClose(origin(s.h), s.login, s.until, s.unnamed ? null : s.rec, {}, s.pty));
    }
    const h = hosts[rand(hosts.length)] as string;
    const roll = rand(100);
    if (roll < 3 && h !== 'app1') {
      // A reboot: after a shutdown, or a crash; sessions of the old boot are not closed.
      if (roll < 2) events.push(build.shutdown(origin(h, 'systemd'), at));
      boots.set(h, (boots.get(h) ?? 0) + 1);
      at += 30_000_000;
      events.push(build.boot(origin(h, 'systemd'), at, roll === 0 ? '6.1.0-19-amd64' : '6.1.0-18-amd64', at - 15_000_000));
      for (let k = open.length - 1; k >= 0; k--) if (open[k]?.h === h) open.splice(k, 1);
      continue;
    }
    const user = users[rand(users.length)] as string;
    if (roll < 15) {
      events.push(build.authFailure(origin(h), { user, uid: null, tty: 'ssh', rhost: `203.0.113.${rand(256)}`, ruser: null, service: 'sshd', pid: pid++, pid_start: 7 }, at));
      continue;
    }
    const service = roll < 55 ? 'sshd' : roll < 70 ? 'login' : roll < 85 ? 'su' : 'sudo';
    const tty = service === 'sshd' ? 'ssh' : service === 'login' ? `tty${1 + rand(6)}` : `pts/${rand(8)}`;
    const login: build.Login = { user, uid: 1000 + users.indexOf(user), tty, rhost: service === 'sshd' ? `198.51.100.${rand(256)}` : null, ruser: null, service, pid: pid++, pid_start: 42 };
    const rec = build.sessionOpen(origin(h), login, at);
    events.push(rec);
    // One in twenty never closes; the rest close within hours.
    if (rand(20) === 0) continue;
    open.push({ h, login, rec, until: at + 1_000_000 + rand(6 * 3_600_000_000), pty: service === 'sshd' ? `pts/${rand(8)}` : null, unnamed: rand(10) === 0 });
  }
  const lines: string[] = [];
  for (let i = 0; i < events.length; i++) {
    const r = events[i] as LogRecord;
    const next = events[i + 1];
    // Concurrent writers: a record a few seconds later written before this one.
    if (next !== undefined && rand(15) === 0 && (parseTimestamp(next.ts) ?? 0) - (parseTimestamp(r.ts) ?? 0) < 5_000_000) {
      lines.push(build.toLine(next), build.toLine(r));
      i++;
      continue;
    }
    lines.push(build.toLine(r));
    if (rand(50) === 0) lines.push(build.toLine(r)); // a duplicate
    if (rand(80) === 0) lines.push('{"schema":"logsphere/1","event":"session_open",\n'); // malformed
  }
  return { records: events, lines, start: T0, end: at };
}

/**
 * Writes the lines into `dir` as a log: segments of `perSegment` lines named by their last
 * record's time, every other older one compressed, the newest part as the live file.
 */
export function writeLogDirectory(dir: string, lines: readonly string[], perSegment: number): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  let seq = 0;
  for (let from = 0; from < lines.length; from += perSegment) {
    const part = lines.slice(from, from + perSegment);
    const isLive = from + perSegment >= lines.length;
    if (isLive) {
      writeFileSync(`${dir}/sessions.jsonl`, part.join(''));
      written.push('sessions.jsonl');
      break;
    }
    const lastTime = [...part].reverse().map((l) => /"ts":"([^"]+)"/.exec(l)?.[1]).find((t) => t !== undefined) as string;
    const name = rotatedName('sessions.jsonl', new Date((parseTimestamp(lastTime) ?? 0) / 1000 + 1000));
    if (seq++ % 2 === 0) {
      writeFileSync(`${dir}/${name}.gz`, gzipSync(part.join('')));
      written.push(`${name}.gz`);
    } else {
      writeFileSync(`${dir}/${name}`, part.join(''));
      written.push(name);
    }
  }
  return written;
}

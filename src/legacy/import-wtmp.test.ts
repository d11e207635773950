// The importer writes lines byte by byte; here a plain reference (decoded entries, the record
// builders, JSON.stringify) must give the same bytes for hostile and ordinary entries alike.
import { jsonText } from '../record/json-text.ts';
import { describe, expect, it } from 'vitest';
import * as build from '../record/build.ts';
import { JsonBytes } from '../record/json-bytes.ts';
import { formatTimestamp } from '../record/time.ts';
import type { RecordSource } from '../record/types.ts';
import { WtmpImporter } from './import-wtmp.ts';
import { RecordNames, uuidFromSha1Hex, uuidV5 } from '../record/name-ids.ts';
import { offsets, readUtmp, recordSize, UtType, type UtmpEntry, type UtmpLayout } from './utmp.ts';

/** An entry's type as util-linux last reads it: on a line starting with `~`, the user decides. */
function lastType(e: UtmpEntry): number | 'shutdown' {
  if (!e.line.startsWith('~')) return e.type;
  if (e.user.startsWith('shutdown')) return 'shutdown';
  if (e.user.startsWith('reboot')) return UtType.BOOT_TIME;
  if (e.user.startsWith('runlevel')) return UtType.RUN_LVL;
  return e.type;
}

/** The importer's rules written the obvious way, one record object at a time. */
function reference(data: Buffer, layout: UtmpLayout, host: string, source: RecordSource): string {
  const names = new RecordNames(host, recordSize[layout]);
  const id = (e: UtmpEntry, kind: string) => {
    names.load(data, e.index * recordSize[layout]);
    return uuidFromSha1Hex(names.hex(kind));
  };
  const login = (e: UtmpEntry): build.Login => ({
    user: e.user, uid: null, tty: e.line === '' ? null : e.line.replace(/^\/dev\//, ''), rhost: e.host === '' ? e.addr : e.host,
    ruser: null, service: source, pid: Math.max(0, e.pid), pid_start: 0,
  });
  let bootId: string | null = null;
  let byPid = new Map<number, { e: UtmpEntry; open: build.Ids & { session_id: string; ts: string } }>();
  let byLine = new Map<string, { e: UtmpEntry; open: build.Ids & { session_id: string; ts: string } }>();
  const out: string[] = [];
  for (const e of readUtmp(data, layout).entries) {
    const at = e.sec * 1e6 + e.usec;
    const type = lastType(e);
    if (type === UtType.BOOT_TIME) {
      bootId = id(e, 'b');
      byPid = new Map();
      byLine = new Map();
      out.push(build.toLine(build.boot({ host, boot_id: bootId, source }, at, e.host, at, { event_id: id(e, 'e') })));
      continue;
    }
    bootId ??= id(e, 'p');
    const origin = { host, boot_id: bootId, source };
    const level = String.fromCharCode(e.pid & 0xff);
    if (type === 'shutdown' || (type === UtType.RUN_LVL && e.line.startsWith('~') && (level === '0' || level === '6'))) {
      out.push(build.toLine(build.shutdown(origin, at, { event_id: id(e, 'e') })));
    } else if (type === UtType.RUN_LVL && e.line.startsWith('~')) {
      // another runlevel change
    } else if (source === 'btmp' && (e.type === UtType.LOGIN_PROCESS || e.type === UtType.USER_PROCESS)) {
      out.push(build.toLine(build.authFailure(origin, login(e), at, { event_id: id(e, 'e') })));
    } else if (e.type === UtType.USER_PROCESS) {
      // A login still open on this line ends where the next one begins, as last(1) has it.
      const reused = e.line === '' ? undefined : byLine.get(e.line);
      if (reused) {
        byPid.delete(reused.e.pid);
        byLine.delete(reused.e.line);
        out.push(build.toLine(build.sessionClose(origin, login(reused.e), at, reused.open, { event_id: uuidV5(`${reused.open.session_id}\0line reused`) })));
      }
      const record = build.sessionOpen(origin, login(e), at, { event_id: id(e, 'e'), session_id: id(e, 's') });
      const entry = { e, open: record };
      byPid.set(e.pid, entry);
      byLine.set(e.line, entry);
      out.push(build.toLine(record));
    } else if (e.type === UtType.DEAD_PROCESS && source !== 'utmp') {
      const found = byPid.get(e.pid) ?? (e.line === '' ? undefined : byLine.get(e.line));
      if (found) {
        byPid.delete(found.e.pid);
        if (byLine.get(found.e.line) === found) byLine.delete(found.e.line);
      }
      out.push(build.toLine(build.sessionClose(origin, found ? login(found.e) : login(e), at, found?.open ?? null, { event_id: id(e, 'e') })));
    }
  }
  return out.join('');
}

function imported(data: Buffer, layout: UtmpLayout, host: string, source: RecordSource): string {
  const parts: Buffer[] = [];
  const importer = new WtmpImporter({ host, source, layout }, (bytes) => parts.push(Buffer.from(bytes)));
  // Fed in pieces of a few records, as the command reads a file.
  const step = recordSize[layout] * 3;
  for (let at = 0; at < data.length; at += step) importer.addRecords(data.subarray(at, Math.min(data.length, at + step)));
  importer.finish();
  return Buffer.concat(parts).toString();
}

interface Row { type: number; pid: number; line: string | Buffer; user: string | Buffer; host: string | Buffer; sec: number; usec: number; addr?: number[] }

function encode(rows: Row[], layout: UtmpLayout): Buffer {
  const size = recordSize[layout];
  const o = offsets[layout];
  const data = Buffer.alloc(rows.length * size);
  rows.forEach((r, i) => {
    const base = i * size;
    const put = (value: string | Buffer, at: number, length: number) => (typeof value === 'string' ? Buffer.from(value, 'latin1') : value).copy(data, base + at, 0, length);
    data.writeInt16LE(r.type, base + o.type);
    data.writeInt32LE(r.pid, base + o.pid);
    put(r.line, o.line, 32);
    put(r.user, o.user, 32);
    put(r.host, o.host, 256);
    if (o.secBytes === 4) {
      data.writeInt32LE(r.sec, base + o.sec);
      data.writeInt32LE(r.usec, base + o.usec);
    } else {
      data.writeBigInt64LE(BigInt(r.sec), base + o.sec);
      data.writeBigInt64LE(BigInt(r.usec), base + o.usec);
    }
    (r.addr ?? []).forEach((w, k) => data.writeUInt32BE(w >>> 0, base + o.addr + 4 * k));
  });
  return data;
}

const t0 = Date.UTC(2026, 2, 29, 0, 59, 58);
const allBytes = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1));
const rows: Row[] = [
  { type: UtType.USER_PROCESS, pid: 10, line: 'pts/0', user: 'before-boot', host: '', sec: t0 / 1000 - 5, usec: 1, addr: [0x7f000001] },
  { type: UtType.BOOT_TIME, pid: 0, line: '~', user: 'reboot', host: '6.1.0-"\\\n\u001b', sec: t0 / 1000, usec: 0 },
  { type: UtType.RUN_LVL, pid: 0x35, line: '~', user: 'runlevel', host: '6.1.0', sec: t0 / 1000 + 1, usec: 999_999 },
  { type: UtType.LOGIN_PROCESS, pid: 11, line: 'tty1', user: 'LOGIN', host: '', sec: t0 / 1000 + 2, usec: 5 },
  { type: UtType.USER_PROCESS, pid: 12, line: '/dev/tty1', user: 'quo"te\\back\tslash', host: 'h\u00e9\u00ff\u0080st', sec: t0 / 1000 + 3, usec: 120 },
  { type: UtType.USER_PROCESS, pid: 13, line: 'pts/1', user: 'x'.repeat(32), host: allBytes.subarray(0, 255), sec: t0 / 1000 + 4, usec: 0, addr: [0x20010db8, 0, 0, 1] },
  { type: UtType.USER_PROCESS, pid: -7, line: 'p'.repeat(32), user: '\u0001\u0008\u000c\r\u001f\u007f', host: '', sec: t0 / 1000 + 5, usec: 999_999, addr: [0xfe800000, 0, 0x02000000, 0x1] },
  { type: UtType.DEAD_PROCESS, pid: 12, line: '/dev/tty1', user: '', host: '', sec: t0 / 1000 + 3600, usec: 119 },
  { type: UtType.DEAD_PROCESS, pid: 99, line: 'pts/1', user: '', host: '', sec: t0 / 1000 + 90_000, usec: 1 },
  { type: UtType.DEAD_PROCESS, pid: 4242, line: 'pts/9', user: '', host: '', sec: t0 / 1000 + 90_001, usec: 0 },
  { type: UtType.USER_PROCESS, pid: 14, line: '', user: 'noline', host: '', sec: t0 / 1000 + 90_002, usec: 0 },
  { type: UtType.DEAD_PROCESS, pid: 14, line: '', user: '', host: '', sec: t0 / 1000 + 90_002, usec: 0 },
  { type: UtType.INIT_PROCESS, pid: 1, line: 'tty2', user: '', host: '', sec: t0 / 1000 + 90_003, usec: 0 },
  { type: 42, pid: 1, line: 'tty2', user: '', host: '', sec: t0 / 1000 + 90_003, usec: 0 },
  { type: UtType.RUN_LVL, pid: 0x36, line: '~', user: 'runlevel', host: '6.1.0', sec: t0 / 1000 + 90_004, usec: 0 },
  { type: UtType.DEAD_PROCESS, pid: -7, line: 'p'.repeat(32), user: '', host: '', sec: t0 / 1000 + 90_005, usec: 0 },
  { type: UtType.USER_PROCESS, pid: 15, line: 'pts/2', user: 'shutdown', host: '', sec: t0 / 1000 + 90_006, usec: 0 },
  { type: UtType.DEAD_PROCESS, pid: 0, line: '~', user: 'shutdown', host: '6.1.0', sec: t0 / 1000 + 90_007, usec: 0 },
  { type: UtType.BOOT_TIME, pid: 0, line: '~', user: 'reboot', host: '6.1.1', sec: t0 / 1000 + 90_100, usec: 0 },
  { type: UtType.DEAD_PROCESS, pid: 15, line: 'pts/2', user: '', host: '', sec: t0 / 1000 + 90_101, usec: 0 },
  // sysvinit: runlevel changes (previous level in the second byte of ut_pid) on line `~`, halt's
  // and shutdown's row on line `~~`; a boot on `~~`; rows whose user and line outweigh their type.
  { type: UtType.RUN_LVL, pid: 0x4e33, line: '~', user: 'runlevel', host: '6.1.1', sec: t0 / 1000 + 90_102, usec: 0 },
  { type: UtType.USER_PROCESS, pid: 16, line: 'pts/3', user: 'sysv', host: '', sec: t0 / 1000 + 90_103, usec: 0 },
  { type: UtType.RUN_LVL, pid: 0, line: '~~', user: 'shutdown', host: '6.1.1', sec: t0 / 1000 + 90_104, usec: 0 },
  { type: UtType.BOOT_TIME, pid: 0, line: '~~', user: 'reboot', host: '6.1.2', sec: t0 / 1000 + 90_200, usec: 0 },
  { type: UtType.USER_PROCESS, pid: 17, line: '~~', user: 'runlevel', host: '', sec: t0 / 1000 + 90_201, usec: 0 },
  { type: UtType.USER_PROCESS, pid: 18, line: '~x', user: 'someone', host: '', sec: t0 / 1000 + 90_202, usec: 0 },
  { type: UtType.RUN_LVL, pid: 0x3530, line: '~~', user: '', host: '', sec: t0 / 1000 + 90_203, usec: 0 },
  { type: UtType.DEAD_PROCESS, pid: 0, line: '~~', user: 'rebooted', host: '6.1.3', sec: t0 / 1000 + 90_300, usec: 0 },
  { type: UtType.USER_PROCESS, pid: 0x36, line: 'pts/4', user: 'runlevel', host: '', sec: t0 / 1000 + 90_301, usec: 0 },
];

describe('WtmpImporter', () => {
  for (const layout of ['x86_64', 'time64'] as const) {
    for (const source of ['wtmp', 'btmp', 'utmp'] as const) {
      it(`writes what the record builders write (${layout}, ${source})`, () => {
        const data = encode(rows, layout);
        const expected = reference(data, layout, 'wëb-1', source);
        expect(expected.split('\n').length).toBeGreaterThan(source === 'utmp' ? 8 : 14);
        expect(imported(data, layout, 'wëb-1', source)).toBe(expected);
      });
    }
  }

  it('counts records of unknown type and leaves the bytes of a partial record', () => {
    const data = encode(rows, 'x86_64');
    const importer = new WtmpImporter({ host: 'h', source: 'wtmp', layout: 'x86_64' }, () => {});
    expect(importer.addRecords(data.subarray(0, data.length - 100))).toBe(284);
    expect(importer.unknownTypes).toBe(1);
  });

  it('reads system rows on lines starting with ~ as util-linux last does: sysvinit\'s shutdown on ~~ is a shutdown', () => {
    const sec = t0 / 1000;
    const events = (list: Row[]) => imported(encode(list, 'x86_64'), 'x86_64', 'h', 'wtmp').trim().split('\n').map((l) => {
      const r = JSON.parse(l) as { event: string; user?: string };
      return r.user === undefined ? r.event : `${r.event} ${r.user}`;
    });
    const login: Row = { type: UtType.USER_PROCESS, pid: 20, line: 'pts/0', user: 'jack', host: '', sec: sec + 1, usec: 0 };
    expect(events([
      { type: UtType.BOOT_TIME, pid: 0, line: '~', user: 'reboot', host: '5.10', sec, usec: 0 },
      { type: UtType.RUN_LVL, pid: 0x4e33, line: '~', user: 'runlevel', host: '5.10', sec, usec: 1 },
      login,
      { type: UtType.RUN_LVL, pid: 0, line: '~~', user: 'shutdown', host: '5.10', sec: sec + 2, usec: 0 },
      { type: UtType.BOOT_TIME, pid: 0, line: '~~', user: 'reboot', host: '5.10', sec: sec + 3, usec: 0 },
      { ...login, user: 'kate', sec: sec + 4 },
      { type: UtType.RUN_LVL, pid: 0x3336, line: '~', user: 'runlevel', host: '5.10', sec: sec + 5, usec: 0 },
      { type: UtType.USER_PROCESS, pid: 0x30, line: '~~', user: 'runlevel', host: '', sec: sec + 6, usec: 0 },
      { type: UtType.DEAD_PROCESS, pid: 0, line: '~~', user: 'shutdownx', host: '', sec: sec + 7, usec: 0 },
      { type: UtType.USER_PROCESS, pid: 21, line: 'pts/1', user: 'shutdown', host: '', sec: sec + 8, usec: 0 },
    ])).toEqual(['boot', 'session_open jack', 'shutdown', 'boot', 'session_open kate', 'shutdown', 'shutdown', 'shutdown', 'session_open shutdown']);
  });
});

describe('JsonBytes', () => {
  const written = (write: (out: JsonBytes) => void) => {
    const out = new JsonBytes(() => {});
    write(out);
    return out.buf.toString('utf8', 0, out.pos);
  };

  it('writes seconds of a duration as JS writes micros / 1e6', () => {
    let seed = 7;
    const samples = [0, 1, 10, 999_999, 1_000_000, 1_000_001, 123_456_789, 86_400_000_000, 999_999_999_999_999, 1e15, 2 ** 53 - 1];
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      samples.push(Math.floor((seed / 2 ** 31) * 10 ** (i % 16)));
    }
    for (const micros of samples) expect(written((out) => out.seconds(micros))).toBe(String(micros / 1e6));
  });

  it('writes timestamps as formatTimestamp does', () => {
    for (const micros of [0, 1, 999_999, t0 * 1000 + 123_456, Date.UTC(2400, 1, 29, 23, 59, 59) * 1000 + 999_999, -1, -86_400_000_001]) {
      expect(written((out) => out.timestamp(micros))).toBe(formatTimestamp(micros));
    }
  });

  it('writes every latin-1 byte as jsonText writes the character: DEL and C1 escaped too', () => {
    const bytes = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1));
    const text = written((out) => out.latin1String(bytes, 0, bytes.length));
    expect(text).toBe(jsonText(bytes.toString('latin1')));
    expect(JSON.parse(text)).toBe(bytes.toString('latin1'));
    expect(text).toContain('~\\u007f\\u0080');
    expect(/[\u007f-\u009f]/.test(text)).toBe(false);
  });
});

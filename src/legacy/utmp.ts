// Reads glibc utmp-format files (utmp, wtmp, btmp): the x86_64 layout (384-byte records, 32-bit
// times) and the 64-bit-time layout of aarch64 and friends (400 bytes), given or detected. User,
// line and host need not end in NUL when they fill their field. Nothing in the bytes can make it
// throw: a trailing partial record and records of unknown type are counted and skipped.

export type UtmpLayout = 'x86_64' | 'time64';

export const recordSize: Record<UtmpLayout, number> = { x86_64: 384, time64: 400 };

export const UtType = {
  EMPTY: 0,
  RUN_LVL: 1,
  BOOT_TIME: 2,
  NEW_TIME: 3,
  OLD_TIME: 4,
  INIT_PROCESS: 5,
  LOGIN_PROCESS: 6,
  USER_PROCESS: 7,
  DEAD_PROCESS: 8,
  ACCOUNTING: 9,
} as const;

export interface UtmpEntry {
  /** Position in the file, in records. */
  index: number;
  type: number;
  pid: number;
  line: string;
  id: string;
  user: string;
  host: string;
  /** Seconds and microseconds since the epoch. */
  sec: number;
  usec: number;
  /** ut_addr_v6 as text: IPv4 when only the first word is set, else IPv6; null when all zero. */
  addr: string | null;
}

export interface UtmpRead {
  entries: UtmpEntry[];
  layout: UtmpLayout;
  /** Bytes after the last whole record. */
  trailingBytes: number;
  /** Records whose type is not one of glibc's. */
  unknownTypes: number;
}

/** Where a layout keeps each field (bytes from the start of a record). */
export interface Offsets {
  type: number;
  pid: number;
  line: number;
  id: number;
  user: number;
  host: number;
  sec: number;
  usec: number;
  secBytes: 4 | 8;
  addr: number;
}

export const offsets: Readonly<Record<UtmpLayout, Readonly<Offsets>>> = {
  // glibc <bits/utmp.h> on x86_64: ut_tv as two int32 (__WORDSIZE_TIME64_COMPAT32).
  x86_64: { type: 0, pid: 4, line: 8, id: 40, user: 44, host: 76, sec: 340, usec: 344, secBytes: 4, addr: 348 },
  // 64-bit time_t and suseconds_t, ut_session as int64: the fields after ut_exit move by 4 and
  // the time is two int64 (aarch64 glibc).
  time64: { type: 0, pid: 4, line: 8, id: 40, user: 44, host: 76, sec: 344, usec: 352, secBytes: 8, addr: 360 },
};

/** Where a text field ends: at its first NUL, or where the field ends when it fills it. */
export function fieldEnd(data: Uint8Array, start: number, length: number): number {
  const limit = start + length;
  let end = start;
  while (end < limit && data[end] !== 0) end++;
  return end;
}

function text(data: Buffer, start: number, length: number): string {
  const end = fieldEnd(data, start, length);
  return end === start ? '' : data.toString('latin1', start, end);
}

/** ut_addr_v6 at `at` as text (see UtmpEntry.addr). */
export function address(view: DataView, at: number): string | null {
  const w0 = view.getUint32(at, false);
  const w1 = view.getUint32(at + 4, false);
  const w2 = view.getUint32(at + 8, false);
  const w3 = view.getUint32(at + 12, false);
  if ((w1 | w2 | w3) === 0) return w0 === 0 ? null : `${w0 >>> 24}.${(w0 >>> 16) & 255}.${(w0 >>> 8) & 255}.${w0 & 255}`;
  const groups: string[] = [];
  for (const w of [w0, w1, w2, w3]) groups.push((w >>> 16).toString(16), (w & 0xffff).toString(16));
  return compressIpv6(groups);
}

/** RFC 5952 text: the longest run (of two or more) of zero groups becomes `::`. */
function compressIpv6(groups: string[]): string {
  let best = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength && j - i >= 2) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
}

/**
 * Guesses the layout: the one whose size divides the file and whose records look sane.
 * `data` may be the start of a larger file of `fileLength` bytes.
 */
export function detectLayout(data: Uint8Array, fileLength = data.length): UtmpLayout {
  const score = (layout: UtmpLayout) => {
    const size = recordSize[layout];
    const o = offsets[layout];
    const count = Math.floor(data.length / size);
    if (count === 0) return -1;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let sane = 0;
    const sample = Math.min(count, 64);
    for (let k = 0; k < sample; k++) {
      const base = Math.floor((k * count) / sample) * size;
      const type = view.getInt16(base + o.type, true);
      const sec = o.secBytes === 4 ? view.getInt32(base + o.sec, true) : Number(view.getBigInt64(base + o.sec, true));
      const usec = o.secBytes === 4 ? view.getInt32(base + o.usec, true) : Number(view.getBigInt64(base + o.usec, true));
      if (type >= 0 && type <= 9 && sec >= 0 && sec < 2 ** 36 && usec >= 0 && usec < 1_000_000) sane++;
    }
    return sane / sample + (fileLength % size === 0 ? 0.5 : 0);
  };
  return score('time64') > score('x86_64') ? 'time64' : 'x86_64';
}

/** Hands each entry to `onEntry` (entries point into `bytes`); returns the counts of bytes and records skipped. */
export function forEachUtmp(
  bytes: Uint8Array,
  layout: UtmpLayout,
  onEntry: (entry: UtmpEntry) => void,
): { trailingBytes: number; unknownTypes: number } {
  const data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = recordSize[layout];
  const o = offsets[layout];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = Math.floor(data.length / size);
  let unknownTypes = 0;
  for (let index = 0; index < count; index++) {
    const base = index * size;
    const type = view.getInt16(base + o.type, true);
    if (type < 0 || type > 9) {
      unknownTypes++;
      continue;
    }
    const sec = o.secBytes === 4 ? view.getInt32(base + o.sec, true) : Number(view.getBigInt64(base + o.sec, true));
    const usec = o.secBytes === 4 ? view.getInt32(base + o.usec, true) : Number(view.getBigInt64(base + o.usec, true));
    onEntry({
      index,
      type,
      pid: view.getInt32(base + o.pid, true),
      line: text(data, base + o.line, 32),
      id: text(data, base + o.id, 4),
      user: text(data, base + o.user, 32),
      host: text(data, base + o.host, 256),
      sec,
      usec,
      addr: address(view, base + o.addr),
    });
  }
  return { trailingBytes: data.length - count * size, unknownTypes };
}

export function readUtmp(data: Uint8Array, layout: UtmpLayout = detectLayout(data)): UtmpRead {
  const entries: UtmpEntry[] = [];
  const counts = forEachUtmp(data, layout, (entry) => entries.push(entry));
  return { entries, layout, ...counts };
}

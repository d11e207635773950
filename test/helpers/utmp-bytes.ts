// utmp-format records built in memory (x86_64 glibc layout, 384 bytes), for tests that need a
// small wtmp or btmp without utmpdump.
import { offsets } from '../../src/legacy/utmp.ts';

/** One record: type, pid, line, user, host and time in seconds. */
export function utmpEntry(type: number, pid: number, line: string, user: string, host: string, sec: number): Buffer {
  const o = offsets.x86_64;
  const b = Buffer.alloc(384);
  b.writeInt16LE(type, o.type);
  b.writeInt32LE(pid, o.pid);
  b.write(line, o.line, 'latin1');
  b.write(user, o.user, 'latin1');
  b.write(host, o.host, 'latin1');
  b.writeInt32LE(sec, o.sec);
  return b;
}

// wtmp (and btmp, utmp) entries as `logsphere/1` records. Ids are name-based (UUIDv5 of the host
// and the entry's own bytes), so importing a file twice, or a rotated copy that overlaps, gives
// the same records again and a deduplicating reader adds nothing. Pairing a DEAD_PROCESS with
// its login follows last(1): the open login of the same pid, else of the same line, within the
// same boot.
//
// wtmp files hold millions of entries, so records are written as bytes straight from the
// entries' fields (JsonBytes): user, line and host are latin-1 bytes in the file and are
// written as the JSON of those characters, as JSON.stringify of the decoded text would be.

import { JsonBytes } from '../record/json-bytes.ts';
import type { Micros } from '../record/time.ts';
import { schemaVersion, type RecordSource } from '../record/types.ts';
import { RecordNames, uuidFromSha1Hex } from './name-id.ts';
import { address, fieldEnd, offsets, recordSize, UtType, type UtmpLayout } from './utmp.ts';

export interface ImportOptions {
  host: string;
  source: RecordSource;
  layout: UtmpLayout;
}

interface Open {
  pid: number;
  line: string;
  /** Hex SHA-1 of the session id's name. */
  session: string;
  at: Micros;
  /** The login's fields as written after session_id, kept as latin-1 text: its close carries the same. */
  login: string;
}

const bytesOf = (text: string) => Buffer.from(text);
const head = bytesOf(`{"schema":"${schemaVersion}","event_id":"`);
const tsKey = bytesOf('","ts":"');
const sessionOpenKeys = bytesOf('"session_open","session_id":"');
const sessionCloseKeys = bytesOf('"session_close","session_id":');
const authFailureKeys = bytesOf('"auth_failure","session_id":null');
const userKey = bytesOf(',"user":');
const ttyKey = bytesOf(',"uid":null,"tty":');
const rhostKey = bytesOf(',"rhost":');
const serviceKey = bytesOf(',"ruser":null,"service":"wtmp","pid":');
const tail = bytesOf(',"pid_start":0');
const loginTimeKey = bytesOf(',"login_time":"');
const durationKey = bytesOf('","duration_s":');
const bootKeys = bytesOf('"boot","kernel":');
const bootTimeKey = bytesOf(',"boot_time":"');
const shutdownKeys = bytesOf('"shutdown"}\n');
const nullText = bytesOf('null');
const lineEnd = bytesOf('}\n');
const quoteLineEnd = bytesOf('"}\n');

/** Does the text field at `start` hold exactly `text` (ASCII)? */
function fieldIs(data: Uint8Array, start: number, length: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (data[start + i] !== text.charCodeAt(i)) return false;
  return text.length === length || data[start + text.length] === 0;
}

/** Turns the entries of a utmp-format file, in file order, into lines of the log handed to `sink`. */
export class WtmpImporter {
  /** Entries of types that carry no login, boot or shutdown (INIT_PROCESS, ACCOUNTING, …). */
  ignored = 0;
  /** Records whose type is not one of glibc's (skipped). */
  unknownTypes = 0;
  private readonly out: JsonBytes;
  private readonly names: RecordNames;
  private readonly size: number;
  private readonly o: (typeof offsets)[UtmpLayout];
  /** `,"host":…,"boot_id":"…","source":"…","event":` of the boot the entries belong to. */
  private origin: Buffer | null = null;
  private byPid = new Map<number, Open>();
  private byLine = new Map<string, Open>();

  constructor(
    private readonly options: ImportOptions,
    sink: (bytes: Buffer) => void,
  ) {
    this.size = recordSize[options.layout];
    this.o = offsets[options.layout];
    this.names = new RecordNames(options.host, this.size);
    this.out = new JsonBytes(sink);
  }

  /** Takes the whole records at the start of `data`; returns how many bytes were left over. */
  addRecords(data: Buffer): number {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const count = Math.floor(data.length / this.size);
    for (let i = 0; i < count; i++) this.addRecord(data, view, i * this.size);
    return data.length - count * this.size;
  }

  /** Hands over the lines not yet handed over. */
  finish(): void {
    this.out.flush();
  }

  private setOrigin(bootHex: string): void {
    const { host, source } = this.options;
    this.origin = bytesOf(`,"host":${JSON.stringify(host)},"boot_id":"${uuidFromSha1Hex(bootHex)}","source":"${source}","event":`);
    this.byPid = new Map();
    this.byLine = new Map();
  }

  /** `{"schema":…,"event_id":"…","ts":"…","host":…,"event":` */
  private writeHead(at: Micros): void {
    const { out } = this;
    out.raw(head);
    out.uuidV5FromSha1(this.names.hex('e'));
    out.raw(tsKey);
    out.timestamp(at);
    out.buf[out.pos++] = 0x22;
    out.raw(this.origin as Buffer);
  }

  /** `,"user":…,"pid_start":0` of the entry at `base`. */
  private writeLogin(data: Buffer, view: DataView, base: number): void {
    const { out, o } = this;
    out.raw(userKey);
    out.latin1String(data, base + o.user, fieldEnd(data, base + o.user, 32));
    out.raw(ttyKey);
    let line = base + o.line;
    const lineEnd = fieldEnd(data, line, 32);
    if (line === lineEnd) out.raw(nullText);
    else {
      if (fieldStartsWithDev(data, line, lineEnd)) line += 5;
      out.latin1String(data, line, lineEnd);
    }
    out.raw(rhostKey);
    const hostEnd = fieldEnd(data, base + o.host, 256);
    if (hostEnd > base + o.host) out.latin1String(data, base + o.host, hostEnd);
    else {
      const addr = address(view, base + o.addr);
      if (addr === null) out.raw(nullText);
      else {
        out.buf[out.pos++] = 0x22;
        out.ascii(addr);
        out.buf[out.pos++] = 0x22;
      }
    }
    out.raw(serviceKey);
    out.integer(Math.max(0, view.getInt32(base + o.pid, true)));
    out.raw(tail);
  }

  private addRecord(data: Buffer, view: DataView, base: number): void {
    const { o, out } = this;
    const type = view.getInt16(base + o.type, true);
    if (type < 0 || type > 9) {
      this.unknownTypes++;
      return;
    }
    const sec = o.secBytes === 4 ? view.getInt32(base + o.sec, true) : Number(view.getBigInt64(base + o.sec, true));
    const usec = o.secBytes === 4 ? view.getInt32(base + o.usec, true) : Number(view.getBigInt64(base + o.usec, true));
    const at = sec * 1_000_000 + usec;
    const pid = view.getInt32(base + o.pid, true);
    const onTilde = fieldIs(data, base + o.line, 32, '~');
    const { source } = this.options;
    // Room for the longest line: three text fields escaped, ids, times and keys.
    out.reserve(JsonBytes.latin1StringBound(32 + 32 + 256) * 2 + 1024);
    this.names.load(data, base);

    if (type === UtType.BOOT_TIME || (onTilde && fieldIs(data, base + o.user, 32, 'reboot'))) {
      // A boot is named by its own entry; what comes before the first boot of a file belongs to
      // a boot named after that file's first entry.
      this.setOrigin(this.names.hex('b'));
      this.writeHead(at);
      out.raw(bootKeys);
      out.latin1String(data, base + o.host, fieldEnd(data, base + o.host, 256));
      out.raw(bootTimeKey);
      out.timestamp(at);
      out.raw(quoteLineEnd);
      return;
    }
    if (this.origin === null) this.setOrigin(this.names.hex('p'));

    const level = pid & 0xff; // runlevel rows keep the level in ut_pid: '0' halt, '6' reboot
    if (onTilde && (fieldIs(data, base + o.user, 32, 'shutdown') || (type === UtType.RUN_LVL && fieldIs(data, base + o.user, 32, 'runlevel') && (level === 0x30 || level === 0x36)))) {
      this.writeHead(at);
      out.raw(shutdownKeys);
    } else if (source === 'btmp' && (type === UtType.LOGIN_PROCESS || type === UtType.USER_PROCESS)) {
      this.writeHead(at);
      out.raw(authFailureKeys);
      this.writeLogin(data, view, base);
      out.raw(lineEnd);
    } else if (type === UtType.USER_PROCESS) {
      const session = this.names.hex('s');
      this.writeHead(at);
      out.raw(sessionOpenKeys);
      out.uuidV5FromSha1(session);
      out.buf[out.pos++] = 0x22;
      const loginStart = out.pos;
      this.writeLogin(data, view, base);
      const open: Open = { pid, line: this.lineKey(data, base), session, at, login: out.latin1Slice(loginStart, out.pos) };
      out.raw(lineEnd);
      this.byPid.set(pid, open);
      this.byLine.set(open.line, open);
    } else if (type === UtType.DEAD_PROCESS && source !== 'utmp') {
      const line = this.lineKey(data, base);
      const open = this.byPid.get(pid) ?? (line === '' ? undefined : this.byLine.get(line));
      this.writeHead(at);
      out.raw(sessionCloseKeys);
      if (!open) {
        out.raw(nullText);
        this.writeLogin(data, view, base);
        out.raw(lineEnd);
        return;
      }
      this.byPid.delete(open.pid);
      if (this.byLine.get(open.line) === open) this.byLine.delete(open.line);
      out.buf[out.pos++] = 0x22;
      out.uuidV5FromSha1(open.session);
      out.buf[out.pos++] = 0x22;
      out.ascii(open.login);
      out.raw(loginTimeKey);
      out.timestamp(open.at);
      out.raw(durationKey);
      out.seconds(Math.max(0, at - open.at));
      out.raw(lineEnd);
    } else {
      this.ignored++;
    }
  }

  private lineKey(data: Buffer, base: number): string {
    const start = base + this.o.line;
    const end = fieldEnd(data, start, 32);
    return end === start ? '' : data.toString('latin1', start, end);
  }
}

/** Does the line field start with "/dev/" (stripped from tty, as PAM_TTY may carry it)? */
function fieldStartsWithDev(data: Uint8Array, start: number, end: number): boolean {
  return end - start >= 5 && data[start] === 0x2f && data[start + 1] === 0x64 && data[start + 2] === 0x65 && data[start + 3] === 0x76 && data[start + 4] === 0x2f;
}

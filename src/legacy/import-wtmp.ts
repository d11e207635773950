// wtmp (and btmp, utmp) entries as `logsphere/1` records. Ids are name-based (UUIDv5 of the host
// and the entry's own bytes), so importing a file twice, or a rotated copy that overlaps, gives
// the same records again and a deduplicating reader adds nothing. Pairing a DEAD_PROCESS with
// its login follows last(1): the open login of the same pid, else of the same line, within the
// same boot; and as last(1) does, a login still open on a line ends when the next login on that
// line begins (hosts without utmp write no logout rows).
//
// wtmp files hold millions of entries, so records are written as bytes straight from the
// entries' fields (JsonBytes): user, line and host are latin-1 bytes in the file and are
// written as the JSON of those characters, as JSON.stringify of the decoded text would be.

import { JsonBytes, latin1Slice } from '../record/json-bytes.ts';
import type { Micros } from '../record/time.ts';
import { schemaVersion, type RecordSource } from '../record/types.ts';
import { RecordNames, uuidV5 } from '../record/name-ids.ts';
import { address, fieldEnd, offsets, recordSize, UtType, type Offsets, type UtmpLayout } from './utmp.ts';

export interface ImportOptions {
  host: string;
  source: RecordSource;
  layout: UtmpLayout;
}

interface Open {
  pid: number;
  line: string;
  /** The session id: 36 bytes of `ids` from `sessionAt`. */
  ids: Buffer;
  sessionAt: number;
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
const serviceKeyOf = (source: RecordSource) => bytesOf(`,"ruser":null,"service":${JSON.stringify(source)},"pid":`);
const tail = bytesOf(',"pid_start":0');
const loginTimeKey = bytesOf(',"login_time":"');
const durationKey = bytesOf('","duration_s":');
const bootKeys = bytesOf('"boot","kernel":');
const bootTimeKey = bytesOf(',"boot_time":"');
const shutdownKeys = bytesOf('"shutdown"}\n');
const nullText = bytesOf('null');
const lineEnd = bytesOf('}\n');
const quoteLineEnd = bytesOf('"}\n');

/** Room for the longest line: user, line and host escaped twice (a close), ids, times and keys. */
const longestLine = JsonBytes.latin1StringBound(32 + 32 + 256) * 2 + 1024;

/** Does the text field at `start` begin with `text` (ASCII)? */
function fieldStartsWith(data: Uint8Array, start: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (data[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** What an entry becomes. */
export const Kind = { unknown: 0, ignored: 1, boot: 2, shutdown: 3, failure: 4, open: 5, close: 6 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/**
 * Classifies the entry at `base` as the importer treats it (the name worker uses the same rules).
 * System rows are told as util-linux last tells them: on a line that starts with `~` (init and
 * systemd write `~`, sysvinit's halt and shutdown write `~~`), a user that starts with `shutdown`,
 * `reboot` or `runlevel` makes the row a shutdown, a boot or a runlevel change whatever its type;
 * a runlevel change to 0 (halt) or 6 (reboot), its level in the low byte of ut_pid, is a shutdown.
 */
export function classify(data: Buffer, view: DataView, base: number, o: Offsets, source: RecordSource): Kind {
  const type = view.getInt16(base + o.type, true);
  if (type < 0 || type > 9) return Kind.unknown;
  if (data[base + o.line] === 0x7e) {
    if (fieldStartsWith(data, base + o.user, 'shutdown')) return Kind.shutdown;
    if (fieldStartsWith(data, base + o.user, 'reboot')) return Kind.boot;
    if (type === UtType.RUN_LVL || fieldStartsWith(data, base + o.user, 'runlevel')) {
      const level = view.getInt32(base + o.pid, true) & 0xff;
      return level === 0x30 || level === 0x36 ? Kind.shutdown : Kind.ignored;
    }
  }
  if (type === UtType.BOOT_TIME) return Kind.boot;
  if (source === 'btmp' && (type === UtType.LOGIN_PROCESS || type === UtType.USER_PROCESS)) return Kind.failure;
  if (type === UtType.USER_PROCESS) return Kind.open;
  if (type === UtType.DEAD_PROCESS && source !== 'utmp') return Kind.close;
  return Kind.ignored;
}

/**
 * The names an entry's ids are made from, in the order the importer takes them: `p` (the boot
 * before the file's first boot, on the first entry when it is not a boot), `b` (a boot), `s` (a
 * session), `e` (the record's event).
 */
export function namesOf(kind: Kind, first: boolean): string {
  if (kind === Kind.unknown) return '';
  const p = first && kind !== Kind.boot ? 'p' : '';
  if (kind === Kind.ignored) return p;
  return `${p}${kind === Kind.boot ? 'b' : kind === Kind.open ? 's' : ''}e`;
}

/** Where nameIds is in a file: whether the first entry of a known type is still to come. */
export interface NamingState {
  first: boolean;
}

/**
 * The ids of the entries in `data` (whole records only), 36 ASCII characters each, in the order
 * namesOf gives: what the importer takes, whether made on its own thread or by the name worker.
 */
export function nameIds(data: Buffer, layout: UtmpLayout, source: RecordSource, names: RecordNames, state: NamingState): Buffer {
  const size = recordSize[layout];
  const o = offsets[layout];
  const count = Math.floor(data.length / size);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const ids = Buffer.from(new ArrayBuffer(count * 3 * 36)); // transferable; three names at most
  let at = 0;
  for (let base = 0; base + size <= data.length; base += size) {
    const kind = classify(data, view, base, o, source);
    const wanted = namesOf(kind, state.first);
    if (kind !== Kind.unknown) state.first = false;
    if (wanted === '') continue;
    names.load(data, base);
    for (let i = 0; i < wanted.length; i++, at += 36) JsonBytes.uuidV5FromSha1(names.hex(wanted.charAt(i)), ids, at);
  }
  return ids.subarray(0, at);
}

/** Turns the entries of a utmp-format file, in file order, into lines of the log handed to `sink`. */
export class WtmpImporter {
  /** Entries of types that carry no login, boot or shutdown (INIT_PROCESS, ACCOUNTING, …). */
  ignored = 0;
  /** Records whose type is not one of glibc's (skipped). */
  unknownTypes = 0;
  private readonly out: JsonBytes;
  private readonly names: RecordNames;
  /** `,"ruser":null,"service":"…","pid":`: the file's kind is the service (wtmp, btmp, utmp). */
  private readonly serviceKey: Buffer;
  private readonly size: number;
  private readonly o: (typeof offsets)[UtmpLayout];
  /** `,"host":…,"boot_id":"…","source":"…","event":` of the boot the entries belong to. */
  private origin: Buffer | null = null;
  private byPid = new Map<number, Open>();
  private byLine = new Map<string, Open>();
  /** The ids of the records being added (nameIds) and where the next one starts. */
  private ids: Buffer = Buffer.alloc(0);
  private idAt = 0;
  private readonly naming: NamingState = { first: true };

  constructor(
    private readonly options: ImportOptions,
    sink: (bytes: Buffer) => void,
  ) {
    this.size = recordSize[options.layout];
    this.o = offsets[options.layout];
    this.names = new RecordNames(options.host, this.size);
    this.out = new JsonBytes(sink);
    this.serviceKey = serviceKeyOf(options.source);
  }

  /**
   * Takes the whole records at the start of `data`; returns how many bytes were left over.
   * `ids` are their ids when the name worker made them (nameIds); else they are made here.
   */
  addRecords(data: Buffer, ids?: Buffer): number {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const count = Math.floor(data.length / this.size);
    this.ids = ids ?? nameIds(data, this.options.layout, this.options.source, this.names, this.naming);
    this.idAt = 0;
    for (let i = 0; i < count; i++) this.addRecord(data, view, i * this.size);
    return data.length - count * this.size;
  }

  /** Where the next id of the current record starts in `this.ids` (see namesOf for the order). */
  private nextId(): number {
    this.idAt += 36;
    return this.idAt - 36;
  }

  /** Hands over the lines not yet handed over. */
  finish(): void {
    this.out.flush();
  }

  private setOrigin(idAt: number): void {
    const { host, source } = this.options;
    const bootId = this.ids.toString('latin1', idAt, idAt + 36);
    this.origin = bytesOf(`,"host":${JSON.stringify(host)},"boot_id":"${bootId}","source":"${source}","event":`);
    this.byPid = new Map();
    this.byLine = new Map();
  }

  /** `{"schema":…,"event_id":"…","ts":"…","host":…,"event":`; the event id is the entry's next id, or `eventId`. */
  private writeHead(at: Micros, eventId?: string): void {
    const { out } = this;
    out.raw(head);
    if (eventId === undefined) out.copy(this.ids, this.nextId(), 36);
    else out.ascii(eventId);
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
    const lineStop = fieldEnd(data, line, 32);
    if (line === lineStop) out.raw(nullText);
    else {
      if (fieldStartsWithDev(data, line, lineStop)) line += 5;
      out.latin1String(data, line, lineStop);
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
    out.raw(this.serviceKey);
    out.integer(Math.max(0, view.getInt32(base + o.pid, true)));
    out.raw(tail);
  }

  private addRecord(data: Buffer, view: DataView, base: number): void {
    const { o, out } = this;
    const { source } = this.options;
    const kind = classify(data, view, base, o, source);
    if (kind === Kind.unknown) {
      this.unknownTypes++;
      return;
    }
    const sec = o.secBytes === 4 ? view.getInt32(base + o.sec, true) : Number(view.getBigInt64(base + o.sec, true));
    const usec = o.secBytes === 4 ? view.getInt32(base + o.usec, true) : Number(view.getBigInt64(base + o.usec, true));
    const at = sec * 1_000_000 + usec;
    const pid = view.getInt32(base + o.pid, true);
    out.reserve(longestLine);

    if (kind === Kind.boot) {
      // A boot is named by its own entry; what comes before the first boot of a file belongs to
      // a boot named after that file's first entry.
      this.setOrigin(this.nextId());
      this.writeHead(at);
      out.raw(bootKeys);
      out.latin1String(data, base + o.host, fieldEnd(data, base + o.host, 256));
      out.raw(bootTimeKey);
      out.timestamp(at);
      out.raw(quoteLineEnd);
      return;
    }
    if (this.origin === null) this.setOrigin(this.nextId());

    if (kind === Kind.shutdown) {
      this.writeHead(at);
      out.raw(shutdownKeys);
    } else if (kind === Kind.failure) {
      this.writeHead(at);
      out.raw(authFailureKeys);
      this.writeLogin(data, view, base);
      out.raw(lineEnd);
    } else if (kind === Kind.open) {
      const line = this.lineKey(data, base);
      const reused = line === '' ? undefined : this.byLine.get(line);
      if (reused !== undefined) {
        this.writeClose(reused, at, this.reusedCloseId(reused));
        out.reserve(longestLine);
      }
      const sessionAt = this.nextId();
      this.writeHead(at);
      out.raw(sessionOpenKeys);
      out.copy(this.ids, sessionAt, 36);
      out.buf[out.pos++] = 0x22;
      const loginStart = out.pos;
      this.writeLogin(data, view, base);
      const open: Open = { pid, line, ids: this.ids, sessionAt, at, login: out.latin1Slice(loginStart, out.pos) };
      out.raw(lineEnd);
      this.byPid.set(pid, open);
      this.byLine.set(open.line, open);
    } else if (kind === Kind.close) {
      const line = this.lineKey(data, base);
      const open = this.byPid.get(pid) ?? (line === '' ? undefined : this.byLine.get(line));
      if (!open) {
        this.writeHead(at);
        out.raw(sessionCloseKeys);
        out.raw(nullText);
        this.writeLogin(data, view, base);
        out.raw(lineEnd);
        return;
      }
      this.writeClose(open, at);
    } else {
      this.ignored++;
    }
  }

  /** The close of `open` at `at`, with the entry's next id or `eventId`; `open` is no longer open. */
  private writeClose(open: Open, at: Micros, eventId?: string): void {
    const { out } = this;
    this.byPid.delete(open.pid);
    if (this.byLine.get(open.line) === open) this.byLine.delete(open.line);
    this.writeHead(at, eventId);
    out.raw(sessionCloseKeys);
    out.buf[out.pos++] = 0x22;
    out.copy(open.ids, open.sessionAt, 36);
    out.buf[out.pos++] = 0x22;
    out.latin1Text(open.login);
    out.raw(loginTimeKey);
    out.timestamp(open.at);
    out.raw(durationKey);
    out.seconds(Math.max(0, at - open.at));
    out.raw(lineEnd);
  }

  /**
   * The id of the close a reused line makes: no entry of the file names it, so it is named after
   * the session it ends (an import of the same file twice gives the same id again).
   */
  private reusedCloseId(open: Open): string {
    return uuidV5(`${open.ids.toString('latin1', open.sessionAt, open.sessionAt + 36)}\0line reused`);
  }

  private lineKey(data: Buffer, base: number): string {
    const start = base + this.o.line;
    const end = fieldEnd(data, start, 32);
    return end === start ? '' : latin1Slice(data, start, end);
  }
}

/** Does the line field start with "/dev/" (stripped from tty, as PAM_TTY may carry it)? */
function fieldStartsWithDev(data: Uint8Array, start: number, end: number): boolean {
  return end - start >= 5 && data[start] === 0x2f && data[start + 1] === 0x64 && data[start + 2] === 0x65 && data[start + 3] === 0x76 && data[start + 4] === 0x2f;
}

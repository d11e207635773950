// Name-based UUIDs (version 5, RFC 9562): the ids of imported records and of alerts. uuid's v5
// would do, but its build without node:crypto hashes in JavaScript, ten times slower on a
// million entries; node's SHA-1 is taken here, when first needed, so no other command loads
// node:crypto.

import type * as NodeCrypto from 'node:crypto';
import { builtin } from '../sys/builtin.ts';

let crypto: typeof NodeCrypto | undefined;

function sha1Hex(input: Uint8Array): string {
  crypto ??= builtin<typeof NodeCrypto>('node:crypto');
  // crypto.hash (Node >= 20.12) hashes in one call, without a Hash object; hex output spares a
  // Buffer per call. Together three times faster than createHash().digest().
  return crypto.hash ? crypto.hash('sha1', input, 'hex') : crypto.createHash('sha1').update(input).digest('hex');
}

/** The variant nibble: the top two bits of byte 8 set to 10. */
const variant = '89ab89ab89ab89ab';

/** A version-5 UUID from the hex SHA-1 of namespace and name. */
export function uuidFromSha1Hex(h: string): string {
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant[parseInt(h[16] as string, 16)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const namespaces = new Map<string, Buffer>();

function parseUuid(uuid: string): Buffer {
  let bytes = namespaces.get(uuid);
  if (!bytes) namespaces.set(uuid, (bytes = Buffer.from(uuid.replace(/-/g, ''), 'hex')));
  return bytes;
}

/** The namespace of LogSphere's name-based ids (imports). */
export const logsphereNamespace = '6f1c0b3e-5d1a-4c8e-9a57-3f0e6b2d9c41';

export function uuidV5(name: string | Uint8Array, namespace = logsphereNamespace): string {
  return uuidFromSha1Hex(sha1Hex(Buffer.concat([parseUuid(namespace), typeof name === 'string' ? Buffer.from(name) : name])));
}

/**
 * Ids named by a host, a kind (one ASCII character) and a fixed-size record: the UUIDv5 of
 * `host NUL kind record-bytes`. The name is assembled in one buffer kept for the whole import,
 * so a million records cost a million hashes and no allocation besides the id itself.
 */
export class RecordNames {
  private readonly name: Buffer;
  private readonly kindAt: number;

  constructor(host: string, recordSize: number, namespace = logsphereNamespace) {
    const prefix = Buffer.concat([parseUuid(namespace), Buffer.from(host), Buffer.from([0])]);
    this.kindAt = prefix.length;
    this.name = Buffer.alloc(prefix.length + 1 + recordSize);
    prefix.copy(this.name);
  }

  /** Takes the record at `data[offset …]` as the one the next ids name. */
  load(data: Buffer, offset: number): void {
    // A set() from a plain view: Buffer#copy validates its arguments at a cost that shows on
    // a million records.
    this.name.set(new Uint8Array(data.buffer, data.byteOffset + offset, this.name.length - this.kindAt - 1), this.kindAt + 1);
  }

  /** The hex SHA-1 that names `kind` for the record loaded last (uuidFromSha1Hex makes it an id). */
  hex(kind: string): string {
    this.name[this.kindAt] = kind.charCodeAt(0);
    return sha1Hex(this.name);
  }

}

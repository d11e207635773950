// Name-based UUIDs (version 5, RFC 9562) for imported records. uuid's v5 would do, but its
// build without node:crypto hashes in JavaScript, ten times slower on a million entries; node's
// SHA-1 is taken here, when an import first needs it, so no other command loads node:crypto.

import type * as NodeCrypto from 'node:crypto';

let crypto: typeof NodeCrypto | undefined;

const namespaces = new Map<string, Buffer>();

function parseUuid(uuid: string): Buffer {
  let bytes = namespaces.get(uuid);
  if (!bytes) namespaces.set(uuid, (bytes = Buffer.from(uuid.replace(/-/g, ''), 'hex')));
  return bytes;
}

const hex = (bytes: Buffer, from: number, to: number) => bytes.toString('hex', from, to);

/** The namespace of LogSphere's name-based ids (imports). */
export const logsphereNamespace = '6f1c0b3e-5d1a-4c8e-9a57-3f0e6b2d9c41';

export function uuidV5(name: string | Buffer, namespace = logsphereNamespace): string {
  crypto ??= process.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined;
  if (!crypto) throw new Error('Cannot hash names: node:crypto is not available (Node.js >= 20.16 needed for imports)');
  const input = Buffer.concat([parseUuid(namespace), typeof name === 'string' ? Buffer.from(name) : name]);
  // crypto.hash (Node >= 20.12) hashes in one call, without a Hash object: a third faster.
  const hash = crypto.hash ? (crypto.hash('sha1', input, 'buffer') as unknown as Buffer) : crypto.createHash('sha1').update(input).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  return `${hex(hash, 0, 4)}-${hex(hash, 4, 6)}-${hex(hash, 6, 8)}-${hex(hash, 8, 10)}-${hex(hash, 10, 16)}`;
}

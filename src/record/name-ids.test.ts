import { v5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { logsphereNamespace, RecordNames, uuidFromSha1Hex, uuidV5 } from './name-ids.ts';

describe('uuidV5()', () => {
  it.each(['', 'host\u0000boot', 'ä'.repeat(300)])('matches uuid v5 for %j', (name) => {
    expect(uuidV5(name, logsphereNamespace)).toBe(v5(name, logsphereNamespace));
    expect(uuidV5(Buffer.from(name), '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(v5(name, '6ba7b810-9dad-11d1-80b4-00c04fd430c8'));
  });
});

describe('RecordNames', () => {
  it('names a record by host NUL kind bytes, as uuid v5 does', () => {
    const data = Buffer.alloc(3 * 384);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const names = new RecordNames('wëb1', 384);
    for (const [kind, offset] of [['e', 0], ['s', 384], ['b', 768], ['e', 768]] as const) {
      const name = Buffer.concat([Buffer.from('wëb1\u0000'), Buffer.from(kind), data.subarray(offset, offset + 384)]);
      names.load(data, offset);
      expect(uuidFromSha1Hex(names.hex(kind))).toBe(v5(name, logsphereNamespace));
    }
  });
});

import { v5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { uuidV5 } from './name-id.ts';

describe('uuidV5()', () => {
  it.each(['', 'host\u0000boot', 'ä'.repeat(300)])('matches uuid v5 for %j', (name) => {
    const ns = '6f1c0b3e-5d1a-4c8e-9a57-3f0e6b2d9c41';
    expect(uuidV5(name, ns)).toBe(v5(name, ns));
  });
});

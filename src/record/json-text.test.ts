import { describe, expect, it } from 'vitest';
import { jsonText } from './json-text.ts';

describe('jsonText()', () => {
  it('escapes DEL, C1 controls and line separators on every call, and keeps the JSON value', () => {
    const values = ['a\u009bb', 'x\u007f', 'plain', '\u2028\u0085é😀', 'ÿ\u0080'];
    for (let round = 0; round < 3; round++) {
      for (const v of values) {
        const text = jsonText({ v });
        expect(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text), text).toBe(false);
        expect(JSON.parse(text)).toEqual({ v });
      }
    }
    expect(jsonText('é\u0085')).toBe('"é\\u0085"');
  });
});

import { describe, expect, it } from 'vitest';
import { cell, cut, escapeJson, escapeText } from './terminal.ts';

describe('escapeText()', () => {
  it.each([
    ['plain', 'alice', 'alice'],
    ['newline and tab', 'a\nb\tc', 'a\\nb\\tc'],
    ['ANSI colour', '\u001b[31mred', '\\e[31mred'],
    ['OSC title and bell', '\u001b]0;owned\u0007', '\\e]0;owned\\x07'],
    ['C1 CSI', '\u009b2J', '\\x9b2J'],
    ['bidi override', 'abc\u202etxt.exe', 'abc\\u202etxt.exe'],
    ['backslash itself', 'a\\nb', 'a\\\\nb'],
    ['UTF-8 text', 'Zoë 😀', 'Zoë 😀'],
  ])('%s', (_name, input, shown) => {
    expect(escapeText(input)).toBe(shown);
    expect(escapeText(input)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe('cut() and cell()', () => {
  it('cut long fields with a marker unless wide', () => {
    expect(cut('abcdefghij', 5)).toBe('abcd…');
    expect(cut('abc', 5)).toBe('abc');
    expect(cell('x'.repeat(300), 12, false)).toHaveLength(12);
    expect(cell('x'.repeat(300), 12, true)).toHaveLength(300);
    expect(cell(null, 5, false)).toBe('');
  });
});

describe('escapeJson()', () => {
  it('writes every unsafe character as a JSON escape, and the line parses to the same value', () => {
    const value = { user: 'evil\u001b[31m\u009b', rhost: 'abc\u202etxt.exe\u2066', tty: 'a\\b "q"' };
    const raw = JSON.stringify(value).replace('\\u001b', '\u001b');
    const shown = escapeJson(raw);
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(shown).toContain('abc\\u202etxt.exe\\u2066');
    expect(JSON.parse(shown)).toEqual(value);
  });
});

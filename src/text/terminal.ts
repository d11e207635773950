// Text from records on a terminal: control characters, escape sequences and bidi overrides are
// shown escaped, never written raw; long fields are cut with a marker unless the user asks for
// full width. Every command that writes record text to a terminal (tables, reports, follow's
// JSON lines) escapes it here.

/**
 * What must never reach a terminal raw: C0 and C1 controls, DEL, bidirectional controls, and the
 * Unicode line and paragraph separators.
 */
const unsafe = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const unsafeOrBackslash = new RegExp(`\\\\|${unsafe.source}`, 'g');
/** The same in a JSON text, but for the newline that may lay it out. */
const unsafeInJson = new RegExp(unsafe.source.replace('\\u0000-\\u001f', '\\u0000-\\u0009\\u000b-\\u001f'), 'g');

const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e', '\\': '\\\\' };

/** The text with every unsafe character written as an escape (`\n`, `\e`, `\x07`, `\u202e`). */
export function escapeText(text: string): string {
  return text.replace(unsafeOrBackslash, (ch) => {
    const known = named[ch];
    if (known) return known;
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A JSON text whose every unsafe character is written as a JSON `\uXXXX` escape: it parses to the
 * same value. In a valid JSON text such a character stands inside a string, where the escape
 * means the same, but for tabs and carriage returns between values, which become spaces.
 */
export function escapeJson(text: string): string {
  unsafeInJson.lastIndex = 0;
  if (!unsafeInJson.test(text)) return text;
  return text.replace(unsafeInJson, (ch) => (ch === '\t' || ch === '\r' ? ' ' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** A surrogate: only where one is does a string's length in characters differ from its `length`. */
const surrogate = /[\ud800-\udfff]/;

/** The length of `text` in characters (code points), without splitting it when it has no surrogate pair. */
export function charLength(text: string): number {
  return surrogate.test(text) ? [...text].length : text.length;
}

/** Cuts to `width` characters, ending with `…` when something was cut. */
export function cut(text: string, width: number): string {
  if (!surrogate.test(text)) return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** A field for a table cell: escaped, then cut unless `wide`. */
export function cell(value: string | null | undefined, width: number, wide: boolean): string {
  const text = escapeText(value ?? '');
  return wide ? text : cut(text, width);
}

export function pad(text: string, width: number): string {
  const length = charLength(text);
  return length >= width ? text : text + ' '.repeat(width - length);
}

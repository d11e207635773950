// JSON text as LogSphere writes it: JSON.stringify, with every character that could steer a
// terminal or a syslog relay (DEL, the C1 controls, bidirectional controls, the Unicode line
// separators) escaped as well (src/text/terminal.ts). It is the same JSON value, and no line of
// the log carries such a character raw.

import { escapeJson } from '../text/terminal.ts';

export function jsonText(value: unknown): string {
  return escapeJson(JSON.stringify(value));
}

/** The most bytes of UTF-8 jsonText writes for a string of `length` UTF-16 units: \u00XX, or 3 of UTF-8, a unit, and the quotes. */
export function jsonTextBound(length: number): number {
  return 6 * length + 2;
}

// JSON text as LogSphere writes it: JSON.stringify, with every character that could steer a
// terminal or a syslog relay (DEL, the C1 controls, bidirectional controls, the Unicode line
// separators) escaped as well (src/text/terminal.ts). It is the same JSON value, and no line of
// the log carries such a character raw.

import { escapeJson } from '../text/terminal.ts';

export function jsonText(value: unknown): string {
  return escapeJson(JSON.stringify(value));
}

// JSON output of the query commands: one array, one object per line, every character that could
// steer a terminal escaped (jsonText), the same for sessions, last, failed and their aliases.

import { jsonText } from '../../record/json-text.ts';

export function jsonArray(items: readonly unknown[]): string {
  return items.length === 0 ? '[]\n' : `[\n${items.map((i) => jsonText(i)).join(',\n')}\n]\n`;
}

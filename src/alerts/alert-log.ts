// alerts.jsonl in the state directory: every alert `logsphere watch` raised, one JSON line
// each, appended as it goes out; the report reads the alerts of its period from it.

import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { readInputText } from '../input/inputs.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import { alertSchema, type Alert } from './engine.ts';
import { jsonText } from '../record/json-text.ts';

export function alertLogPath(stateDir: string): string {
  return `${stateDir}/alerts.jsonl`;
}

/** Appends one alert (O_APPEND, no link followed; created 0640). */
export function appendAlert(path: string, alert: Alert): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
  try {
    writeSync(fd, `${jsonText(alert)}\n`);
  } finally {
    closeSync(fd);
  }
}

/** The alerts raised within [since, until]; lines that are not alerts are counted. */
export function readAlerts(path: string, since: Micros, until: Micros): { alerts: Alert[]; malformed: number } {
  const alerts: Alert[] = [];
  let malformed = 0;
  for (const line of readInputText({ path }).split('\n')) {
    if (line.trim() === '') continue;
    let a: Alert;
    try {
      a = JSON.parse(line) as Alert;
    } catch {
      malformed++;
      continue;
    }
    const at = typeof a?.ts === 'string' ? parseTimestamp(a.ts) : null;
    if (a?.schema !== alertSchema || at === null || typeof a.rule !== 'string' || typeof a.message !== 'string') {
      malformed++;
      continue;
    }
    if (at >= since && at <= until) alerts.push(a);
  }
  return { alerts, malformed };
}

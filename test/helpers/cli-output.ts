// What the query commands print, for tests that call them in-process: a CommandIO that keeps
// what they write, and the local times they show written another way (Intl, in the process's
// zone) than src/cli/format/time.ts, so that the tests hold in any TZ.
import type { CommandIO } from '../../src/cli/io.ts';

export interface CollectedIO {
  io: CommandIO;
  stdout(): string;
  stderr(): string;
}

export function collectingIO(env: Record<string, string | undefined> = {}): CollectedIO {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      env,
      stdout: (text) => void out.push(typeof text === 'string' ? text : Buffer.from(text).toString('utf8')),
      stderr: (text) => void err.push(text),
    },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

const parts = new Intl.DateTimeFormat('en-US', {
  weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

function local(micros: number): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const p of parts.formatToParts(new Date(micros / 1000))) fields[p.type] = p.value;
  return fields;
}

/** `Sat Nov 21 09:00`: weekday, month, day (space-padded), hours and minutes in local time. */
export function localShort(micros: number): string {
  const f = local(micros);
  return `${f['weekday']} ${f['month']} ${(f['day'] ?? '').padStart(2, ' ')} ${f['hour']}:${f['minute']}`;
}

/** `09:00` in local time. */
export function localClock(micros: number): string {
  const f = local(micros);
  return `${f['hour']}:${f['minute']}`;
}

/** Raw characters that could steer a terminal: C0 (newline aside), DEL, C1 and bidi controls. */
export const terminalControls = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const fullParts = new Intl.DateTimeFormat('en-US', {
  weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

/** `Sat Nov 21 09:00:05 2026`, ctime(3)'s form in local time. */
export function localFull(micros: number): string {
  const f: Record<string, string> = {};
  for (const p of fullParts.formatToParts(new Date(micros / 1000))) f[p.type] = p.value;
  return `${f['weekday']} ${f['month']} ${(f['day'] ?? '').padStart(2, ' ')} ${f['hour']}:${f['minute']}:${f['second']} ${f['year']}`;
}

// The files of one log: the live file (`sessions.jsonl`) and its rotated segments, in the order
// they were written. Segments are named by the writer's rotation (`sessions-20261121T101500Z.jsonl`,
// `-1`, `-2` … when several rotations fall in one second), or by logrotate in create mode: numbered
// (`sessions.jsonl.1`, `.2.gz`; higher is older) or with dateext (`sessions.jsonl-20261121`).
// Any of them may be compressed (`.gz`); while `logsphere rotate` compresses one, both the plain
// file and the finished `.gz` may exist for a moment: the plain one is read, the `.gz` skipped.

import { fs } from '../sys/fs.ts';

const { lstatSync, readdirSync } = fs;

export type SegmentScheme = 'live' | 'rotated' | 'numbered' | 'dated';

export interface Segment {
  name: string;
  path: string;
  scheme: SegmentScheme;
  compressed: boolean;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  /** Oldest first: when the segment stopped growing (ms), then `seq` within that. */
  order: number;
  seq: number;
}

/** `sessions.jsonl` → `sessions`. */
export function stemOf(logName: string): string {
  return logName.endsWith('.jsonl') ? logName.slice(0, -'.jsonl'.length) : logName;
}

function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** The name of a segment rotated at `at`: `sessions-YYYYMMDDTHHMMSSZ.jsonl`, `-N` added from the second in one second. */
export function rotatedName(logName: string, at: Date, seq = 0): string {
  return `${stemOf(logName)}-${stamp(at)}${seq > 0 ? `-${seq}` : ''}.jsonl`;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Parsed {
  scheme: SegmentScheme;
  compressed: boolean;
  /** Rotation time from the name (ms), when the name has one. */
  time: number | null;
  seq: number;
}

/** What a directory entry is to the log named `logName`; null when it is not one of its files. */
export function parseSegmentName(logName: string, name: string): Parsed | null {
  if (name === logName) return { scheme: 'live', compressed: false, time: null, seq: 0 };
  const stem = escapeRe(stemOf(logName));
  const base = escapeRe(logName);
  const ours = new RegExp(`^${stem}-(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})(\\d{2})Z(?:-(\\d+))?\\.jsonl(\\.gz)?$`).exec(name);
  if (ours) {
    const [y, mo, d, h, mi, s] = ours.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    return { scheme: 'rotated', compressed: ours[8] !== undefined, time: Date.UTC(y, mo - 1, d, h, mi, s), seq: Number(ours[7] ?? 0) };
  }
  const numbered = new RegExp(`^${base}\\.(\\d+)(\\.gz)?$`).exec(name);
  if (numbered) return { scheme: 'numbered', compressed: numbered[2] !== undefined, time: null, seq: -Number(numbered[1]) };
  const dated = new RegExp(`^${base}-([0-9][0-9A-Za-z_:-]*)(\\.gz)?$`).exec(name);
  if (dated) return { scheme: 'dated', compressed: dated[2] !== undefined, time: null, seq: 0 };
  return null;
}

/** Oldest first; the live file last. */
export function compareSegments(a: Segment, b: Segment): number {
  if (a.scheme === 'live' || b.scheme === 'live') return Number(a.scheme === 'live') - Number(b.scheme === 'live');
  return a.order - b.order || a.seq - b.seq || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * The live file and segments of the log `logName` in `dir`, oldest first, live last. Only regular
 * files (never followed links); a `.gz` whose plain file is still there is left out, and so is a
 * second name of a file already listed.
 */
export function listSegments(dir: string, logName: string): Segment[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const present = new Set(names);
  const seen = new Set<string>();
  const segments: Segment[] = [];
  // The live name first: a second name of the live file is the one left out.
  for (const name of present.has(logName) ? [logName, ...names.filter((n) => n !== logName)] : names) {
    const parsed = parseSegmentName(logName, name);
    if (parsed === null) continue;
    if (parsed.compressed && present.has(name.slice(0, -3))) continue;
    const path = `${dir}/${name}`;
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue; // gone meanwhile
    }
    if (!st.isFile()) continue;
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) continue;
    seen.add(id);
    segments.push({
      name,
      path,
      scheme: parsed.scheme,
      compressed: parsed.compressed,
      dev: st.dev,
      ino: st.ino,
      size: st.size,
      mtimeMs: st.mtimeMs,
      order: parsed.time ?? st.mtimeMs,
      seq: parsed.seq,
    });
  }
  return segments.sort(compareSegments);
}

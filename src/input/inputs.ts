// Where commands read records from: files, directories (their current `*.jsonl` and rotated
// `*.jsonl.gz`, oldest first) and `-` for standard input. The default is the log directory.

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { SessionRecord } from '../record/types.ts';
import { parseLines } from './parse-lines.ts';

export interface InputFile {
  /** A path, or `-` for standard input. */
  path: string;
}

/** Thrown when an input cannot be read at all (missing, permission); the CLI exits 1. */
export class InputError extends Error {
  override name = 'InputError';
  readonly path: string;
  readonly code: string | undefined;
  constructor(path: string, code: string | undefined, detail: string) {
    super(`Cannot read ${path}: ${detail}`);
    this.path = path;
    this.code = code;
  }
}

const logName = /\.jsonl(\.gz)?$/;

function describe(error: unknown): { code: string | undefined; detail: string } {
  const code = (error as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') return { code, detail: `permission denied (${code})` };
  if (code === 'ENOENT') return { code, detail: 'no such file or directory' };
  return { code, detail: code ?? String(error) };
}

/** Expands the given paths to the files to read, in reading order. */
export function expandInputs(paths: readonly string[]): InputFile[] {
  const files: InputFile[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push({ path });
      continue;
    }
    let st;
    try {
      st = statSync(path);
    } catch (error) {
      const { code, detail } = describe(error);
      throw new InputError(path, code, detail);
    }
    if (!st.isDirectory()) {
      files.push({ path });
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(path).filter((n) => logName.test(n) && !n.startsWith('.'));
    } catch (error) {
      const { code, detail } = describe(error);
      throw new InputError(path, code, detail);
    }
    // Oldest first: rotated segments by modification time, then name; the live file last.
    const dated = names.map((name) => {
      const file = `${path.replace(/\/+$/, '')}/${name}`;
      let mtime = 0;
      try {
        mtime = statSync(file).mtimeMs;
      } catch {
        // vanished: reading it will say so
      }
      return { file, name, mtime, live: name === 'sessions.jsonl' };
    });
    dated.sort((a, b) => Number(a.live) - Number(b.live) || a.mtime - b.mtime || (a.name < b.name ? -1 : 1));
    for (const d of dated) files.push({ path: d.file });
  }
  return files;
}

function readAll(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const chunk = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/** The text of one input, gunzipped when it is a `.gz` file. */
export function readInputText(file: InputFile): string {
  let data: Buffer;
  if (file.path === '-') {
    data = readAll(0);
  } else {
    let fd: number;
    try {
      fd = openSync(file.path, 'r');
    } catch (error) {
      const { code, detail } = describe(error);
      throw new InputError(file.path, code, detail);
    }
    try {
      data = readAll(fd);
    } finally {
      closeSync(fd);
    }
  }
  if (file.path.endsWith('.gz')) {
    try {
      data = gunzipSync(data);
    } catch (error) {
      throw new InputError(file.path, undefined, `not a readable gzip file (${(error as Error).message})`);
    }
  }
  return data.toString('utf8');
}

export interface ReadResult {
  records: SessionRecord[];
  /** Malformed lines per input, for one warning each. */
  malformed: Array<{ path: string; count: number }>;
}

export function readRecords(paths: readonly string[]): ReadResult {
  const records: SessionRecord[] = [];
  const malformed: ReadResult['malformed'] = [];
  for (const file of expandInputs(paths)) {
    const { malformed: count } = parseLines(readInputText(file), records);
    if (count > 0) malformed.push({ path: file.path === '-' ? 'standard input' : file.path, count });
  }
  return { records, malformed };
}

export function malformedWarnings(result: ReadResult): string[] {
  return result.malformed.map((m) => `skipped ${m.count} malformed line${m.count === 1 ? '' : 's'} in ${m.path}`);
}

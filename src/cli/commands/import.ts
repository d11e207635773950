// `logsphere import wtmp|btmp FILE...`: legacy accounting files as `logsphere/1` records, on
// standard output or appended to --output.

import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { openInput, readInputText } from '../../input/inputs.ts';
import { parseArgs } from 'node:util';
import { WtmpImporter } from '../../legacy/import-wtmp.ts';
import { V2Importer } from '../../legacy/import-v2.ts';
import { knownZone } from '../../legacy/zoned-time.ts';
import type { SessionRecord } from '../../record/types.ts';
import { detectLayout, recordSize, type UtmpLayout } from '../../legacy/utmp.ts';
import { toLine } from '../../record/build.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';

export const importUsage = `Usage: logsphere import wtmp|btmp|utmp|logsphere-v2 FILE... [OPTIONS]

Reads glibc accounting files and writes their logins, logouts, boots and shutdowns (wtmp) or
failed logins (btmp), or the sessions open in a utmp file (utmp), as logsphere/1 records; or
the JSONL of the older Python LogSphere tracker (logsphere-v2), keeping its session ids. Ids are derived from the host and each entry's
bytes: importing the same file twice, or overlapping rotated copies, yields the same records.

Options:
      --host HOST       the host the file comes from (default: this host)
      --output PATH     append the records to PATH instead of standard output
      --layout L        x86_64 (384-byte records) or time64 (400 bytes); default: detected
      --tz ZONE         logsphere-v2: the zone its local times are in (default: this host's)
  -h, --help            show this help
`;

export interface ImportOptions {
  kind: 'wtmp' | 'btmp' | 'utmp' | 'logsphere-v2';
  zone: string | null;
  files: string[];
  host: string | null;
  output: string | null;
  layout: UtmpLayout | null;
}

export function parseImportArgs(args: string[]): ImportOptions | 'help' {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      output: { type: 'string' },
      layout: { type: 'string' },
      tz: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const [kind, ...files] = positionals;
  if (kind !== 'wtmp' && kind !== 'btmp' && kind !== 'utmp' && kind !== 'logsphere-v2') {
    throw new UsageError(kind === undefined ? 'import: which format? wtmp, btmp, utmp or logsphere-v2' : `import: ${JSON.stringify(kind)} is not a format this release reads (wtmp, btmp, utmp, logsphere-v2)`);
  }
  if (values.tz !== undefined && !knownZone(values.tz)) throw new UsageError(`--tz: unknown time zone ${JSON.stringify(values.tz)}`);
  if (files.length === 0) throw new UsageError(`import ${kind}: no FILE given`);
  const layout = values.layout ?? null;
  if (layout !== null && layout !== 'x86_64' && layout !== 'time64') throw new UsageError(`--layout: expected x86_64 or time64, got ${JSON.stringify(layout)}`);
  return { kind, files, host: values.host ?? null, output: values.output ?? null, layout, zone: values.tz ?? null };
}

/** Imports a utmp-format file read a few thousand records at a time (wtmp files grow to gigabytes). */
function importUtmpFile(file: string, options: ImportOptions, host: string, sink: (bytes: Buffer) => void) {
  const fd = openInput(file);
  try {
    const length = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(length, 400 * 256));
    readSync(fd, head, 0, head.length, 0);
    const layout = options.layout ?? detectLayout(head, length);
    const importer = new WtmpImporter({ host, source: options.kind as 'wtmp' | 'btmp' | 'utmp', layout }, sink);
    const chunk = Buffer.alloc(recordSize[layout] * 4096);
    let trailingBytes = 0;
    for (let position = 0; position < length; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, length - position), position);
      if (n === 0) break;
      position += n;
      trailingBytes = importer.addRecords(chunk.subarray(0, n)); // only the last piece can end inside a record
    }
    importer.finish();
    return { unknownTypes: importer.unknownTypes, trailingBytes };
  } finally {
    closeSync(fd);
  }
}

export function runImport(options: ImportOptions, localHostname: string, io: CommandIO): number {
  const host = options.host ?? localHostname;
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = constants;
  const fd = options.output === null ? null : openSync(options.output, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o640);
  const write = (bytes: Buffer) => {
    if (fd === null) io.stdout(bytes);
    else for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
  };
  try {
    for (const file of options.files) {
      if (options.kind === 'logsphere-v2') {
        const zone = options.zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
        const lines: string[] = [];
        const importer = new V2Importer({ host, zone }, (record: SessionRecord) => lines.push(toLine(record)));
        for (const line of readInputText({ path: file }).split('\n')) importer.addLine(line);
        if (lines.length > 0) write(Buffer.from(lines.join('')));
        if (importer.malformed > 0) io.stderr(`logsphere: skipped ${importer.malformed} malformed line${importer.malformed === 1 ? '' : 's'} in ${file}\n`);
        continue;
      }
      const read = importUtmpFile(file, options, host, write);
      if (read.trailingBytes > 0) io.stderr(`logsphere: skipped a partial record of ${read.trailingBytes} bytes at the end of ${file}\n`);
      if (read.unknownTypes > 0) io.stderr(`logsphere: skipped ${read.unknownTypes} records of unknown type in ${file}\n`);
    }
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return 0;
}

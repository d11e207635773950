// `logsphere import wtmp|btmp|utmp|authlog|logsphere-v2 FILE...`: legacy accounting files and
// logs as `logsphere/1` records, on standard output or appended to --output.

import { parseCommandArgs } from '../args.ts';
import { importFiles, type ImportRequest } from '../../legacy/import-runner.ts';
import { knownZone } from '../../time/zoned-time.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { defineCommand } from '../command.ts';
import { kernelHostname } from '../../sys/host.ts';

export const importUsage = `Usage: logsphere import wtmp|btmp|utmp|authlog|logsphere-v2 FILE... [OPTIONS]

Reads glibc accounting files and writes their logins, logouts, boots and shutdowns (wtmp) or
failed logins (btmp), or the sessions open in a utmp file (utmp), as logsphere/1 records; sshd's
failed logins from auth.log or syslog files (authlog: "Failed password", "Failed publickey",
"Invalid user", "maximum authentication attempts exceeded"; .gz files too); or the JSONL of the
older Python LogSphere tracker (logsphere-v2), keeping its session ids. Ids are derived from the
host and each entry: importing the same file twice, or overlapping rotated copies, yields the
same records. Without FILE, wtmp, btmp and utmp read /var/log/wtmp, /var/log/btmp and /run/utmp.

Options:
      --host HOST       the host the file comes from (default: this host; authlog: the host
                        each line names)
      --output PATH     append the records to PATH instead of standard output
      --layout L        x86_64 (384-byte records) or time64 (400 bytes); default: detected
      --tz ZONE         logsphere-v2, authlog: the zone local times are in (default: this host's)
      --year YYYY       authlog: the year of "Mon DD HH:MM:SS" times (default: inferred from
                        the file's modification time, as the latest year not after it)
  -h, --help            show this help
`;

export interface ImportOptions extends Omit<ImportRequest, 'host'> {
  /** The host the files come from; null: this host. */
  host: string | null;
}

/** What `import wtmp|btmp|utmp` reads without a FILE: the system's own files. */
const defaultFiles: Partial<Record<ImportOptions['kind'], string>> = { wtmp: '/var/log/wtmp', btmp: '/var/log/btmp', utmp: '/run/utmp' };

export function parseImportArgs(args: string[]): ImportOptions | 'help' {
  const { values, positionals } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      output: { type: 'string' },
      layout: { type: 'string' },
      tz: { type: 'string' },
      year: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const [kind, ...files] = positionals;
  if (kind !== 'wtmp' && kind !== 'btmp' && kind !== 'utmp' && kind !== 'authlog' && kind !== 'logsphere-v2') {
    throw new UsageError(kind === undefined ? 'import: which format? wtmp, btmp, utmp, authlog or logsphere-v2' : `import: ${JSON.stringify(kind)} is not a format this release reads (wtmp, btmp, utmp, authlog, logsphere-v2)`);
  }
  let year: number | null = null;
  if (values.year !== undefined) {
    year = Number(values.year);
    if (!/^\d{4}$/.test(values.year) || year < 1970) throw new UsageError(`--year: expected a year such as 2026, got ${JSON.stringify(values.year)}`);
  }
  if (values.tz !== undefined && !knownZone(values.tz)) throw new UsageError(`--tz: unknown time zone ${JSON.stringify(values.tz)}`);
  if (files.length === 0) {
    const system = defaultFiles[kind];
    if (system === undefined) throw new UsageError(`import ${kind}: no FILE given`);
    files.push(system);
  }
  const layout = values.layout ?? null;
  if (layout !== null && layout !== 'x86_64' && layout !== 'time64') throw new UsageError(`--layout: expected x86_64 or time64, got ${JSON.stringify(layout)}`);
  return { kind, files, host: values.host ?? null, output: values.output ?? null, layout, zone: values.tz ?? null, year };
}

export function runImport(options: ImportOptions, localHostname: string, io: CommandIO): number {
  importFiles({ ...options, host: options.host ?? localHostname }, { stdout: (bytes) => io.stdout(bytes), warn: (message) => io.stderr(`logsphere: ${message}\n`) });
  return 0;
}

export const importCommand = defineCommand({
  name: 'import',
  usage: importUsage,
  parse: (args) => parseImportArgs(args),
  run: async (options, { config, io }) => runImport(options, (await config()).hostname ?? kernelHostname(), io),
});

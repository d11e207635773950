// `logsphere import wtmp|btmp|utmp|authlog|logsphere-v2|wtmpdb|lastlog2 FILE...`: legacy
// accounting files, logs and databases as `logsphere/1` records, on standard output or appended
// to --output.

import { silentProgress, type Progress } from '../../text/progress.ts';
import { parseCommandArgs } from '../args.ts';
import type { DatabaseKind } from '../../legacy/import-databases.ts';
import { importFiles, type ImportRequest } from '../../legacy/import-runner.ts';
import { knownZone } from '../../time/zoned-time.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';
import { defineCommand } from '../command.ts';
import { kernelHostname } from '../../sys/host.ts';

export const importUsage = `Usage: logsphere import wtmp|btmp|utmp|authlog|logsphere-v2|wtmpdb|lastlog2 FILE... [OPTIONS]

Reads glibc accounting files and writes their logins, logouts, boots and shutdowns (wtmp) or
failed logins (btmp), or the sessions open in a utmp file (utmp), as logsphere/1 records; sshd's
failed logins from auth.log or syslog files (authlog: "Failed password", "Failed publickey",
"Invalid user", "maximum authentication attempts exceeded"; .gz files too); the JSONL of the
older Python LogSphere tracker (logsphere-v2), keeping its session ids; or the SQLite databases
that replace wtmp and lastlog: wtmpdb's logins, logouts, boots and shutdowns (wtmpdb), and
lastlog2's last login of each user (lastlog2). Ids are derived from the host and each entry:
importing the same file twice, overlapping rotated copies, or an older copy of a database and
then the newer one, yields the same records. Without FILE, wtmp, btmp, utmp, wtmpdb and lastlog2
read /var/log/wtmp, /var/log/btmp, /run/utmp, /var/lib/wtmpdb/wtmp.db and
/var/lib/lastlog/lastlog2.db.

lastlog2 keeps each user's last login, not how it ended: each becomes a session_open without
a close (source lastlog2). Like any imported login without an end, it counts as open (sessions
lists it, last says "still logged in") until the records read hold a later boot of the host,
which ends it (crash, or down after a recorded shutdown). Import it for lastlog, for the users
whose last login is older than what wtmpdb holds: where wtmpdb is imported too, last shows a
login that both hold twice. A database is read whole into memory (at most 256 MiB), never
through a symbolic link; changes SQLite still holds in a FILE-wal beside it are not read.

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

export interface ImportOptions extends Omit<ImportRequest, 'host' | 'kind'> {
  kind: ImportRequest['kind'] | DatabaseKind;
  /** The host the files come from; null: this host. */
  host: string | null;
}

const kinds: readonly ImportOptions['kind'][] = ['wtmp', 'btmp', 'utmp', 'authlog', 'logsphere-v2', 'wtmpdb', 'lastlog2'];

/** What `import wtmp|btmp|utmp|wtmpdb|lastlog2` reads without a FILE: the system's own files. */
const defaultFiles: Partial<Record<ImportOptions['kind'], string>> = {
  wtmp: '/var/log/wtmp',
  btmp: '/var/log/btmp',
  utmp: '/run/utmp',
  wtmpdb: '/var/lib/wtmpdb/wtmp.db',
  lastlog2: '/var/lib/lastlog/lastlog2.db',
};

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
  if (!kinds.includes(kind as ImportOptions['kind'])) {
    throw new UsageError(kind === undefined ? `import: which format? ${kinds.slice(0, -1).join(', ')} or ${kinds.at(-1)}` : `import: ${JSON.stringify(kind)} is not a format this release reads (${kinds.join(', ')})`);
  }
  let year: number | null = null;
  if (values.year !== undefined) {
    year = Number(values.year);
    if (!/^\d{4}$/.test(values.year) || year < 1970) throw new UsageError(`--year: expected a year such as 2026, got ${JSON.stringify(values.year)}`);
  }
  if (values.tz !== undefined && !knownZone(values.tz)) throw new UsageError(`--tz: unknown time zone ${JSON.stringify(values.tz)}`);
  if (files.length === 0) {
    const system = defaultFiles[kind as ImportOptions['kind']];
    if (system === undefined) throw new UsageError(`import ${kind}: no FILE given`);
    files.push(system);
  }
  const layout = values.layout ?? null;
  if (layout !== null && layout !== 'x86_64' && layout !== 'time64') throw new UsageError(`--layout: expected x86_64 or time64, got ${JSON.stringify(layout)}`);
  return { kind: kind as ImportOptions['kind'], files, host: values.host ?? null, output: values.output ?? null, layout, zone: values.tz ?? null, year };
}

export async function runImport(options: ImportOptions, localHostname: string, io: CommandIO, progress: Progress = silentProgress): Promise<number> {
  const host = options.host ?? localHostname;
  const out = { stdout: (bytes: Buffer) => io.stdout(bytes), warn: (message: string) => io.stderr(`logsphere: ${message}\n`), progress };
  const { kind } = options;
  // The databases' import (and sql.js with it) is loaded only when a database is imported.
  if (kind === 'wtmpdb' || kind === 'lastlog2') await (await import('../../legacy/import-databases.ts')).importDatabases({ kind, files: options.files, host, output: options.output }, out);
  else importFiles({ ...options, kind, host }, out);
  return 0;
}

export const importCommand = defineCommand({
  name: 'import',
  usage: importUsage,
  parse: (args) => parseImportArgs(args),
  // Progress on a terminal's standard error, unless the records go to a terminal too.
  run: async (options, { config, io, stdoutIsTerminal, progress }) =>
    runImport(options, (await config()).hostname ?? kernelHostname(), io, options.output === null && stdoutIsTerminal ? silentProgress : progress('import')),
});

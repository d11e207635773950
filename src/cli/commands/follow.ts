// `logsphere follow`: prints the log's records as they are appended (src/export/follow-log.ts),
// to standard output; exactly once into a regular file across restarts with --checkpoint NAME.

import { parseCommandArgs } from '../args.ts';
import { followLog, type FollowRequest } from '../../export/follow-log.ts';
import { outputFormats, type OutputFormat } from '../../export/formats.ts';
import { defineCommand } from '../command.ts';
import { UsageError } from '../usage.ts';

export const followUsage = `Usage: logsphere follow [OPTIONS]

Prints the session log's records as they are appended, one line each, following the log
across rotation (each rotated segment in order, compressed or not) and truncation. With no
saved position it starts at the end of the log (what is appended from now on), or with
--from-start or --once at the oldest segment: --once alone prints the whole log and stops.

Options:
      --format FORMAT     raw (the log's lines unchanged, the default), ecs (Elastic Common
                          Schema, as Auditbeat's login dataset) or otel (OpenTelemetry log
                          data model); see docs/collectors.md for the mapping
      --checkpoint NAME   save the position in the state directory (follow-NAME.json) and
                          continue from it on the next start: no record missed or repeated
      --from-start        with no saved position, start at the oldest segment of the log
      --input PATH        the log file, or the directory holding sessions.jsonl (default:
                          the configured log)
      --once              stop at the end of the log instead of waiting for more (with no
                          saved position: from the oldest segment)
  -h, --help              show this help

Malformed lines are skipped and counted on standard error.
`;

export type FollowOptions = FollowRequest;

export function parseFollowArgs(args: string[]): FollowOptions | 'help' {
  const { values } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      format: { type: 'string', default: 'raw' },
      checkpoint: { type: 'string' },
      'from-start': { type: 'boolean', default: false },
      input: { type: 'string' },
      once: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const format = values.format as OutputFormat;
  if (!outputFormats.includes(format)) throw new UsageError(`--format: expected one of ${outputFormats.join(', ')}, got ${JSON.stringify(values.format)}`);
  if (values.input === '-') throw new UsageError('--input: follow reads a file; standard input cannot be followed');
  return { format, checkpoint: values.checkpoint ?? null, fromStart: values['from-start'], input: values.input ?? null, once: values.once };
}

export const followCommand = defineCommand({
  name: 'follow',
  usage: followUsage,
  longRunning: true,
  parse: (args) => parseFollowArgs(args),
  async run(options, { config, io, signal, stdoutIsTerminal }) {
    const output = { write: (text: string) => io.stdout(text), warn: (message: string) => io.stderr(`logsphere: ${message}\n`), fd: 1, terminal: stdoutIsTerminal };
    await followLog(options, await config(), output, signal);
    return 0;
  },
});

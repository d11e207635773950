// Entry point of the `logsphere` command: runs the CLI with this process's arguments, streams,
// environment and signals.
//
// Output goes to the descriptors with write(2) (io.ts): process.stdout would load node's stream
// modules, a few milliseconds of every call. A terminal is written through process.stdout, which
// knows its width. When the reader of standard output is gone (EPIPE: `logsphere last | head`),
// the command has nothing more to do: the process ends at once, with status 0 and no message.
//
// Required rather than run (scripts/lib/write-cli-code-cache.mjs), it runs nothing and hands over
// run() itself.

import { mayBeTerminal, writeFully } from './io.ts';
import { run } from './main.ts';
import { builtin } from '../sys/builtin.ts';

export { run };

if (require.main === module) main();

function main(): void {
  const terminal = mayBeTerminal(1) && process.stdout.isTTY === true;
  void run(process.argv.slice(2), {
    env: process.env,
    stdout: terminal
      ? (text) => process.stdout.write(typeof text === 'string' ? text : Buffer.from(text)) // a copy: the stream may hold it
      : (text) => {
          if (!writeFully(1, text)) process.exit(0);
        },
    stderr: (text) => void writeFully(2, text),
    stdoutIsTerminal: terminal,
    stderrIsTerminal: () => mayBeTerminal(2) && builtin<typeof import('node:tty')>('node:tty').isatty(2),
    columns: terminal ? (process.stdout.columns ?? null) : null,
    onStopSignal(handler) {
      process.once('SIGTERM', handler);
      process.once('SIGINT', handler);
      return () => {
        process.off('SIGTERM', handler);
        process.off('SIGINT', handler);
      };
    },
  }).then((status) => {
    process.exitCode = status;
  });
}

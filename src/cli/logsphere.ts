// Entry point of the `logsphere` command: runs the CLI with this process's arguments, streams,
// environment and signals.

import { run } from './main.ts';

void run(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdoutIsTerminal: process.stdout.isTTY === true,
  columns: process.stdout.isTTY === true ? (process.stdout.columns ?? null) : null,
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

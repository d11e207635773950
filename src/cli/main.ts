// Entry point of the `logsphere` CLI: dispatches on the first argument; the one top-level catch
// turns errors into exit statuses (0 ok, 1 failure, 2 usage).

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bootId, kernelHostname } from '../sys/proc.ts';
import { doctorChecks, formatChecks, installedHookPath } from './commands/doctor.ts';
import { failed, failedUsage, parseFailedArgs } from './commands/failed.ts';
import { parseWatchArgs, watch, watchUsage } from './commands/watch.ts';
import { follow, followUsage, parseFollowArgs } from './commands/follow.ts';
import { parseReportArgs, report, reportUsage } from './commands/report.ts';
import { parseRotateArgs, rotate, rotateUsage } from './commands/rotate.ts';
import { importUsage, parseImportArgs, runImport } from './commands/import.ts';
import { last, lastUsage, parseLastArgs } from './commands/last.ts';
import { parseSessionsArgs, sessions, sessionsUsage } from './commands/sessions.ts';
import type { CommandIO } from './io.ts';
import { loadConfig, needsValidation, type Config } from '../config/config.ts';
import { configSources } from '../config/config-file.ts';
import { validateCompiled } from '../config/validate-compiled.ts';
import { UsageError, mainUsage } from './usage.ts';

const version = '0.1.0';
const commands = new Set(['sessions', 'last', 'failed', 'import', 'report', 'watch', 'rotate', 'follow', 'doctor']);

const doctorUsage = `Usage: logsphere doctor

Checks node, the configuration (with env-schema), the log, run and state directories and
their modes and owners, the PAM line, the boot unit, the boot record of the current boot, the
spool, and — where /run/utmp exists — that every session utmp lists is known to LogSphere.
Prints one line per check (OK, WARN or FAIL) and exits 1 when any check fails.
`;

function doctor(args: string[], config: Config, io: CommandIO): number {
  const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    io.stdout(doctorUsage);
    return 0;
  }
  const checks = doctorChecks({
    config,
    utmpPath: '/run/utmp',
    nodePath: '/usr/bin/node',
    nodeVersion: process.version,
    hookPath: installedHookPath,
    pamDir: '/etc/pam.d',
    unitDirs: ['/etc/systemd/system', '/usr/local/lib/systemd/system', '/lib/systemd/system'],
    systemdRunning: existsSync('/run/systemd/system'),
    bootId: bootId(),
  });
  io.stdout(formatChecks(checks));
  return checks.some((c) => c.status === 'FAIL') ? 1 : 0;
}

/**
 * The configuration. The query commands validate it with the validator Ajv generated from the
 * schema ahead of time, as the hook does: env-schema builds an Ajv instance when it loads (about
 * 90 ms, measured with --cpu-prof), three times what `sessions` may take in all. `doctor`, whose
 * job is checking the installation, validates with env-schema itself.
 */
async function hostConfig(io: CommandIO, checking = false, secrets = false): Promise<Config> {
  const sources = configSources(io.env, { secrets });
  for (const warning of sources.warnings) io.stderr(`logsphere: ${warning}\n`);
  if (!checking || !needsValidation(sources)) return loadConfig(sources, validateCompiled);
  const { validateWithEnvSchema } = await import('../config/validate-env-schema.ts');
  return loadConfig(sources, validateWithEnvSchema);
}

/** Runs a long-lived command; SIGTERM (systemctl stop) and SIGINT end it after the batch at hand. */
async function untilSignal(command: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    return await command(stop.signal);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

export async function run(argv: string[], io: CommandIO): Promise<number> {
  const [command, ...rest] = argv;
  const now = Date.now() * 1000;
  try {
    switch (command) {
      case 'sessions': {
        const options = parseSessionsArgs(rest);
        if (options !== 'help') return sessions(options, await hostConfig(io), io, now);
        io.stdout(sessionsUsage);
        return 0;
      }
      case 'last': {
        const options = parseLastArgs(rest, now);
        if (options !== 'help') return last(options, await hostConfig(io), io, now);
        io.stdout(lastUsage);
        return 0;
      }
      case 'failed': {
        const options = parseFailedArgs(rest, now);
        if (options !== 'help') return failed(options, await hostConfig(io), io);
        io.stdout(failedUsage);
        return 0;
      }
      case 'report': {
        const options = parseReportArgs(rest, now);
        if (options !== 'help') return await report(options, await hostConfig(io, false, options.mail), io, now);
        io.stdout(reportUsage);
        return 0;
      }
      case 'watch': {
        const options = parseWatchArgs(rest);
        if (options === 'help') {
          io.stdout(watchUsage);
          return 0;
        }
        const config = await hostConfig(io, false, true);
        return await untilSignal((signal) => watch(options, config, io, signal));
      }
      case 'follow': {
        const options = parseFollowArgs(rest);
        if (options === 'help') {
          io.stdout(followUsage);
          return 0;
        }
        const config = await hostConfig(io);
        return await untilSignal((signal) => follow(options, config, io, signal, process.stdout.isTTY === true));
      }
      case 'rotate': {
        const options = parseRotateArgs(rest);
        if (options !== 'help') return await rotate(options, await hostConfig(io), io, Date.now());
        io.stdout(rotateUsage);
        return 0;
      }
      case 'import': {
        const options = parseImportArgs(rest);
        if (options === 'help') {
          io.stdout(importUsage);
          return 0;
        }
        const config = await hostConfig(io);
        return runImport(options, config.hostname ?? kernelHostname(), io);
      }
      case 'doctor':
        return doctor(rest, await hostConfig(io, true), io);
      case '-h':
      case '--help':
      case 'help':
        io.stdout(mainUsage);
        return 0;
      case '-V':
      case '--version':
        io.stdout(`logsphere ${version}\n`);
        return 0;
      case undefined:
        throw new UsageError('missing command');
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const known = command !== undefined && commands.has(command);
      io.stderr(`logsphere: ${(error as Error).message}\nTry 'logsphere ${known ? `${command} ` : ''}--help'.\n`);
      return 2;
    }
    io.stderr(`logsphere: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});

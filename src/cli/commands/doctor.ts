// `logsphere doctor`: one line per check (OK, WARN or FAIL) over what an installed host needs;
// exit status 1 when any check fails.

import { existsSync } from 'node:fs';
import { parseCommandArgs } from '../args.ts';
import { doctorChecks, type Check } from '../../doctor/checks.ts';
import { installationOnHost } from '../../sys/installation.ts';
import { hookServicesReadingUserEnvironment, systemPamDirs } from '../../pam/pam-stack.ts';
import { bootId } from '../../sys/host.ts';
import { defineCommand } from '../command.ts';
import { plain, type Paint } from '../../text/colour.ts';
import { wrapHanging } from '../../text/wrap.ts';

export const doctorUsage = `Usage: logsphere doctor [OPTIONS]

Checks node, the configuration (with env-schema), the log, run and state directories and
their modes and owners, the PAM line, the PAM services that would hand the hook a user's
environment, whether failed logins are recorded, the boot unit, the boot record of the current
boot, the spool, and — where /run/utmp exists — that every session utmp lists is known to
LogSphere. Prints one line per check (OK, WARN or FAIL) and exits 1 when any check fails.

Options:
      --user-environment  only list the pam_env lines that read users' environment files in a
                          service that runs the hook, as FILE<tab>LINE<tab>BYTE (where the line's
                          text ends); for scripts/install.sh and the Debian package
      --hook-in FILE      with --user-environment: count FILE as running the hook (repeatable)
      --hook PATH         with --user-environment: the hook as PAM lines name it (default: the
                          installed one)
  -h, --help              show this help
`;

export interface DoctorOptions {
  userEnvironment: boolean;
  hookIn: string[];
  hook: string | null;
}

export function parseDoctorArgs(args: string[]): DoctorOptions | 'help' {
  const { values } = parseCommandArgs({
    args,
    options: { 'user-environment': { type: 'boolean', default: false }, 'hook-in': { type: 'string', multiple: true }, hook: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) return 'help';
  return { userEnvironment: values['user-environment'], hookIn: values['hook-in'] ?? [], hook: values.hook ?? null };
}

const tones = { OK: 'ok', WARN: 'warn', FAIL: 'fail' } as const;

/** One check per line, the detail wrapped to `width` under itself (none: Infinity); the status painted. */
export function formatChecks(checks: readonly Check[], width = 80, paint: Paint = plain): string {
  return checks
    .map((c) => {
      const [first = '', ...rest] = wrapHanging(`${c.status.padEnd(4)}  ${c.name}: `, c.detail, 6, width);
      return `${[paint(c.status, tones[c.status]) + first.slice(c.status.length), ...rest].join('\n')}\n`;
    })
    .join('');
}

export const doctorCommand = defineCommand({
  name: 'doctor',
  usage: doctorUsage,
  parse: (args) => parseDoctorArgs(args),
  async run(options, { config, io, width, paint, stdoutIsTerminal }) {
    const installation = installationOnHost();
    if (options.userEnvironment) {
      const seen = new Set<string>();
      for (const { line } of hookServicesReadingUserEnvironment(systemPamDirs, options.hook ?? installation.hookPath, options.hookIn)) {
        const key = `${line.file}\t${line.lastNumber}\t${line.endByte}\n`;
        if (!seen.has(key)) io.stdout(key);
        seen.add(key);
      }
      return 0;
    }
    const checks = doctorChecks({
      config: await config({ checking: true }),
      utmpPath: '/run/utmp',
      nodePath: '/usr/bin/node',
      nodeVersion: process.version,
      hookPath: installation.hookPath,
      pamDirs: systemPamDirs,
      unitDirs: ['/etc/systemd/system', installation.unitDir, '/lib/systemd/system'],
      systemdRunning: existsSync('/run/systemd/system'),
      bootId: bootId(),
      installedBy: installation.by,
    });
    // Wrapped on a terminal only: into a pipe, one line per check, for grep.
    io.stdout(formatChecks(checks, stdoutIsTerminal ? width : Infinity, paint));
    return checks.some((c) => c.status === 'FAIL') ? 1 : 0;
  },
});

// `logsphere doctor`: one line per check (OK, WARN or FAIL) over what an installed host needs;
// exit status 1 when any check fails.

import { existsSync } from 'node:fs';
import { parseCommandArgs } from '../args.ts';
import { doctorChecks, installedHookPath, type Check } from '../../doctor/checks.ts';
import { bootId } from '../../sys/host.ts';
import { defineCommand } from '../command.ts';

export const doctorUsage = `Usage: logsphere doctor

Checks node, the configuration (with env-schema), the log, run and state directories and
their modes and owners, the PAM line, the boot unit, the boot record of the current boot, the
spool, and — where /run/utmp exists — that every session utmp lists is known to LogSphere.
Prints one line per check (OK, WARN or FAIL) and exits 1 when any check fails.
`;

export function parseDoctorArgs(args: string[]): Record<string, never> | 'help' {
  const { values } = parseCommandArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true });
  return values.help ? 'help' : {};
}

export function formatChecks(checks: readonly Check[]): string {
  return checks.map((c) => `${c.status.padEnd(4)}  ${c.name}: ${c.detail}\n`).join('');
}

export const doctorCommand = defineCommand({
  name: 'doctor',
  usage: doctorUsage,
  parse: (args) => parseDoctorArgs(args),
  async run(_options, { config, io }) {
    const checks = doctorChecks({
      config: await config({ checking: true }),
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
  },
});

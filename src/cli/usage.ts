// Usage errors: the one condition the CLI's top level maps to exit status 2.

export class UsageError extends Error {
  override name = 'UsageError';
}

export const mainUsage = `Usage: logsphere COMMAND [OPTIONS]

Login-session accounting from the LogSphere session log.

Commands:
  sessions    who is logged in now
  last        login history, newest first, with logout, down, crash and gone ends
  import      read wtmp or btmp files into logsphere/1 records
  doctor      check the installation: node, paths and modes, the PAM line, the boot unit,
              the boot record of this boot, the spool

Options:
  -h, --help      show this help
  -V, --version   show the version
`;

// Usage errors: the one condition the CLI's top level maps to exit status 2.

export class UsageError extends Error {
  override name = 'UsageError';
}

export const mainUsage = `Usage: logsphere COMMAND [OPTIONS]

Login-session accounting from the LogSphere session log.

Commands:
  sessions    who is logged in now
  last        login history, newest first, with logout, down, crash and gone
              ends; util-linux last's arguments too (alice, -5, -x, -f wtmp)
  failed      failed logins, newest first, or summed up by remote host or user
  import      read wtmp, btmp, utmp, auth.log or older LogSphere files into
              logsphere/1 records
  report      a security report over a period: text, markdown, JSON or HTML
  watch       follow the log and alert on failure bursts, brute force, root
              and odd logins
  follow      print records as they are appended (raw, ECS or OpenTelemetry),
              resumable
  rotate      rotate the log by size, compress rotated segments, apply
              retention
  doctor      check the installation: node, paths and modes, the PAM line, the
              boot unit, the boot record of this boot, the spool
  ship        load records into the fleet store (PostgreSQL), exactly once
  db          the fleet store: migrate its schema, retain months of events
  lastlog     the last login of each user, as lastlog prints it (-u, -b, -t);
              --accounts adds the accounts that never logged in
  lastb       failed, with util-linux lastb's options and lines
  who         sessions, with coreutils who's options and lines (-a -b -q -u -H)

Options:
  -h, --help      show this help
  -V, --version   show the version
`;

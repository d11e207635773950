#!/usr/bin/env bash
# Installs LogSphere on this host (run as root from a checkout):
#   the bundles in /usr/local/lib/logsphere with links in /usr/local/bin, the boot/shutdown unit,
#   the tmpfiles.d snippet, the log/run/state directories, and the PAM session line
#   (pam-auth-update on Debian). The PAM line is proven with pamtester on a throwaway service
#   before it is enabled, and the enabled stack is proven again; on any failure it is rolled back.
#   A PAM service that would run the hook and reads users' environment files (pam_env
#   user_readenv=1, as Debian's sshd does) has that turned off first: those values reach the hook,
#   which runs as root, and NODE_OPTIONS or LD_PRELOAD among them would run a user's code in it.
#   What was changed is kept in /var/lib/logsphere/pam-saved and put back by --uninstall.
#
#   sudo ./scripts/install.sh               install or update (idempotent)
#   sudo ./scripts/install.sh --with-auth-failures   also record failed logins (auth stack)
#   sudo ./scripts/install.sh --uninstall   remove everything it added (the log is kept)
#   sudo ./scripts/install.sh --uninstall --purge   also remove the log and state directories
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node=${LOGSPHERE_NODE:-/usr/bin/node}
prefix=/usr/local/lib/logsphere
unit_dir=/usr/local/lib/systemd/system
tmpfiles_dir=/usr/local/lib/tmpfiles.d
man_dir=/usr/local/share/man
man_pages="man1/logsphere.1 man8/logsphere-hook.8 man5/logsphere.env.5"
completion_dir=/usr/local/share/bash-completion/completions
pam_dir=${LOGSPHERE_PAM_DIR:-/etc/pam.d}
pam_src="$repo/pam"
pam_saved=/var/lib/logsphere/pam-saved
tools="$repo/scripts/lib"
restore_hint='--uninstall restores it'

say() { printf 'logsphere install: %s\n' "$*"; }
die() { printf 'logsphere install: %s\n' "$*" >&2; exit 1; }

# The steps the Debian package's maintainer scripts take too (the PAM line above all).
. "$repo/scripts/lib/install-steps.sh"

usage() {
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

mode=install
purge=no
auth_failures=no
for arg in "$@"; do
  case "$arg" in
    --uninstall) mode=uninstall ;;
    --with-auth-failures) auth_failures=yes ;;
    --purge) purge=yes ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "must run as root (sudo $0)"

# One installation per host: the Debian package's (scripts/build-deb.sh) and this one would both
# own the pam-auth-update profile "logsphere"; the package's is the package's to remove. A package
# removed but not purged still has its purge to run, which removes the state this one keeps.
case "$(dpkg-query -W -f='${Status}' logsphere 2>/dev/null || true)" in
  *' installed') die "the Debian package logsphere is installed on this host; remove it first (apt-get purge logsphere) or keep using it" ;;
  *' config-files'|*' half-installed'|*' half-configured'|*' unpacked'|*' triggers-awaited'|*' triggers-pending')
    die "the Debian package logsphere was removed but not purged; run apt-get purge logsphere first" ;;
esac

# The node the hook runs with, at the path its first line names (pam_exec gives it no PATH):
# 18.19 or newer, the distributions' own included (Debian 12 and Ubuntu 24.04 ship 18). Where
# there is none and apt is there, Debian's or Ubuntu's own nodejs is installed.
node_supported() {
  local version major minor
  version=$("$node" --version 2>/dev/null) || return 1
  version=${version#v}
  major=${version%%.*}
  minor=${version#*.}
  minor=${minor%%.*}
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  [ "$major" -gt 18 ] || { [ "$major" -eq 18 ] && [ "$minor" -ge 19 ]; }
}

check_node() {
  if ! node_supported && [ "$node" = /usr/bin/node ] && command -v apt-get >/dev/null; then
    say "no Node.js 18.19 or newer at $node: installing the distribution's nodejs with apt"
    apt-get install -y -qq --no-install-recommends nodejs >/dev/null || die "apt-get install nodejs failed"
  fi
  [ -x "$node" ] || die "$node is missing: the hook runs as '#!/usr/bin/node' because pam_exec gives it no PATH; install Node.js 18.19 or newer there"
  node_supported || die "$node is $("$node" --version 2>/dev/null || echo 'not runnable'); LogSphere needs Node.js 18.19 or newer"
}

ensure_pamtester() {
  command -v pamtester >/dev/null && return
  if command -v apt-get >/dev/null; then
    say "installing pamtester (used to prove the PAM line before enabling it)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pamtester >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pamtester >/dev/null; } ||
      die "cannot install pamtester"
  else
    die "pamtester is needed to prove the PAM line before enabling it; install it and run again"
  fi
}

# Without systemd, cron does what the units do: the boot record at each boot, the daily upkeep of
# the log (rotation, compression, retention) and the weekly report. Shutdowns need the init
# system's own hook and are not recorded: a session open at a reboot then ends as crash.
cron_file=/etc/cron.d/logsphere
cron_lines() {
  cat <<CRON
# LogSphere without systemd (scripts/install.sh): what logsphere-boot.service,
# logsphere-rotate.timer and logsphere-report.timer do under systemd.
@reboot root $node $hook boot
17 3 * * * root $node $prefix/logsphere rotate >/dev/null
0 6 * * 1 root $node $prefix/logsphere report --since=-7d --format html --output /var/lib/logsphere/report.html
CRON
}

install_cron() {
  if [ -d /etc/cron.d ]; then
    cron_lines >"$cron_file.new"
    chmod 0644 "$cron_file.new"
    mv -f "$cron_file.new" "$cron_file"
    say "cron ($cron_file): the boot record at each boot, the log's daily upkeep, the weekly report; shutdowns are not recorded without systemd (sessions open at a reboot end as crash); run 'logsphere watch' under your service supervisor for alerts"
  else
    say "no systemd and no /etc/cron.d: add these to root's crontab yourself, and run 'logsphere watch' under your service supervisor:"
    cron_lines | sed -n 's/^\([^#].*\) root \(.*\)$/  \1 \2/p'
  fi
}

install_all() {
  check_node
  if [ ! -f "$repo/dist/logsphere-hook.cjs" ] || [ ! -f "$repo/dist/logsphere.cjs" ] || [ "${LOGSPHERE_SKIP_BUILD:-}" != yes ]; then
    say "building"
    (cd "$repo" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build)
  fi

  install -d -m 0755 "$prefix"
  install -m 0755 "$repo/dist/logsphere-hook.cjs" "$hook.new" && mv -f "$hook.new" "$hook"
  install -m 0755 "$repo/dist/logsphere.cjs" "$prefix/logsphere.new" && mv -f "$prefix/logsphere.new" "$prefix/logsphere"
  # SQLite as WebAssembly, for \`logsphere import wtmpdb|lastlog2\` only (src/legacy/load-sql-js.ts).
  install -m 0644 "$repo/dist/logsphere-sqlite.wasm" "$prefix/logsphere-sqlite.wasm"
  # Both programs are CommonJS bundles under names without an extension, which node reads as the
  # nearest package.json says.
  printf '{ "type": "commonjs" }\n' >"$prefix/package.json"
  write_code_caches
  ln -sfn "$prefix/logsphere" /usr/local/bin/logsphere
  ln -sfn "$hook" /usr/local/bin/logsphere-hook
  say "installed $prefix (logsphere, logsphere-hook) and links in /usr/local/bin"
  # The manual pages, made by the build (scripts/gen-man.mjs into dist/man), and the bash
  # completion, which bash-completion loads from there the first time logsphere is completed.
  [ -f "$repo/dist/man/logsphere.1" ] || (cd "$repo" && "$node" scripts/gen-man.mjs) || true
  if [ -f "$repo/dist/man/logsphere.1" ]; then
    for page in $man_pages; do install -D -m 0644 "$repo/dist/man/${page#*/}" "$man_dir/$page"; done
    say "manual pages in $man_dir: man logsphere, man logsphere-hook, man logsphere.env"
  else
    say "no manual pages: scripts/gen-man.mjs could not make them here (it needs node_modules)"
  fi
  install -D -m 0644 "$repo/completion/logsphere.bash" "$completion_dir/logsphere"
  say "bash completion in $completion_dir/logsphere"

  install -d -m 0755 "$unit_dir" "$tmpfiles_dir"
  install -m 0644 "$repo/services/logsphere-boot.service" "$unit_dir/logsphere-boot.service"
  install -m 0644 "$repo/services/tmpfiles.d/logsphere.conf" "$tmpfiles_dir/logsphere.conf"
  create_directories "$tmpfiles_dir/logsphere.conf"

  ensure_pamtester
  enable_pam
  [ "$auth_failures" = yes ] && enable_auth_failures

  install -d -m 0755 /usr/local/lib/systemd/system
  for unit in logsphere-watch.service logsphere-report.service logsphere-report.timer logsphere-rotate.service logsphere-rotate.timer logsphere-ship.service; do
    install -m 0644 "$repo/services/$unit" "$unit_dir/$unit"
  done

  if systemd_running; then
    systemctl daemon-reload
    systemctl enable logsphere-boot.service
    systemctl start logsphere-boot.service
    systemctl enable --now logsphere-rotate.timer
    say "units logsphere-boot.service and logsphere-rotate.timer enabled and started"
    say "units logsphere-watch.service and logsphere-report.timer installed (enable them with systemctl enable --now)"
    say "unit logsphere-ship.service installed: set LOGSPHERE_DATABASE_URL in /etc/logsphere/secrets.env, run logsphere db migrate, then enable it"
  else
    say "systemd is not running here: its units are installed in $unit_dir for when it does"
    record_boot_without_systemd
    install_cron
  fi
  say "done; check with: logsphere doctor"
  say "logged in now (logsphere sessions):"
  /usr/local/bin/logsphere sessions || true
}

uninstall_all() {
  disable_pam
  if systemd_running && [ -f "$unit_dir/logsphere-boot.service" ]; then
    # Disabled, not stopped: stopping would record a shutdown that is not happening.
    systemctl disable logsphere-boot.service || true
  fi
  if systemd_running; then
    systemctl disable --now logsphere-watch.service logsphere-report.timer logsphere-rotate.timer logsphere-ship.service 2>/dev/null || true
  fi
  rm -f "$cron_file"
  rm -f "$unit_dir/logsphere-boot.service" "$unit_dir/logsphere-watch.service" "$unit_dir/logsphere-report.service" "$unit_dir/logsphere-report.timer" "$unit_dir/logsphere-rotate.service" "$unit_dir/logsphere-rotate.timer" "$unit_dir/logsphere-ship.service" "$tmpfiles_dir/logsphere.conf"
  systemd_running && systemctl daemon-reload || true
  rm -f /usr/local/bin/logsphere /usr/local/bin/logsphere-hook
  for page in $man_pages; do rm -f "$man_dir/$page"; done
  rm -f "$completion_dir/logsphere"
  rmdir "$man_dir/man1" "$man_dir/man5" "$man_dir/man8" "$completion_dir" "${completion_dir%/*}" 2>/dev/null || true
  rm -rf "$prefix" /run/logsphere
  rmdir "$unit_dir" "$tmpfiles_dir" 2>/dev/null || true
  if [ "$purge" = yes ]; then
    rm -rf /var/log/logsphere /var/lib/logsphere
    say "removed; the log and state directories were purged"
  else
    say "removed; the session log is kept in /var/log/logsphere (--purge removes it)"
  fi
}

case "$mode" in
  install) install_all ;;
  uninstall) uninstall_all ;;
esac

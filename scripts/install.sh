#!/usr/bin/env bash
# Installs LogSphere on this host (run as root from a checkout):
#   the bundles in /usr/local/lib/logsphere with links in /usr/local/bin, the boot/shutdown unit,
#   the tmpfiles.d snippet, the log/run/state directories, and the PAM session line
#   (pam-auth-update on Debian). The PAM line is proven with pamtester on a throwaway service
#   before it is enabled, and the enabled stack is proven again; on any failure it is rolled back.
#
#   sudo ./scripts/install.sh               install or update (idempotent)
#   sudo ./scripts/install.sh --with-auth-failures   also record failed logins (auth stack)
#   sudo ./scripts/install.sh --uninstall   remove everything it added (the log is kept)
#   sudo ./scripts/install.sh --uninstall --purge   also remove the log and state directories
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node=${LOGSPHERE_NODE:-/usr/bin/node}
prefix=/usr/local/lib/logsphere
hook="$prefix/logsphere-hook"
unit_dir=/usr/local/lib/systemd/system
tmpfiles_dir=/usr/local/lib/tmpfiles.d
pam_dir=${LOGSPHERE_PAM_DIR:-/etc/pam.d}
pam_profile=/usr/share/pam-configs/logsphere
auth_profile=/usr/share/pam-configs/logsphere-auth-failure
auth_line="auth optional pam_exec.so quiet $hook auth-failure"
pam_line=$(grep -v '^#' "$repo/pam/logsphere-session" | grep -m1 'pam_exec.so')
marker='# logsphere: session accounting (scripts/install.sh)'

say() { printf 'logsphere install: %s\n' "$*"; }
die() { printf 'logsphere install: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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

check_node() {
  [ -x "$node" ] || die "$node is missing: the hook runs as '#!/usr/bin/node' because pam_exec gives it no PATH; install Node.js 20 or newer there"
  local version major
  version=$("$node" --version 2>/dev/null) || die "$node does not run"
  major=${version#v}; major=${major%%.*}
  [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -ge 20 ] || die "$node is $version; LogSphere needs Node.js 20 or newer"
}

systemd_running() { [ -d /run/systemd/system ]; }

# Runs open_session and close_session through PAM service $1 with the hook writing to a
# temporary log, and checks that both records arrived with one session id.
prove_pam_service() {
  local service=$1 tmp ok
  tmp=$(mktemp -d)
  ok=no
  if pamtester -E "LOGSPHERE_LOG_DIR=$tmp/log" -E "LOGSPHERE_RUN_DIR=$tmp/run" -E LOGSPHERE_FSYNC=false \
       -I tty=pts/99 "$service" root open_session close_session >"$tmp/pamtester.out" 2>&1 &&
     "$node" -e '
       const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
       const open = lines.find((r) => r.event === "session_open");
       const close = lines.find((r) => r.event === "session_close");
       process.exit(open && close && open.session_id === close.session_id ? 0 : 1);
     ' "$tmp/log/sessions.jsonl" 2>/dev/null; then
    ok=yes
  fi
  [ "$ok" = yes ] || sed 's/^/  /' "$tmp/pamtester.out" >&2 || true
  rm -rf "$tmp"
  [ "$ok" = yes ]
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

# The line on a throwaway service: proven before anything of the host's PAM changes.
prove_line() {
  local service="logsphere-install-check-$$"
  local file="$pam_dir/$service"
  printf '%s\n' 'auth required pam_permit.so' 'account required pam_permit.so' \
    'session required pam_permit.so' "$pam_line" >"$file"
  if ! prove_pam_service "$service"; then
    rm -f "$file"
    die "the PAM line does not record sessions on a throwaway service; nothing was changed"
  fi
  rm -f "$file"
}

# The host's own session stack after the change: proven through a throwaway service that
# includes it.
prove_stack() {
  local stack=$1 service="logsphere-install-check-$$"
  local file="$pam_dir/$service"
  printf '%s\n' 'auth required pam_permit.so' 'account required pam_permit.so' "@include $stack" >"$file"
  local status=0
  prove_pam_service "$service" || status=$?
  rm -f "$file"
  return $status
}

generic_session_file() {
  for f in common-session system-login system-session system-auth; do
    [ -f "$pam_dir/$f" ] && { echo "$f"; return; }
  done
  return 1
}

enable_pam() {
  ensure_pamtester
  prove_line
  if command -v pam-auth-update >/dev/null && [ "$pam_dir" = /etc/pam.d ]; then
    local backup
    backup=$(mktemp -d)
    cp -a "$pam_dir"/common-session* "$backup"/ 2>/dev/null || true
    install -m 0644 "$repo/pam/pam-configs/logsphere" "$pam_profile"
    pam-auth-update --package --enable logsphere
    if ! grep -qF "$hook" "$pam_dir/common-session" || ! prove_stack common-session; then
      pam-auth-update --package --remove logsphere || true
      rm -f "$pam_profile"
      cp -a "$backup"/. "$pam_dir"/
      rm -rf "$backup"
      die "the session stack did not record a session after pam-auth-update; the change was rolled back"
    fi
    rm -rf "$backup"
    say "PAM: enabled through pam-auth-update ($pam_profile), in $pam_dir/common-session"
  else
    local stack
    stack=$(generic_session_file) || die "no session stack found in $pam_dir; add this line by hand after pam_systemd.so: $pam_line"
    if ! grep -qF "$marker" "$pam_dir/$stack"; then
      cp -a "$pam_dir/$stack" "$pam_dir/.$stack.logsphere-backup"
      # After pam_systemd.so when present, else at the end of the session lines.
      awk -v line="$pam_line" -v marker="$marker" '
        { lines[NR] = $0; if ($1 ~ /^-?session$/) last = NR; if ($1 ~ /^-?session$/ && $0 ~ /pam_systemd\.so/) sysd = NR }
        END { at = sysd ? sysd : (last ? last : NR)
              for (i = 1; i <= NR; i++) { print lines[i]; if (i == at) { print marker; print line } }
              if (NR == 0) { print marker; print line } }
      ' "$pam_dir/.$stack.logsphere-backup" >"$pam_dir/$stack"
      if ! prove_stack "$stack"; then
        mv -f "$pam_dir/.$stack.logsphere-backup" "$pam_dir/$stack"
        die "the session stack $pam_dir/$stack did not record a session; the change was rolled back"
      fi
      rm -f "$pam_dir/.$stack.logsphere-backup"
    fi
    say "PAM: line added to $pam_dir/$stack"
  fi
}

# Runs `authenticate` for user $2 through PAM service $1 with the hook writing to a temporary
# log (standard input empty: a password prompt fails), and prints how many auth_failure records
# for that user arrived, then the pamtester status.
count_auth_failures() {
  local service=$1 user=$2 tmp status=0 n
  tmp=$(mktemp -d)
  pamtester -E "LOGSPHERE_LOG_DIR=$tmp/log" -E "LOGSPHERE_RUN_DIR=$tmp/run" -E LOGSPHERE_FSYNC=false \
    "$service" "$user" authenticate </dev/null >"$tmp/pamtester.out" 2>&1 || status=$?
  n=0
  [ -f "$tmp/log/sessions.jsonl" ] && n=$(grep -cF "\"event\":\"auth_failure\"" "$tmp/log/sessions.jsonl" | head -1)
  grep -qF "\"user\":\"$user\"" "$tmp/log/sessions.jsonl" 2>/dev/null || n=0
  rm -rf "$tmp"
  echo "$n $status"
}

# The auth-failure line on throwaway services first: a failing password module must reach it
# (one record), a succeeding one must jump past it (no record, authentication succeeds).
prove_auth_line() {
  local service="logsphere-install-check-$$" file result
  file="$pam_dir/$service"
  for outcome in fail pass; do
    local first=pam_deny.so
    [ "$outcome" = pass ] && first=pam_permit.so
    printf '%s\n' "auth [success=2 default=ignore] $first" "$auth_line" 'auth requisite pam_deny.so' \
      'auth required pam_permit.so' 'account required pam_permit.so' >"$file"
    result=$(count_auth_failures "$service" logsphere-install-check)
    rm -f "$file"
    if [ "$outcome" = fail ] && { [ "${result%% *}" != 1 ] || [ "${result##* }" = 0 ]; }; then
      die "the auth-failure line did not record a failed authentication on a throwaway service ($result); nothing was changed"
    fi
    if [ "$outcome" = pass ] && [ "$result" != "0 0" ]; then
      die "the auth-failure line recorded or refused a successful authentication on a throwaway service ($result); nothing was changed"
    fi
  done
}

# The host's auth stack after the change: an unknown user fails and is recorded; with the
# password module swapped for pam_permit, success jumps past the hook.
prove_auth_stack() {
  local service="logsphere-install-check-$$" file result
  file="$pam_dir/$service"
  printf '%s\n' '@include common-auth' 'account required pam_permit.so' >"$file"
  result=$(count_auth_failures "$service" "logsphere-no-such-user-$$")
  rm -f "$file"
  [ "${result%% *}" = 1 ] && [ "${result##* }" != 0 ] || { echo "a failed authentication was not recorded ($result)" >&2; return 1; }
  sed 's/pam_unix\.so.*$/pam_permit.so/' "$pam_dir/common-auth" >"$file"
  printf '%s\n' 'account required pam_permit.so' >>"$file"
  result=$(count_auth_failures "$service" root)
  rm -f "$file"
  [ "$result" = "0 0" ] || { echo "a successful authentication was recorded or refused ($result)" >&2; return 1; }
}

enable_auth_failures() {
  ensure_pamtester
  prove_auth_line
  command -v pam-auth-update >/dev/null && [ "$pam_dir" = /etc/pam.d ] ||
    die "failed-login records need pam-auth-update (Debian, Ubuntu); elsewhere add the line of $repo/pam/logsphere-auth-failure to the auth stack by hand, as shown there"
  local backup
  backup=$(mktemp -d)
  cp -a "$pam_dir"/common-auth "$backup"/
  install -m 0644 "$repo/pam/pam-configs/logsphere-auth-failure" "$auth_profile"
  pam-auth-update --package --enable logsphere-auth-failure
  if ! grep -qF "$hook auth-failure" "$pam_dir/common-auth" || ! prove_auth_stack; then
    pam-auth-update --package --remove logsphere-auth-failure || true
    rm -f "$auth_profile"
    cp -a "$backup"/common-auth "$pam_dir"/
    rm -rf "$backup"
    die "the auth stack did not behave as proven after pam-auth-update; the change was rolled back"
  fi
  rm -rf "$backup"
  say "PAM: failed logins recorded through pam-auth-update ($auth_profile), in $pam_dir/common-auth"
}

disable_pam() {
  if [ -f "$auth_profile" ] && command -v pam-auth-update >/dev/null; then
    pam-auth-update --package --remove logsphere-auth-failure
    rm -f "$auth_profile"
    say "PAM: auth-failure profile removed, $pam_dir/common-auth regenerated"
  fi
  if [ -f "$pam_profile" ] && command -v pam-auth-update >/dev/null; then
    pam-auth-update --package --remove logsphere
    rm -f "$pam_profile"
    say "PAM: profile removed, $pam_dir/common-session regenerated"
  fi
  local f
  for f in "$pam_dir"/*; do
    [ -f "$f" ] && grep -qF "$marker" "$f" || continue
    awk -v marker="$marker" 'skip { skip = 0; next } $0 == marker { skip = 1; next } { print }' "$f" >"$f.logsphere-new"
    chmod --reference="$f" "$f.logsphere-new"
    mv -f "$f.logsphere-new" "$f"
    say "PAM: line removed from $f"
  done
}

record_boot_without_systemd() {
  local boot_id log
  boot_id=$(cat /proc/sys/kernel/random/boot_id)
  log=/var/log/logsphere/sessions.jsonl
  if [ -f "$log" ] && grep -F "\"boot_id\":\"$boot_id\"" "$log" | grep -qF '"event":"boot"'; then
    return
  fi
  "$hook" boot
  say "no systemd running: recorded this boot ($boot_id)"
}

install_all() {
  check_node
  if [ ! -f "$repo/dist/logsphere-hook.mjs" ] || [ ! -f "$repo/dist/logsphere.mjs" ] || [ "${LOGSPHERE_SKIP_BUILD:-}" != yes ]; then
    say "building"
    (cd "$repo" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build)
  fi

  install -d -m 0755 "$prefix"
  install -m 0755 "$repo/dist/logsphere-hook.mjs" "$hook.new" && mv -f "$hook.new" "$hook"
  install -m 0755 "$repo/dist/logsphere.mjs" "$prefix/logsphere.new" && mv -f "$prefix/logsphere.new" "$prefix/logsphere"
  printf '{ "type": "module" }\n' >"$prefix/package.json"
  ln -sfn "$prefix/logsphere" /usr/local/bin/logsphere
  ln -sfn "$hook" /usr/local/bin/logsphere-hook
  say "installed $prefix (logsphere, logsphere-hook) and links in /usr/local/bin"

  install -d -m 0755 "$unit_dir" "$tmpfiles_dir"
  install -m 0644 "$repo/services/logsphere-boot.service" "$unit_dir/logsphere-boot.service"
  install -m 0644 "$repo/services/tmpfiles.d/logsphere.conf" "$tmpfiles_dir/logsphere.conf"
  if command -v systemd-tmpfiles >/dev/null; then
    systemd-tmpfiles --create "$tmpfiles_dir/logsphere.conf"
  else
    install -d -m 0755 /run/logsphere /run/logsphere/sessions /var/lib/logsphere
    install -d -m 0700 /run/logsphere/spool /run/logsphere/writers
    install -d -m 0750 -g "$(getent group adm >/dev/null && echo adm || echo root)" /var/log/logsphere
  fi
  say "directories: /var/log/logsphere /run/logsphere /var/lib/logsphere"

  enable_pam
  [ "$auth_failures" = yes ] && enable_auth_failures

  install -d -m 0755 /usr/local/lib/systemd/system
  for unit in logsphere-watch.service logsphere-report.service logsphere-report.timer logsphere-rotate.service logsphere-rotate.timer; do
    install -m 0644 "$repo/services/$unit" "$unit_dir/$unit"
  done
  say "units logsphere-watch.service and logsphere-report.timer installed (enable them with systemctl enable --now)"

  if systemd_running; then
    systemctl daemon-reload
    systemctl enable logsphere-boot.service
    systemctl start logsphere-boot.service
    systemctl enable --now logsphere-rotate.timer
    say "units logsphere-boot.service and logsphere-rotate.timer enabled and started"
  else
    say "unit installed in $unit_dir (systemd is not running here)"
    record_boot_without_systemd
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
    systemctl disable --now logsphere-watch.service logsphere-report.timer logsphere-rotate.timer 2>/dev/null || true
  fi
  rm -f "$unit_dir/logsphere-boot.service" "$unit_dir/logsphere-watch.service" "$unit_dir/logsphere-report.service" "$unit_dir/logsphere-report.timer" "$unit_dir/logsphere-rotate.service" "$unit_dir/logsphere-rotate.timer" "$tmpfiles_dir/logsphere.conf"
  systemd_running && systemctl daemon-reload || true
  rm -f /usr/local/bin/logsphere /usr/local/bin/logsphere-hook
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

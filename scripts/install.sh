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
hook="$prefix/logsphere-hook"
unit_dir=/usr/local/lib/systemd/system
tmpfiles_dir=/usr/local/lib/tmpfiles.d
man_dir=/usr/local/share/man
man_pages="man1/logsphere.1 man8/logsphere-hook.8 man5/logsphere.env.5"
completion_dir=/usr/local/share/bash-completion/completions
pam_dir=${LOGSPHERE_PAM_DIR:-/etc/pam.d}
pam_profile=/usr/share/pam-configs/logsphere
auth_profile=/usr/share/pam-configs/logsphere-auth-failure
auth_line="auth optional pam_exec.so quiet seteuid $hook auth-failure"
pam_line=$(grep -v '^#' "$repo/pam/logsphere-session" | grep -m1 'pam_exec.so')
marker='# logsphere: session accounting (scripts/install.sh)'
pam_saved=/var/lib/logsphere/pam-saved

say() { printf 'logsphere install: %s\n' "$*"; }
die() { printf 'logsphere install: %s\n' "$*" >&2; exit 1; }

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

systemd_running() { [ -d /run/systemd/system ]; }

# The proofs point the hook at a temporary log through a root-owned config file named on the PAM
# line (--config=FILE): the hook takes nothing from its environment.
proof_config() {
  local tmp=$1
  printf 'LOGSPHERE_LOG_DIR=%s/log\nLOGSPHERE_RUN_DIR=%s/run\nLOGSPHERE_FSYNC=false\n' "$tmp" "$tmp" >"$tmp/logsphere.env"
  chmod 0644 "$tmp/logsphere.env"
}

# Copies PAM file $2 to $3 with the hook's lines pointed at the config file of $1.
copy_with_proof_config() {
  local tmp=$1 from=$2 to=$3
  sed "s|$hook|$hook --config=$tmp/logsphere.env|" "$pam_dir/$from" >"$pam_dir/$to"
}

# Runs open_session and close_session through PAM service $1, whose hook lines name the config
# file in $2, and checks that both records arrived in $2/log with one session id.
prove_pam_service() {
  local service=$1 tmp=$2 ok
  ok=no
  if pamtester -I tty=pts/99 "$service" root open_session close_session >"$tmp/pamtester.out" 2>&1 &&
     "$node" -e '
       const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
       const open = lines.find((r) => r.event === "session_open");
       const close = lines.find((r) => r.event === "session_close");
       process.exit(open && close && open.session_id === close.session_id ? 0 : 1);
     ' "$tmp/log/sessions.jsonl" 2>/dev/null; then
    ok=yes
  fi
  [ "$ok" = yes ] || sed 's/^/  /' "$tmp/pamtester.out" >&2 || true
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
  local service="logsphere-install-check-$$" tmp status=0
  local file="$pam_dir/$service"
  tmp=$(mktemp -d)
  proof_config "$tmp"
  printf '%s\n' 'auth required pam_permit.so' 'account required pam_permit.so' \
    'session required pam_permit.so' "$pam_line --config=$tmp/logsphere.env" >"$file"
  prove_pam_service "$service" "$tmp" || status=$?
  rm -f "$file"
  rm -rf "$tmp"
  [ "$status" -eq 0 ] || die "the PAM line does not record sessions on a throwaway service; nothing was changed"
}

# The host's own session stack after the change, proven through a throwaway service that includes
# a copy of it whose hook lines name a temporary config file (the only difference).
prove_stack() {
  local stack=$1 service="logsphere-install-check-$$" tmp status=0
  local file="$pam_dir/$service"
  tmp=$(mktemp -d)
  proof_config "$tmp"
  copy_with_proof_config "$tmp" "$stack" "$service-stack"
  printf '%s\n' 'auth required pam_permit.so' 'account required pam_permit.so' "@include $service-stack" >"$file"
  prove_pam_service "$service" "$tmp" || status=$?
  rm -f "$file" "$pam_dir/$service-stack"
  rm -rf "$tmp"
  return $status
}

# The pam_env lines that read users' environment files in a PAM service that runs the hook — or
# will, once the files named in $@ (in $pam_dir) run it — as FILE<tab>LINE<tab>BYTE, where the
# line's text ends. The CLI built here reads PAM files as libpam does (includes, continued lines,
# bracketed words, the vendor directory), so there is one reader of them, not two.
user_env_lines() {
  local args=() f
  for f in "$@"; do args+=(--hook-in "$pam_dir/$f"); done
  "$node" "$repo/dist/logsphere.cjs" doctor --user-environment "${args[@]}"
}

# Where the original of PAM file $1 is kept in $pam_saved.
saved_key() { printf '%s/%s' "$pam_saved" "$(printf '%s' "$1" | sed 's#/#%#g')"; }

# Replaces PAM file $1 with file $2 through a rename, keeping its owner and mode.
replace_pam_file() {
  local target=$1 source=$2 temp
  temp=$(mktemp "$(dirname "$target")/.${target##*/}.logsphere-XXXXXX")
  cat "$source" >"$temp"
  chown --reference="$target" "$temp"
  chmod --reference="$target" "$temp"
  mv -f "$temp" "$target"
}

# Turns user_readenv off where a service runs (or will run) the hook: pam_exec hands the hook,
# which runs as root, the PAM environment, and with user_readenv on a user's ~/.pam_environment
# fills it (NODE_OPTIONS, LD_PRELOAD ...). pam_env takes the last user_readenv= of a line, so
# ` user_readenv=0` is added at the end of the line's text. A file linked to elsewhere is edited
# where it lies; a vendor file (/usr/lib/pam.d) is left alone and an edited copy put in
# /etc/pam.d, which libpam reads instead. What was there before is kept in $pam_saved.
turn_off_user_env() {
  local lines file number byte target real key edited
  lines=$(user_env_lines "$@") || die "cannot read the PAM configuration with $repo/dist/logsphere.cjs"
  [ -n "$lines" ] || return 0
  install -d -m 0700 "$pam_saved"
  while IFS=$'\t' read -r file number byte; do
    target=$file
    case "$file" in /usr/lib/pam.d/*) target="$pam_dir/${file##*/}" ;; esac
    real=$(readlink -f -- "$target" 2>/dev/null || printf '%s' "$target")
    key=$(saved_key "$real")
    if [ ! -e "$real" ]; then
      cp -p -- "$file" "$real"
      : >"$key.created"
      printf '%s\n' "$real" >"$key.path"
    elif [ ! -f "$key.created" ] && { [ ! -f "$key" ] || [ "$(sha256sum <"$real")" != "$(cat "$key.written" 2>/dev/null)" ]; }; then
      # Kept once; a file changed since it was edited here (a package upgrade) is the new original.
      cp -p -- "$real" "$key"
      printf '%s\n' "$real" >"$key.path"
    fi
    edited=$(mktemp)
    LC_ALL=C awk -v n="$number" -v b="$byte" 'NR == n { $0 = substr($0, 1, b) " user_readenv=0" substr($0, b + 1) } { print }' "$real" >"$edited"
    replace_pam_file "$real" "$edited"
    rm -f "$edited"
    sha256sum <"$real" >"$key.written"
    say "PAM: $real line $number read users' ~/.pam_environment (pam_env user_readenv) in a stack that runs the hook as root: turned off (user_readenv=0); --uninstall restores it"
  done <<<"$lines"
  lines=$(user_env_lines "$@")
  [ -z "$lines" ] || die "cannot turn off user_readenv in: $(printf '%s' "$lines" | cut -f1 | tr '\n' ' ')"
}

# Puts back the files turn_off_user_env changed (and removes the copies it made), unless they
# changed again since.
restore_user_env() {
  local pathfile key real
  [ -d "$pam_saved" ] || return 0
  for pathfile in "$pam_saved"/*.path; do
    [ -f "$pathfile" ] || continue
    key=${pathfile%.path}
    real=$(cat "$pathfile")
    if [ -f "$real" ] && [ "$(sha256sum <"$real")" = "$(cat "$key.written" 2>/dev/null)" ]; then
      if [ -f "$key.created" ]; then
        rm -f -- "$real"
        say "PAM: $real removed (the vendor's file is read again)"
      else
        replace_pam_file "$real" "$key"
        say "PAM: $real restored as it was before the install"
      fi
    else
      say "PAM: $real changed since the install; left as it is (user_readenv stays as it is now)"
    fi
  done
  rm -rf "$pam_saved"
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
    turn_off_user_env common-session common-session-noninteractive
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
    turn_off_user_env "$stack"
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
  turn_off_user_env
}

# Runs `authenticate` for user $2 through PAM service $1, whose hook lines name the config file
# in $3 (standard input empty: a password prompt fails), and prints how many auth_failure records
# for that user arrived, then the pamtester status.
count_auth_failures() {
  local service=$1 user=$2 tmp=$3 status=0 n
  pamtester "$service" "$user" authenticate </dev/null >"$tmp/pamtester.out" 2>&1 || status=$?
  n=0
  [ -f "$tmp/log/sessions.jsonl" ] && n=$(grep -cF "\"event\":\"auth_failure\"" "$tmp/log/sessions.jsonl" | head -1)
  grep -qF "\"user\":\"$user\"" "$tmp/log/sessions.jsonl" 2>/dev/null || n=0
  rm -rf "$tmp/log" "$tmp/run"
  echo "$n $status"
}

# The auth-failure line on throwaway services first: a failing password module must reach it
# (one record), a succeeding one must jump past it (no record, authentication succeeds).
prove_auth_line() {
  local service="logsphere-install-check-$$" file result tmp
  file="$pam_dir/$service"
  tmp=$(mktemp -d)
  proof_config "$tmp"
  for outcome in fail pass; do
    local first=pam_deny.so
    [ "$outcome" = pass ] && first=pam_permit.so
    printf '%s\n' "auth [success=2 default=ignore] $first" "auth optional pam_exec.so quiet seteuid $hook --config=$tmp/logsphere.env auth-failure" \
      'auth requisite pam_deny.so' 'auth required pam_permit.so' 'account required pam_permit.so' >"$file"
    result=$(count_auth_failures "$service" logsphere-install-check "$tmp")
    rm -f "$file"
    if [ "$outcome" = fail ] && { [ "${result%% *}" != 1 ] || [ "${result##* }" = 0 ]; }; then
      rm -rf "$tmp"
      die "the auth-failure line did not record a failed authentication on a throwaway service ($result); nothing was changed"
    fi
    if [ "$outcome" = pass ] && [ "$result" != "0 0" ]; then
      rm -rf "$tmp"
      die "the auth-failure line recorded or refused a successful authentication on a throwaway service ($result); nothing was changed"
    fi
  done
  rm -rf "$tmp"
}

# The host's auth stack after the change (a copy whose hook line names a temporary config file):
# an unknown user fails and is recorded; with the password module swapped for pam_permit,
# success jumps past the hook.
prove_auth_stack() {
  local service="logsphere-install-check-$$" file result tmp status=0
  file="$pam_dir/$service"
  tmp=$(mktemp -d)
  proof_config "$tmp"
  copy_with_proof_config "$tmp" common-auth "$service-auth"
  printf '%s\n' "@include $service-auth" 'account required pam_permit.so' >"$file"
  result=$(count_auth_failures "$service" "logsphere-no-such-user-$$" "$tmp")
  if [ "${result%% *}" = 1 ] && [ "${result##* }" != 0 ]; then
    sed 's/pam_unix\.so.*$/pam_permit.so/' "$pam_dir/$service-auth" >"$file"
    printf '%s\n' 'account required pam_permit.so' >>"$file"
    result=$(count_auth_failures "$service" root "$tmp")
    [ "$result" = "0 0" ] || { echo "a successful authentication was recorded or refused ($result)" >&2; status=1; }
  else
    echo "a failed authentication was not recorded ($result)" >&2
    status=1
  fi
  rm -f "$file" "$pam_dir/$service-auth"
  rm -rf "$tmp"
  return $status
}

enable_auth_failures() {
  ensure_pamtester
  prove_auth_line
  command -v pam-auth-update >/dev/null && [ "$pam_dir" = /etc/pam.d ] ||
    die "failed-login records need pam-auth-update (Debian, Ubuntu); elsewhere add the line of $repo/pam/logsphere-auth-failure to the auth stack by hand, as shown there"
  local backup
  turn_off_user_env common-auth
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
  local f edited
  for f in "$pam_dir"/*; do
    [ -f "$f" ] && grep -qF "$marker" "$f" || continue
    # The marker, and the line after it only when it is the hook's own line.
    edited=$(mktemp)
    awk -v marker="$marker" -v hook="$hook" '
      skip && index($0, hook) && $0 ~ /pam_exec\.so/ { skip = 0; next }
      { skip = 0 }
      $0 == marker { skip = 1; next }
      { print }' "$f" >"$edited"
    replace_pam_file "$f" "$edited"
    rm -f "$edited"
    say "PAM: line removed from $f"
  done
  restore_user_env
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
  # The hook's V8 code cache, made by this node for this hook (src/hook/code-cache.ts): logins
  # then skip compiling it. Without one the hook compiles its code itself, as before.
  if "$node" "$repo/scripts/lib/write-hook-code-cache.mjs" "$hook"; then
    say "wrote the hook's code cache $hook.code-cache"
  else
    say "no code cache for the hook: it compiles its code at each run"
  fi
  # The CLI's, made the same way (src/bundle/piece-cache.ts): each command then skips compiling
  # the pieces of the program it runs.
  if "$node" "$repo/scripts/lib/write-cli-code-cache.mjs" "$prefix/logsphere"; then
    say "wrote the CLI's code cache $prefix/logsphere.code-cache"
  else
    say "no code cache for the CLI: it compiles its code at each run"
  fi
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

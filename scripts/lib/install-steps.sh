# The steps that change this host, shared by scripts/install.sh (from a checkout, under
# /usr/local) and the Debian package's maintainer scripts (scripts/build-deb.sh, under /usr):
# the log, run and state directories, the programs' code caches, the boot record where systemd
# does not run, and the PAM steps — the line proven with pamtester on a throwaway service, enabled
# (pam-auth-update on Debian), the resulting stack proven again and rolled back on failure;
# user_readenv turned off where a stack runs the hook; all of it undone on removal.
#
# Sourced, under `set -euo pipefail`, after the caller has defined say and die and set:
#   node          the node the hook runs with (its first line names /usr/bin/node)
#   prefix        the programs' directory: $prefix/logsphere-hook and $prefix/logsphere
#   tools         the directory of write-hook-code-cache.mjs and write-cli-code-cache.mjs
#   pam_src       the directory of logsphere-session and pam-configs/, naming the hook in $prefix
#   pam_dir       the PAM configuration directory (/etc/pam.d)
#   pam_saved     where the originals of PAM files edited for user_readenv are kept
#   restore_hint  how the administrator undoes it all, for the messages ("--uninstall restores it")

# What is made here is root's, readable and never writable by others, whatever the caller's
# umask; scratch files go to /tmp, whose sticky bit keeps others from renaming what root makes
# there, which a TMPDIR in a user's directory would not.
umask 022
export TMPDIR=/tmp

hook="$prefix/logsphere-hook"
cli="$prefix/logsphere"
pam_profile=/usr/share/pam-configs/logsphere
auth_profile=/usr/share/pam-configs/logsphere-auth-failure
pam_line=$(grep -v '^#' "$pam_src/logsphere-session" | grep -m1 'pam_exec.so')
marker='# logsphere: session accounting (scripts/install.sh)'

systemd_running() { [ -d /run/systemd/system ]; }

# The directories as the tmpfiles.d snippet $1 says; where there is no systemd-tmpfiles, the same
# by hand.
create_directories() {
  local conf=$1
  if command -v systemd-tmpfiles >/dev/null; then
    systemd-tmpfiles --create "$conf"
  else
    install -d -m 0755 /run/logsphere /run/logsphere/sessions /var/lib/logsphere
    install -d -m 0700 /run/logsphere/spool /run/logsphere/writers
    install -d -m 0750 -g "$(getent group adm >/dev/null && echo adm || echo root)" /var/log/logsphere
  fi
  say "directories: /var/log/logsphere /run/logsphere /var/lib/logsphere"
}

# V8's code caches of both programs, made by this host's node for this build, beside them: a login
# then skips compiling the hook (src/hook/code-cache.ts), a command the pieces of the CLI it runs
# (src/bundle/piece-cache.ts). Without one a program compiles its code itself, as before.
write_code_caches() {
  if "$node" "$tools/write-hook-code-cache.mjs" "$hook"; then
    say "wrote the hook's code cache $hook.code-cache"
  else
    say "no code cache for the hook: it compiles its code at each run"
  fi
  if "$node" "$tools/write-cli-code-cache.mjs" "$cli"; then
    say "wrote the CLI's code cache $cli.code-cache"
  else
    say "no code cache for the CLI: it compiles its code at each run"
  fi
}

# The caches and any draft a writer left: they are made on the host, not installed files.
remove_code_caches() {
  rm -f -- "$hook.code-cache" "$cli.code-cache" "$hook".code-cache.*.tmp "$cli".code-cache.*.tmp
}

# Without systemd the boot unit never runs: this boot is recorded here, once.
record_boot_without_systemd() {
  local boot_id log
  boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) || { say "no /proc here: no boot recorded"; return 0; }
  log=/var/log/logsphere/sessions.jsonl
  if [ -f "$log" ] && grep -F "\"boot_id\":\"$boot_id\"" "$log" | grep -F '"event":"boot"' >/dev/null; then
    return
  fi
  "$hook" boot || { say "the boot could not be recorded"; return 0; }
  say "no systemd running: recorded this boot ($boot_id)"
}

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

require_pamtester() {
  command -v pamtester >/dev/null || die "pamtester is needed to prove the PAM line before enabling it; install it and run again"
}

# The line on a throwaway service: proven before anything of the host's PAM changes.
prove_line() {
  local service="logsphere-install-check-$$" tmp status=0
  local file="$pam_dir/$service"
  tmp=$(mktemp -d) || return 1
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
  tmp=$(mktemp -d) || return 1
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
# line's text ends. The CLI reads PAM files as libpam does (includes, continued lines, bracketed
# words, the vendor directory), so there is one reader of them, not two.
user_env_lines() {
  local args=(--hook "$hook") f
  for f in "$@"; do args+=(--hook-in "$pam_dir/$f"); done
  "$node" "$cli" doctor --user-environment "${args[@]}"
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
  lines=$(user_env_lines "$@") || die "cannot read the PAM configuration with $cli"
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
    say "PAM: $real line $number read users' ~/.pam_environment (pam_env user_readenv) in a stack that runs the hook as root: turned off (user_readenv=0); $restore_hint"
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

# Whether pam-auth-update manages $pam_dir here (Debian, Ubuntu).
pam_auth_update_here() { command -v pam-auth-update >/dev/null && [ "$pam_dir" = /etc/pam.d ]; }

# The profile goes into /usr/share/pam-configs here, once the line is proven and user_readenv is
# off, never before (the package does not ship it there): pam-auth-update, which any package's
# maintainer script may run, enables a new profile marked Default: yes, proven or not.
enable_pam() {
  require_pamtester
  prove_line
  if pam_auth_update_here; then
    local backup failure=''
    turn_off_user_env common-session common-session-noninteractive
    backup=$(mktemp -d) || die "cannot make a temporary directory"
    cp -p "$pam_dir"/common-session* "$backup"/ 2>/dev/null || true
    install -m 0644 "$pam_src/pam-configs/logsphere" "$pam_profile"
    if ! pam-auth-update --package --enable logsphere; then
      failure="pam-auth-update failed (see its message above)"
    elif ! grep -qF "$hook" "$pam_dir/common-session"; then
      # pam-auth-update leaves a common-* file edited by hand alone, and says so above.
      failure="pam-auth-update did not put the line in $pam_dir/common-session (see its message above)"
    elif ! prove_stack common-session; then
      failure="the session stack did not record a session after pam-auth-update"
    fi
    if [ -n "$failure" ]; then
      pam-auth-update --package --remove logsphere || true
      rm -f "$pam_profile"
      # The files as they were, unless they ran the hook already (an earlier install): then as
      # pam-auth-update has just written them, without it. The files only: the directory's own
      # mode is /etc/pam.d's, not a temporary directory's.
      grep -qF "$hook" "$backup/common-session" 2>/dev/null || cp -p "$backup"/common-session* "$pam_dir"/ 2>/dev/null || true
      rm -rf "$backup"
      # The user_readenv edits too, unless the hook still runs from the auth stack.
      [ -f "$auth_profile" ] || restore_user_env
      die "$failure; the change was rolled back"
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
  tmp=$(mktemp -d) || return 1
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
  tmp=$(mktemp -d) || return 1
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
  require_pamtester
  prove_auth_line
  pam_auth_update_here ||
    die "failed-login records need pam-auth-update (Debian, Ubuntu); elsewhere add the line of $pam_src/logsphere-auth-failure to the auth stack by hand, as shown there"
  local backup
  turn_off_user_env common-auth
  backup=$(mktemp -d) || die "cannot make a temporary directory"
  cp -p "$pam_dir"/common-auth "$backup"/
  install -m 0644 "$pam_src/pam-configs/logsphere-auth-failure" "$auth_profile"
  if ! pam-auth-update --package --enable logsphere-auth-failure || ! grep -qF "$hook auth-failure" "$pam_dir/common-auth" || ! prove_auth_stack; then
    pam-auth-update --package --remove logsphere-auth-failure || true
    rm -f "$auth_profile"
    # As it was, unless it ran the hook already (then as pam-auth-update has just written it).
    grep -qF "$hook" "$backup/common-auth" || cp -p "$backup"/common-auth "$pam_dir"/
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
  # user_readenv stays off while any PAM file still runs the hook (one pam-auth-update left alone,
  # edited by hand): a user's ~/.pam_environment would reach it, as root.
  local still
  still=$(grep -lsF -- "$hook" "$pam_dir"/* | tr '\n' ' ' || true)
  if [ -n "$still" ]; then
    say "PAM: ${still}still run $hook: user_readenv stays off there; remove those lines by hand"
  else
    restore_user_env
  fi
}

#!/usr/bin/env bash
# A tour of LogSphere on real logins (run as root from a checkout): starts a throwaway sshd on
# loopback whose PAM stack runs the hook (a private PAM service, the log in a temporary
# directory), logs in three times — one session stays open, one logs out, one loses its [priv]
# process — prints `logsphere sessions` and `logsphere last`, and removes everything it created.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root" >&2; exit 1; }
for tool in /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen; do
  [ -x "$tool" ] || { echo "demo.sh: $tool is missing (apt-get install openssh-server openssh-client)" >&2; exit 1; }
done
[ -f "$repo/dist/logsphere.cjs" ] || (cd "$repo" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build)

dir=$(mktemp -d /tmp/logsphere-demo.XXXXXX)
chmod 755 "$dir"
tag=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
user="lsdemo$tag"
service="logsphere-demo-$tag"
port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000))
sshd_pid=
clients=()

cleanup() {
  for c in "${clients[@]}"; do kill -KILL "$c" 2>/dev/null || true; done
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" 2>/dev/null || true
  pkill -KILL -u "$user" 2>/dev/null || true
  for _ in $(seq 50); do pgrep -u "$user" >/dev/null || break; sleep 0.1; done
  id "$user" >/dev/null 2>&1 && userdel -r "$user" 2>/dev/null || true
  rm -f "/etc/pam.d/$service"
  rm -rf "$dir"
}
trap cleanup EXIT

# Waits (up to 10 s) until a command succeeds.
until_ok() { for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done; echo "demo.sh: timed out: $*" >&2; return 1; }
count_opens() { [ "$(grep -c '"event":"session_open"' "$dir/log/sessions.jsonl" 2>/dev/null || echo 0)" -ge "$1" ]; }

mkdir -p /run/sshd && chmod 755 /run/sshd
ssh-keygen -q -t ed25519 -f "$dir/host_key" -N ''
ssh-keygen -q -t ed25519 -f "$dir/client_key" -N ''
useradd -m -s /bin/bash "$user"
install -d -m700 -o "$user" -g "$user" "/home/$user/.ssh"
install -m600 -o "$user" -g "$user" "$dir/client_key.pub" "/home/$user/.ssh/authorized_keys"
printf 'LOGSPHERE_LOG_DIR=%s/log\nLOGSPHERE_RUN_DIR=%s/run\nLOGSPHERE_STATE_DIR=%s\n' "$dir" "$dir" "$dir" >"$dir/logsphere.env"
chmod 0644 "$dir/logsphere.env"
# The hook reads its configuration from a root-owned file named on its PAM line, never from its
# environment; the CLI reads the same file through LOGSPHERE_CONFIG.
hook="$repo/dist/logsphere-hook.cjs --config=$dir/logsphere.env"
cat >"/etc/pam.d/$service" <<PAM
auth required pam_permit.so
account required pam_unix.so
session required pam_permit.so
session required pam_unix.so
session optional pam_exec.so quiet seteuid $hook
PAM
ln -s /usr/sbin/sshd "$dir/$service"
cat >"$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
AllowUsers $user
UseDNS no
PrintMotd no
PrintLastLog no
CONF
"$dir/$service" -t -f "$dir/sshd_config"
"$dir/$service" -D -f "$dir/sshd_config" -E "$dir/sshd.log" &
sshd_pid=$!
until_ok bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null

ssh_to() { ssh -i "$dir/client_key" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile="$dir/known_hosts" -o BatchMode=yes "$@" "$user@127.0.0.1" "${cmd[@]}"; }

echo "== a login that logs out"
cmd=(true); ssh_to </dev/null
echo "== a login that stays (with a pty)"
cmd=(sleep 600); ssh_to -tt </dev/null >/dev/null 2>&1 & clients+=($!)
until_ok count_opens 2
echo "== a login whose [priv] process is killed"
cmd=(sleep 600); ssh_to </dev/null >/dev/null 2>&1 & clients+=($!)
until_ok count_opens 3
priv=$(grep '"event":"session_open"' "$dir/log/sessions.jsonl" | tail -n1 | sed 's/.*"pid":\([0-9]*\).*/\1/')
kill -KILL "$priv"
until_ok bash -c "! [ -e /proc/$priv ]"

export LOGSPHERE_CONFIG="$dir/logsphere.env"
echo
echo "\$ logsphere sessions"
node "$repo/dist/logsphere.cjs" sessions
echo
echo "\$ logsphere last"
node "$repo/dist/logsphere.cjs" last

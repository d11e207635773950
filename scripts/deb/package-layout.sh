# Where the Debian package puts LogSphere, for its maintainer scripts (installed as
# /usr/lib/logsphere/package-layout.sh): sourced by postinst and prerm, under
# `set -euo pipefail`, before they take the steps scripts/install.sh takes too.

prefix=/usr/lib/logsphere
node=/usr/bin/node
tools="$prefix/tools"
pam_src="$prefix/pam"
pam_dir=/etc/pam.d
pam_saved=/var/lib/logsphere/pam-saved
restore_hint='removing the package restores it'
tmpfiles_conf=/usr/lib/tmpfiles.d/logsphere.conf

# The units enabled at installation, and those shipped for the administrator to enable.
enabled_units=(logsphere-boot.service logsphere-rotate.timer)
optional_units=(logsphere-watch.service logsphere-report.timer logsphere-ship.service)

say() { printf 'logsphere: %s\n' "$*"; }
die() { printf 'logsphere: %s\n' "$*" >&2; exit 1; }

. "$prefix/install-steps.sh"

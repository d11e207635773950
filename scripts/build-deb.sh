#!/usr/bin/env bash
# Builds the Debian package dist/logsphere_VERSION_all.deb from this checkout, offline, with
# Debian's own dpkg-deb (files owned by root whoever builds):
#   /usr/lib/logsphere/          the programs (dist/), the SQLite WebAssembly, the steps its
#                                maintainer scripts share with scripts/install.sh, the code cache
#                                writers, the PAM line and pam-auth-update profiles (which postinst
#                                puts in /usr/share/pam-configs once the line is proven)
#   /usr/bin/logsphere, /usr/sbin/logsphere-hook    links to the programs
#   /usr/lib/systemd/system/, /usr/lib/tmpfiles.d/  services/, for the package's paths
#   /usr/share/man/, /usr/share/bash-completion/, /usr/share/doc/logsphere/ (the logrotate example)
# Units, PAM files and manual pages are made from the repository's at build time, their
# /usr/local paths (scripts/install.sh's) rewritten for /usr.
#
#   bash scripts/build-deb.sh [--output DIR]     build (npm run build first), write DIR/*.deb
#   LOGSPHERE_DEB_VERSION=0.1.0+1 bash scripts/build-deb.sh   another version than package.json's
#   LOGSPHERE_SKIP_BUILD=yes                      package dist/ as it is
#   LOGSPHERE_DEB_MAINTAINER='Name <address>'     the Maintainer field
set -euo pipefail
umask 022

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$repo/dist"
maintainer=${LOGSPHERE_DEB_MAINTAINER:-LogSphere maintainers <maintainers@logsphere.example>}

say() { printf 'logsphere build-deb: %s\n' "$*"; }
die() { printf 'logsphere build-deb: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --output) [ $# -ge 2 ] || die "--output needs a directory"; out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

for tool in dpkg-deb gzip node; do
  command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install dpkg gzip nodejs)"
done

version=${LOGSPHERE_DEB_VERSION:-$(node -p 'require(process.argv[1]).version' "$repo/package.json")}
# No hyphen: a native package, whose version is the program's.
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "version $version: digits first, then letters, digits and . + ~ only"

if [ "${LOGSPHERE_SKIP_BUILD:-}" != yes ]; then
  say "building"
  (cd "$repo" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build)
fi
[ -d "$repo/node_modules" ] || die "node_modules is missing: run npm ci (the licences of the bundled packages are read there)"
for built in logsphere.cjs logsphere-hook.cjs logsphere-sqlite.wasm man/logsphere.1 man/logsphere-hook.8 man/logsphere.env.5; do
  [ -f "$repo/dist/$built" ] || die "dist/$built is missing: run npm run build"
done

# The same moment in every file of one build: SOURCE_DATE_EPOCH, else the last commit's.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH=$epoch

mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$(mktemp -d "$out/.logsphere-deb.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"

lib=/usr/lib/logsphere
doc=/usr/share/doc/logsphere

# A file of the repository with scripts/install.sh's paths made the package's (the manual's
# roff among them: its links to the programs are in /usr/bin and /usr/sbin).
for_package() {
  sed -e 's|(linked from \\fB\\%/usr/local/bin\\fR)|(linked from \\fB\\%/usr/bin\\fR and \\fB\\%/usr/sbin\\fR)|' \
      -e 's|/usr/local/lib/logsphere|/usr/lib/logsphere|g' \
      -e 's|/usr/local/lib/systemd/system|/usr/lib/systemd/system|g' \
      -e 's|/usr/local/lib/tmpfiles.d|/usr/lib/tmpfiles.d|g' \
      -e 's|/usr/local/share/doc/logsphere/README.md|/usr/share/doc/logsphere/README.md.gz|g' \
      -e 's|/usr/local/share/man|/usr/share/man|g' \
      -e 's|/usr/local/bin|/usr/bin|g' "$1"
}

# put MODE SOURCE TARGET: a file as it is; put_for_package MODE SOURCE TARGET: rewritten.
put() { install -D -m "$1" "$2" "$root$3"; }
put_for_package() {
  install -d -m 0755 "$root$(dirname "$3")"
  for_package "$2" >"$root$3"
  chmod "$1" "$root$3"
}

install_programs() {
  put 0755 "$repo/dist/logsphere.cjs" "$lib/logsphere"
  put 0755 "$repo/dist/logsphere-hook.cjs" "$lib/logsphere-hook"
  put 0644 "$repo/dist/logsphere-sqlite.wasm" "$lib/logsphere-sqlite.wasm"
  # Both programs are CommonJS bundles under names without an extension, which node reads as the
  # nearest package.json says.
  printf '{ "type": "commonjs" }\n' >"$root$lib/package.json"
  chmod 0644 "$root$lib/package.json"
  # What postinst and prerm run: the steps shared with scripts/install.sh, and the code cache
  # writers (node built-ins only; the CLI's runs gen-history.mjs beside it for a scratch log).
  put 0644 "$repo/scripts/lib/install-steps.sh" "$lib/install-steps.sh"
  put 0644 "$repo/scripts/deb/package-layout.sh" "$lib/package-layout.sh"
  local tool module
  for tool in write-hook-code-cache.mjs write-cli-code-cache.mjs gen-history.mjs; do
    put 0644 "$repo/scripts/lib/$tool" "$lib/tools/$tool"
  done
  # What they load besides node's built-ins must be among them.
  for module in $(grep -ohE "(from |import\(|new URL\()'[^']+'" "$root$lib/tools/"*.mjs | cut -d"'" -f2 | grep -v '^node:' | sort -u); do
    [ -f "$root$lib/tools/${module#./}" ] || die "the code cache writers load $module, which the package does not carry"
  done
  for pam in logsphere-session logsphere-auth-failure pam-configs/logsphere pam-configs/logsphere-auth-failure; do
    put_for_package 0644 "$repo/pam/$pam" "$lib/pam/$pam"
  done
  install -d -m 0755 "$root/usr/bin" "$root/usr/sbin"
  ln -s ../lib/logsphere/logsphere "$root/usr/bin/logsphere"
  ln -s ../lib/logsphere/logsphere-hook "$root/usr/sbin/logsphere-hook"
}

install_units() {
  local unit
  for unit in "$repo"/services/*.service "$repo"/services/*.timer; do
    put_for_package 0644 "$unit" "/usr/lib/systemd/system/${unit##*/}"
  done
  put_for_package 0644 "$repo/services/tmpfiles.d/logsphere.conf" /usr/lib/tmpfiles.d/logsphere.conf
}

install_docs() {
  local page section
  for page in logsphere.1 logsphere-hook.8 logsphere.env.5; do
    section=${page##*.}
    put_for_package 0644 "$repo/dist/man/$page" "/usr/share/man/man$section/$page"
    gzip -9n "$root/usr/share/man/man$section/$page"
  done
  put 0644 "$repo/completion/logsphere.bash" /usr/share/bash-completion/completions/logsphere
  put 0644 "$repo/README.md" "$doc/README.md"
  gzip -9n "$root$doc/README.md"
  # An example, not a conffile: with logrotate rotating the log, LogSphere's own rotation is
  # turned off first (LOGSPHERE_MAX_BYTES=0), as the file says.
  put_for_package 0644 "$repo/services/logrotate.d/logsphere" "$doc/examples/logrotate.d/logsphere"
  changelog >"$root$doc/changelog"
  gzip -9n "$root$doc/changelog"
  copyright >"$root$doc/copyright"
  chmod 0644 "$root$doc/changelog.gz" "$root$doc/copyright"
  put 0644 "$repo/scripts/deb/lintian-overrides" /usr/share/lintian/overrides/logsphere
}

changelog() {
  cat <<CHANGELOG
logsphere ($version) unstable; urgency=medium

  * Built from the LogSphere repository by scripts/build-deb.sh
    (commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)).

 -- $maintainer  $(date -u -R -d "@$epoch")
CHANGELOG
}

# LogSphere's licence, then every package of the production dependency tree that the programs
# bundle code from, with its own licence file.
copyright() {
  cat <<'HEADER'
LogSphere: login-session accounting for Linux hosts.

Copyright: the LogSphere authors
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a
 copy of this software and associated documentation files (the "Software"),
 to deal in the Software without restriction, including without limitation
 the rights to use, copy, modify, merge, publish, distribute, sublicense,
 and/or sell copies of the Software, and to permit persons to whom the
 Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included
 in all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS
 OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
 MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
 IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
 CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT,
 TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE
 SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

The programs in /usr/lib/logsphere bundle code from the npm packages
LogSphere depends on, each under its own licence, given below as the
package ships it.
HEADER
  (cd "$repo" && npm ls --omit=dev --all --parseable) | tail -n +2 | LC_ALL=C sort -u | node -e '
    const fs = require("fs");
    for (const dir of fs.readFileSync(0, "utf8").split("\n").filter(Boolean)) {
      const p = JSON.parse(fs.readFileSync(`${dir}/package.json`, "utf8"));
      const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
      const text = file === undefined ? "(no licence file in the package)" : fs.readFileSync(`${dir}/${file}`, "utf8").trim();
      process.stdout.write(`\n${p.name} ${p.version} (${p.license})\n${text.split("\n").map((l) => (l.trim() === "" ? " ." : ` ${l}`)).join("\n")}\n`);
    }'
}

control() {
  cat <<CONTROL
Package: logsphere
Version: $version
Architecture: all
Maintainer: $maintainer
Installed-Size: $(du -k -s --apparent-size --exclude=DEBIAN "$root" | cut -f1)
Depends: nodejs (>= 18.19), libpam-runtime (>= 1.0.1-6), libpam-modules, pamtester
Section: admin
Priority: optional
Description: login-session accounting with structured JSON records
 LogSphere records the login sessions of a host as JSON lines, in the place
 of wtmp, utmp and btmp. A small hook, run by pam_exec at every session open
 and close (and, when turned on, at failed authentication) and by a systemd
 unit at boot and shutdown, appends one record per event, with a session id
 shared by a session's open and close, to /var/log/logsphere/sessions.jsonl,
 a file log collectors ship as it is.
 .
 The logsphere command reads the log: who is logged in, a last-style
 history with honest session ends, failed logins, reports, alerts, imports
 of wtmp, btmp, auth.log, wtmpdb and lastlog2, and a check of the
 installation (logsphere doctor).
 .
 The package proves its PAM line with pamtester on a throwaway PAM service
 before it enables it with pam-auth-update, and leaves PAM alone where the
 proof fails. A purge keeps the session log unless LOGSPHERE_PURGE_LOGS=yes.
CONTROL
}

install_control() {
  local script
  install -d -m 0755 "$root/DEBIAN"
  for script in preinst postinst prerm postrm; do
    install -m 0755 "$repo/scripts/deb/$script" "$root/DEBIAN/$script"
  done
  # postinst looks again at user_readenv when another package changes a PAM service.
  printf '%s\n' 'interest-noawait /etc/pam.d' 'interest-noawait /usr/lib/pam.d' >"$root/DEBIAN/triggers"
  chmod 0644 "$root/DEBIAN/triggers"
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
  chmod 0644 "$root/DEBIAN/md5sums"
  control >"$root/DEBIAN/control"
}

# The package's own files must not point at scripts/install.sh's paths.
check_paths() {
  local stale
  stale=$({ grep -rlF /usr/local "$root/usr/lib/systemd" "$root/usr/lib/tmpfiles.d" "$root$lib/pam" "$root$doc/examples"
             zgrep -lF /usr/local "$root"/usr/share/man/man*/*.gz; } | sed "s|^$root||") || true
  [ -z "$stale" ] || die "/usr/local left in: $stale"
}

install_programs
install_units
install_docs
install_control
check_paths
# Every file's time the build's moment: the same checkout and version give the same package.
find "$root" -exec touch -h -d "@$epoch" {} +

deb="$out/logsphere_${version}_all.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
say "built $deb"

#!/usr/bin/env bash
# Builds the binary sample files in legacy/samples/ from their text dumps with util-linux
# utmpdump (384-byte x86_64 records): wtmp.txt -> wtmp, btmp.txt -> btmp. The binaries are not
# kept in git; run this before trying the commands in legacy/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../legacy/samples"
command -v utmpdump >/dev/null || { echo "make-legacy-samples.sh: utmpdump (util-linux) is missing" >&2; exit 1; }
for name in wtmp btmp; do
  utmpdump -r <"$name.txt" >"$name" 2>/dev/null
  echo "legacy/samples/$name: $(( $(stat -c %s "$name") / 384 )) records"
done

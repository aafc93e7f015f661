#!/usr/bin/env bash
# Builds the C load client of the echo load run, benchmarks/c/echo-load.c, into
# benchmarks/target/echo-load (OUT=... to change it), with gcc against Debian's libssl-dev
# (installed when missing: c/build-deps.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/target/echo-load}"
# shellcheck source=c/build-deps.sh
. "$here/c/build-deps.sh"
install_missing "the echo load client" /usr/include/openssl/ssl.h=libssl-dev

mkdir -p "$(dirname "$out")"
# -Werror: the client is ours alone, so a warning is a bug to fix, not noise.
# shellcheck disable=SC2046
gcc -O2 -g -Wall -Wextra -Werror -std=gnu11 -o "$out" "$here/c/echo-load.c" \
  $(pkg-config --cflags --libs openssl)
echo "$out (OpenSSL $(pkg-config --modversion openssl))" >&2

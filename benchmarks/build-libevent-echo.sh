#!/usr/bin/env bash
# Builds the libevent 2.1 peer of the echo load run, benchmarks/c/libevent-echo.c, into
# benchmarks/target/libevent-echo (OUT=... to change it), with gcc against Debian's libevent-dev
# and libssl-dev (installed when missing: c/build-deps.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/target/libevent-echo}"

# shellcheck source=c/build-deps.sh
. "$here/c/build-deps.sh"
install_missing "the libevent echo server" /usr/include/event2/bufferevent_ssl.h=libevent-dev \
  /usr/include/openssl/ssl.h=libssl-dev

mkdir -p "$(dirname "$out")"
# -O2 as Debian builds libevent itself; the server is a thin layer over the library.
# shellcheck disable=SC2046
gcc -O2 -g -Wall -Wextra -std=gnu11 -o "$out" "$here/c/libevent-echo.c" \
  $(pkg-config --cflags --libs libevent libevent_openssl openssl)
echo "$out ($(pkg-config --modversion libevent), OpenSSL $(pkg-config --modversion openssl))" >&2

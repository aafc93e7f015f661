#!/usr/bin/env bash
# Builds the libevent 2.1 peer of the echo load run, benchmarks/c/libevent-echo.c, into
# benchmarks/target/libevent-echo (OUT=... to change it), with gcc against Debian's libevent-dev
# and libssl-dev. Installs those (and gcc, pkg-config) with apt-get when they are missing, as
# .ci/run does for its peers; sudo only when not root.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/target/libevent-echo}"

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
[ -f /usr/include/event2/bufferevent_ssl.h ] || need+=(libevent-dev)
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} for the libevent echo server" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  # Non-interactive, passed through env because sudo would drop an exported variable.
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

mkdir -p "$(dirname "$out")"
# -O2 as Debian builds libevent itself; the server is a thin layer over the library.
# shellcheck disable=SC2046
gcc -O2 -g -Wall -Wextra -std=gnu11 -o "$out" "$here/c/libevent-echo.c" \
  $(pkg-config --cflags --libs libevent libevent_openssl openssl)
echo "$out ($(pkg-config --modversion libevent), OpenSSL $(pkg-config --modversion openssl))" >&2

#!/usr/bin/env bash
# Builds the C load client of the echo load run, benchmarks/c/echo-load.c, into
# benchmarks/target/echo-load (OUT=... to change it), with gcc against Debian's libssl-dev.
# Installs those (and pkg-config) with apt-get when they are missing, as
# build-libevent-echo.sh does; sudo only when not root.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/target/echo-load}"

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} for the echo load client" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  # Non-interactive, passed through env because sudo would drop an exported variable.
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

mkdir -p "$(dirname "$out")"
# -Werror: the client is ours alone, so a warning is a bug to fix, not noise.
# shellcheck disable=SC2046
gcc -O2 -g -Wall -Wextra -Werror -std=gnu11 -o "$out" "$here/c/echo-load.c" \
  $(pkg-config --cflags --libs openssl)
echo "$out (OpenSSL $(pkg-config --modversion openssl))" >&2

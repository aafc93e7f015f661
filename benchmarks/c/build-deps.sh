# Sourced by the C build scripts beside benchmarks/ (build-libevent-echo.sh, build-echo-load.sh):
# installs gcc, pkg-config and the -dev packages a build names when they are missing, with
# apt-get, as .ci/run does for its peers; sudo only when not root.
#
#   install_missing "what it is for" HEADER=PACKAGE...
install_missing() {
  local why="$1"
  shift
  local need=()
  command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
  command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
  local hp
  for hp in "$@"; do
    [ -f "${hp%%=*}" ] || need+=("${hp#*=}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]} for $why" >&2
    local SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    # Non-interactive, passed through env because sudo would drop an exported variable.
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  fi
}

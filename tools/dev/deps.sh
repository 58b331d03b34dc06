# Sourced by tools/test.sh and tools/demo.sh: installs the Debian 12 packages the project needs,
# only those missing, so running it again is cheap and changes nothing.
# rapidjson-dev and libsimdjson-dev are optional: only loyalty-bench's JSON parser comparison
# (--scenario json) uses them, and the build skips them when they are missing.
LOYALTY_PACKAGES=(cmake g++ ninja-build pkg-config libpoco-dev libsqlite3-dev libssl-dev catch2
  rapidjson-dev libsimdjson-dev)

loyalty_install_deps() {
  local missing=()
  local p
  for p in "${LOYALTY_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "==> packages: all present"
    return 0
  fi
  echo "==> installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

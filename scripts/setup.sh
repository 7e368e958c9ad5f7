# Shared by scripts/start and scripts/test (sourced, not run): section headers, the system
# packages, the front end's npm packages, and building the release app.
#
# Builds go to CARGO_TARGET_DIR, by default outside the clone (~/.cache/wijkwerk/target), so that
# a fresh clone (as in CI) reuses the previous run's builds.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/wijkwerk/target}"
# Debug builds (the tests, for Linux and Windows) keep line tables only: backtraces still name
# file and line, and the target folder stays a third of its size (full debug information filled
# a 90 GB disk with the Windows build's tests on top of Linux's).
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}"
export PATH="$HOME/.cargo/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
# The release binary that `tauri build` makes.
APP="$CARGO_TARGET_DIR/release/wijkwerk-desktop"

# What Tauri needs to build and run on Debian/Ubuntu.
APP_PACKAGES=(libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev
  # The OS keyring for the sync token (Secret Service over D-Bus).
  libdbus-1-dev pkg-config)
# What the end-to-end test adds: a virtual screen and WebKit's WebDriver; Chromium and its
# WebDriver for the department colleagues' web pages on the server.
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver chromium chromium-driver)

# The test suite's store key (the raw key in .cargo/config.toml, which cargo gives to what it
# runs): the test scripts give it to the CLI and the app they start themselves, which no keyring
# answers for on a test machine. Never used by scripts/start: there the store's key is in the OS
# keyring, or the window asks for a passphrase.
use_test_store_key() {
  WIJKWERK_PASSPHRASE="$(sed -n 's/^WIJKWERK_PASSPHRASE = "\(.*\)"$/\1/p' "$ROOT/.cargo/config.toml")"
  [[ -n "$WIJKWERK_PASSPHRASE" ]] || { echo "no WIJKWERK_PASSPHRASE in .cargo/config.toml" >&2; exit 1; }
  export WIJKWERK_PASSPHRASE
}

section() {
  printf '\n==== %s ====\n' "$*"
}

# Installs the Debian packages given that are not installed yet (one apt-get update, only when
# something is missing). `--no-install-recommends` first leaves out what they only recommend
# (LibreOffice recommends a desktop's worth).
install_packages() {
  local missing=() package options=()
  if [[ "${1:-}" == --no-install-recommends ]]; then
    options+=("$1")
    shift
  fi
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  if ((${#missing[@]} == 0)); then
    echo "All ${#} packages are installed."
    return
  fi
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || {
      echo "Installing ${missing[*]} needs root (or sudo)." >&2
      exit 1
    }
    sudo=(sudo)
  fi
  echo "Installing: ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y "${options[@]}" "${missing[@]}" </dev/null
}

# Node 20.19 or newer (Vite 8 needs it).
check_node() {
  command -v node >/dev/null && command -v npm >/dev/null || {
    echo "Node.js and npm are needed (Node 20.19 or newer)." >&2
    exit 1
  }
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
                process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    echo "Node $(node --version) is too old: the front end needs Node 20.19 or newer." >&2
    exit 1
  fi
}

# The front end's packages, exactly as ui/package-lock.json says (skipped when they are already).
ui_packages() {
  check_node
  local installed="$ROOT/ui/node_modules/.package-lock.json"
  if [[ -f "$installed" && "$installed" -nt "$ROOT/ui/package-lock.json" \
    && "$installed" -nt "$ROOT/ui/package.json" ]]; then
    echo "ui/node_modules is up to date."
    return
  fi
  npm ci --prefix "$ROOT/ui" --no-audit --no-fund
}

# The app's version, as the packages carry it (tauri.conf.json).
app_version() {
  /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$ROOT/tauri.conf.json"
}

# The release app with its web assets inside (the Tauri CLI turns on `custom-protocol` and runs
# the front end's build first, see tauri.conf.json).
build_app() {
  (cd "$ROOT" && "$ROOT/ui/node_modules/.bin/tauri" build --no-bundle)
  [[ -x "$APP" ]] || {
    echo "The build made no app at $APP." >&2
    exit 1
  }
  echo "App: $APP"
}

# Shared by scripts/test and scripts/demo: a Python venv with the pinned emulator, and the emulator.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROLECALL_VENV:-$ROOT/.venv}"
REQUIREMENTS="$ROOT/tests/emulator/requirements.txt"

# Makes $VENV hold exactly what tests/emulator/requirements.txt pins (re-installs when it changes).
ensure_venv() {
  if ! command -v python3 >/dev/null 2>&1; then
    echo "rolecall: python3 is needed for the AWS emulator (moto); installing it" >&2
    apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
  fi
  local stamp="$VENV/.rolecall-requirements"
  if [ -x "$VENV/bin/python" ] && cmp -s "$REQUIREMENTS" "$stamp"; then
    return 0
  fi
  echo "rolecall: installing the AWS emulator into $VENV" >&2
  python3 -m venv "$VENV" || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$VENV"; }
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  "$VENV/bin/python" -c "import moto.server, boto3" 
  cp "$REQUIREMENTS" "$stamp"
}

# tmux: the end-to-end tests drive the real TUI in it.
ensure_tmux() {
  command -v tmux >/dev/null 2>&1 && return 0
  echo "rolecall: installing tmux for the end-to-end TUI tests" >&2
  apt-get update -qq && apt-get install -y -qq tmux >/dev/null
}

ensure_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    # shellcheck disable=SC1091
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
  fi
  command -v cargo >/dev/null 2>&1 || { echo "rolecall: cargo (Rust) is needed: see https://rustup.rs" >&2; exit 1; }
}

# Starts the seeded emulator in the background; sets EMULATOR_PID and exports the AWS_* variables
# and ROLECALL_CONFIG that point rolecall at it.
start_emulator() {
  local info
  info="$(mktemp -d)/world.json"
  "$VENV/bin/python" "$ROOT/tests/emulator/moto_server.py" --info-file "$info" >/dev/null &
  EMULATOR_PID=$!
  for _ in $(seq 1 120); do
    [ -s "$info" ] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || { echo "rolecall: the emulator failed to start" >&2; exit 1; }
    sleep 0.5
  done
  [ -s "$info" ] || { echo "rolecall: the emulator did not come up within 60 s" >&2; exit 1; }
  eval "$("$VENV/bin/python" - "$info" <<'PY'
import json, shlex, sys
w = json.load(open(sys.argv[1]))
for k, v in {
    "AWS_ENDPOINT_URL": w["endpoint"],
    "AWS_ACCESS_KEY_ID": w["primary"]["access_key_id"],
    "AWS_SECRET_ACCESS_KEY": w["primary"]["secret_access_key"],
}.items():
    print(f"export {k}={shlex.quote(v)}")
PY
)"
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN
  export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  export ROLECALL_CONFIG="$ROOT/assets/demo/config.toml"
}

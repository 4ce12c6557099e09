#!/usr/bin/env bash
# Install the pinned Checkov (tools/checkov-requirements.txt, a hashed lock) into .tools/checkov,
# apart from .venv: Checkov pins its own boto3/pydantic/networkx and would fight uv.lock.
# Idempotent: does nothing when the environment already matches the lock (stamp = the lock's sha256).
# Usage: tools/install-checkov.sh [DIR]   (default .tools/checkov; prints the checkov executable's path)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-.tools/checkov}"
lock=tools/checkov-requirements.txt
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [[ -x "$dir/bin/checkov" && "$(cat "$dir/.lock-sha256" 2>/dev/null)" == "$want" ]]; then
  echo "$dir/bin/checkov"
  exit 0
fi
command -v uv >/dev/null 2>&1 || { echo "install-checkov: uv is required (make setup installs it)" >&2; exit 2; }
rm -rf "$dir"
uv venv --quiet --python python3.11 "$dir" >&2
# --require-hashes: every wheel checked against the lock; --no-deps: the lock is complete, resolve nothing.
# --compile-bytecode: our machines set PYTHONDONTWRITEBYTECODE=1, so otherwise every run compiles Checkov again.
VIRTUAL_ENV="$dir" uv pip install --quiet --require-hashes --no-deps --compile-bytecode -r "$lock" >&2
"$dir/bin/checkov" --version >/dev/null
echo "$want" > "$dir/.lock-sha256"
echo "$dir/bin/checkov"

#!/usr/bin/env bash
# Install everything the tests need, then lint, type-check and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# System servers and the browser: real Redis, PostgreSQL and Chromium for the tests,
# wrk for the benchmark smoke test. Installed only where missing and where we may.
need=()
command -v redis-server >/dev/null || need+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
command -v wrk >/dev/null || need+=(wrk)
command -v npm >/dev/null || need+=(nodejs npm)  # dynalite, below
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

python -m pip install -q --disable-pip-version-check -e '.[dev]'

# dynalite: a DynamoDB-compatible server (in memory) for the dynamodb:// store's tests. Its
# native leveldb binding ships prebuilt inside the npm package; in-memory mode needs none.
if ! command -v dynalite >/dev/null && command -v npm >/dev/null; then
  npm install -g --no-audit --no-fund --loglevel=error dynalite >/dev/null
fi

# tests/peers/: the examples/ of the installed PTB and aiogram, from their PyPI sdists
# (never committed; each unpacked with its licence file).
for dist in python-telegram-bot aiogram; do
  version=$(python -c "import importlib.metadata as m; print(m.version('$dist'))")
  if [ ! -d ".peers/$dist-$version" ]; then
    python -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
      "$dist==$version" -d .peers/sdists
    python scripts/unpack_peers.py ".peers/sdists" "$dist" "$version" ".peers/$dist-$version"
  fi
done

ruff check src tests
ruff format --check src tests
mypy

python -m pytest -q "$@"

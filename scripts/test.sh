#!/usr/bin/env bash
# The test command (npm test): installs what is missing, then runs every test,
# unit and integration, in one jest run. Integration tests need root: they
# build test hosts from network namespaces. A skipped or todo test fails the run.
# With a selection (npm test -- test/render) that holds no integration test,
# neither root nor the system packages are needed: only jest runs.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

integration=1
if [ $# -gt 0 ] && [ -x node_modules/.bin/jest ]; then
  selected=$(npx --no-install jest --listTests "$@" 2>/dev/null) || selected=$'\n/test/integration/' # unsure: assume integration
  grep -q '/test/integration/' <<<"$selected" || integration=0
fi

if [ "$integration" = 1 ]; then
  [ "$(id -u)" = 0 ] || {
    echo "test: run as root: the integration tests create network namespaces, veths and iptables rules" \
      "(npm test -- <path> runs a selection without integration tests as any user)" >&2
    exit 2
  }
  bash scripts/setup.sh
  # shellcheck source=/dev/null
  . .hostnet/env.sh
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
rc=0
# In band: integration tests share the kernel (names, iptables) and the machine has 2 cores.
npx --no-install jest --runInBand --json --outputFile="$results/jest.json" "$@" || rc=$?
# With a filter (npm test -- test/render) no integration test has to run.
node scripts/test-summary.js "$results/jest.json" ${1+--filtered} || rc=1
exit "$rc"

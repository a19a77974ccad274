#!/usr/bin/env bash
# npm run docs:check: fails when docs/api (the API reference generated from the
# TypeScript by typedoc) differs from what the sources generate now.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "docs: generating the API reference into $tmp"
npx --no-install typedoc --logLevel Warn --out "$tmp/api"
if ! diff -ru docs/api "$tmp/api" >"$tmp/diff"; then
  echo "docs: docs/api is stale; run \"npm run docs\" and commit docs/api. The difference:" >&2
  head -60 "$tmp/diff" >&2
  exit 1
fi
echo "docs: docs/api is up to date ($(find docs/api -name '*.md' | wc -l) pages)"

#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing, builds dist/ (the notebooks import it),
# type-checks and lints everything, then runs the test files (all of test/, or the files/folders given).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
node node_modules/typescript/bin/tsc -p tsconfig.json
node node_modules/typescript/bin/tsc -p tsconfig.check.json
npx --no-install eslint --max-warnings 0 .
npx --no-install prettier --check --log-level warn .
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(test)
mapfile -t files < <(find "${targets[@]}" -name '*.test.ts' | sort)
[ ${#files[@]} -gt 0 ] || { echo "test: no *.test.ts files under ${targets[*]}" >&2; exit 1; }
exec node --import tsx --test --test-reporter=spec "${files[@]}"

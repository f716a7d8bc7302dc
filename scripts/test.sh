#!/usr/bin/env bash
# The README's test command (`npm test`, what CI runs): installs what is missing, builds dist/ (the notebooks import
# it), type-checks and lints everything, then runs the test files (all of test/, or the files/folders given).
#
# `--unit` (`npm run test:unit`): the fast tier for the edit loop, under a minute. It installs, builds, type-checks
# and lints nothing (run `npm run typecheck` and `npm run lint` for those) and runs only the test files that need
# no browser, Prometheus, Jupyter kernel, child `abrec` processes or full pipeline. The rule goes by folder and file
# name, so a new test file lands in a tier without editing a list:
#   - left out, by folder: test/notebooks/ (Jupyter kernels), test/pipeline/ (the whole experiment), test/cli/
#     (every test spawns `abrec` end to end);
#   - left out, by name: *browser*.test.ts (headless Chromium), *prometheus*.test.ts (the Prometheus binary);
#   - everything else under the targets runs. A new test that needs one of those belongs in such a folder or name.
set -euo pipefail
cd "$(dirname "$0")/.."
unit=false
if [ "${1:-}" = "--unit" ]; then
  unit=true
  shift
fi
if ! $unit; then
  bash scripts/bootstrap.sh
  npm run --silent build
  node node_modules/typescript/bin/tsc -p tsconfig.check.json
  npx --no-install eslint --max-warnings 0 .
  npx --no-install prettier --check --log-level warn .
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(test)
if $unit; then
  mapfile -t files < <(find "${targets[@]}" -name '*.test.ts' \
    -not -path '*test/notebooks/*' -not -path '*test/pipeline/*' -not -path '*test/cli/*' \
    -not -name '*browser*' -not -name '*prometheus*' | sort)
else
  mapfile -t files < <(find "${targets[@]}" -name '*.test.ts' | sort)
fi
[ ${#files[@]} -gt 0 ] || { echo "test: no *.test.ts files under ${targets[*]}" >&2; exit 1; }
exec node --import tsx --test --test-reporter=spec "${files[@]}"

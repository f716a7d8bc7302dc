#!/usr/bin/env bash
# `open`: starts Jupyter Notebook on notebooks/ with the project-local tslab kernel.
# `execute [NOTEBOOK...]`: executes notebooks in place (their committed outputs), on the default dataset.
set -euo pipefail
cd "$(dirname "$0")/.."
export JUPYTER_PATH="$PWD/jupyter" JUPYTER_RUNTIME_DIR="$PWD/tmp/jupyter-runtime"
mkdir -p "$JUPYTER_RUNTIME_DIR"
case "${1:-open}" in
  open)
    extra=(); [ "$(id -u)" -eq 0 ] && extra=(--allow-root)
    exec jupyter notebook --notebook-dir notebooks "${extra[@]}" ;;
  execute)
    shift
    notebooks=("$@"); [ ${#notebooks[@]} -gt 0 ] || notebooks=(notebooks/[0-9]*.ipynb)
    for nb in "${notebooks[@]}"; do
      echo "executing $nb" >&2
      /usr/bin/python3 scripts/run_notebook.py "$nb" --output "$nb"
    done ;;
  *) echo "usage: notebooks.sh open|execute [NOTEBOOK...]" >&2; exit 2 ;;
esac

#!/usr/bin/python3
"""Executes a notebook headlessly with the project-local tslab kernel.

On failure it prints the failing cell's source and its real error (tslab puts the message on the cell's stderr,
which nbconvert hides behind `<Error>`), and exits 1. Environment variables pass through to the kernel, which is
how notebook parameters are set (see the parameters cell of each notebook).

usage: run_notebook.py NOTEBOOK --output PATH [--timeout SECONDS]
"""
import argparse
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cell_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(f"[{out.get('name')}] {out.get('text', '')}")
        elif out.get("output_type") == "error":
            parts.append(f"[error] {out.get('ename')}: {out.get('evalue')}\n" + "\n".join(out.get("traceback", [])))
    return "".join(parts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("notebook")
    parser.add_argument("--output", required=True)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args()

    os.environ["JUPYTER_PATH"] = os.path.join(ROOT, "jupyter")
    os.environ.setdefault("JUPYTER_RUNTIME_DIR", os.path.join(ROOT, "tmp", "jupyter-runtime"))
    os.makedirs(os.environ["JUPYTER_RUNTIME_DIR"], exist_ok=True)

    nb = nbformat.read(args.notebook, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="tslab",
        timeout=args.timeout,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
    )
    failed = None
    try:
        client.execute()
    except CellExecutionError:
        failed = next(
            (c for c in nb.cells if c.cell_type == "code" and any(
                o.get("output_type") == "error" or (o.get("output_type") == "stream" and o.get("name") == "stderr")
                for o in c.get("outputs", []))),
            None,
        )
        if failed is None:
            raise
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    tmp = args.output + ".tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, args.output)
    if failed is not None:
        index = nb.cells.index(failed)
        sys.stderr.write(f"{args.notebook}: cell {index} failed\n--- source ---\n{failed.source}\n--- output ---\n{cell_text(failed)}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()

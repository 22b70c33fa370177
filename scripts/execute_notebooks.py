"""Re-execute chapter notebooks deterministically and store their outputs.

Usage: python scripts/execute_notebooks.py notebooks/01_self_reward_kl_step.py [...]

The paired ``.py`` (jupytext percent format) is the source a reviewer edits.
For each one this script reads it, executes it with nbclient in the
``notebooks/`` directory (no timing metadata, deterministic cell ids, seeded
hash), and writes both the ``.ipynb`` (with outputs) and the ``.py`` from the
same notebook object, so the pair is identical by construction.  Running it
twice gives byte-identical files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
TIMEOUT_S = 900


def execute(py_path: Path) -> None:
    nb = jupytext.read(py_path)
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("execution", None)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(py_path.parent)}},
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
                if out.get("output_type") == "error":  # e.g. a figure that failed to render
                    raise RuntimeError(f"{py_path}: a cell produced an error output: {out.get('ename')}")
    nb.metadata["language_info"] = {"name": "python", "version": ".".join(map(str, sys.version_info[:3]))}
    nbformat.validate(nb)
    jupytext.write(nb, py_path.with_suffix(".ipynb"))
    jupytext.write(nb, py_path, fmt="py:percent")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    os.environ.setdefault("PYTHONHASHSEED", "0")
    for arg in argv:
        path = Path(arg)
        if path.suffix == ".ipynb":
            path = path.with_suffix(".py")
        if not path.is_file():
            print(f"no such notebook source: {path}", file=sys.stderr)
            return 2
        print(f"executing {path}", flush=True)
        execute(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

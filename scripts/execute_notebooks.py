"""Re-execute chapter notebooks deterministically and store their outputs.

Usage: python scripts/execute_notebooks.py notebooks/01_self_reward_kl_step.py [...]

The paired ``.py`` (jupytext percent format) is the source a reviewer edits.
For each one this script reads it, executes it with nbclient in the
``notebooks/`` directory (no timing metadata, deterministic cell ids, seeded
hash), and writes both the ``.ipynb`` (with outputs) and the ``.py`` from the
same notebook object, so the pair is identical by construction.  Running it
twice gives byte-identical files.

The wall time and date of each execution, and the interpreter and platform it ran on,
go to ``book/_static/exec_times/NN_topic.json`` (one file per chapter, never into the
notebook, whose bytes must not change); the status page tabulates them.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
TIMEOUT_S = 900
TIMES_DIR = Path(__file__).resolve().parents[1] / "book" / "_static" / "exec_times"


def record_time(py_path: Path, seconds: float, when: datetime) -> Path:
    """Write the chapter's execution record (wall time, UTC date, interpreter, platform)."""
    TIMES_DIR.mkdir(parents=True, exist_ok=True)
    record = {
        "notebook": f"notebooks/{py_path.with_suffix('.ipynb').name}",
        "seconds": round(seconds, 1),
        "executed_utc": when.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
    }
    out = TIMES_DIR / f"{py_path.stem}.json"
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return out


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stream outputs of the same name (stdout/stderr).

    How the kernel splits printed text into messages depends on timing, so without this the
    stored notebook's structure (not its text) could differ between two runs.
    """
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and out.get("output_type") == "stream"
            and prev.get("output_type") == "stream"
            and prev.get("name") == out.get("name")
        ):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


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
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - t0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
                if out.get("output_type") == "error":  # e.g. a figure that failed to render
                    raise RuntimeError(f"{py_path}: a cell produced an error output: {out.get('ename')}")
            cell["outputs"] = coalesce_streams(cell.get("outputs", []))
    nb.metadata["language_info"] = {"name": "python", "version": ".".join(map(str, sys.version_info[:3]))}
    nbformat.validate(nb)
    jupytext.write(nb, py_path.with_suffix(".ipynb"))
    jupytext.write(nb, py_path, fmt="py:percent")
    record_time(py_path, seconds, started)


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

"""The project's Jupyter kernel ("srlm-companion", installed by `make setup`) runs a chapter.

`make lab` opens JupyterLab with this kernel. The test executes chapter 2 through it
with nbclient, as the deterministic executor does, and compares every text output
(streams, ``text/plain``, ``text/latex``) with the stored one after the same
sanitisation strict nbval applies (tests/nbval_sanitize.cfg).
"""

from __future__ import annotations

import configparser
import copy
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
KERNEL = "srlm-companion"
CHAPTER = REPO / "notebooks" / "02_condition_number.ipynb"


def _sanitizers() -> list[tuple[re.Pattern[str], str]]:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "tests" / "nbval_sanitize.cfg")
    return [(re.compile(cfg[s]["regex"]), cfg[s]["replace"]) for s in cfg.sections()]


def _texts(cell: nbformat.NotebookNode, subs: list[tuple[re.Pattern[str], str]]) -> list[str]:
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            out.append(f"{o['name']}: {o['text']}")
        elif o["output_type"] in ("execute_result", "display_data"):
            for mime in ("text/plain", "text/latex"):
                if mime in o.get("data", {}):
                    data = o["data"][mime]
                    out.append(f"{mime}: {''.join(data) if isinstance(data, list) else data}")
    cleaned = []
    for text in out:
        for rx, rep in subs:
            text = rx.sub(rep, text)
        cleaned.append(text)
    return cleaned


def test_kernelspec_is_this_environment() -> None:
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        pytest.fail(f"no Jupyter kernel {KERNEL!r}: run `make setup` (it installs the kernelspec into .venv)")
    assert spec.language == "python"
    assert Path(spec.argv[0]).resolve() == Path(sys.executable).resolve(), "the kernel runs this venv's Python"


def test_chapter_runs_in_the_named_kernel() -> None:
    stored = nbformat.read(CHAPTER, as_version=4)
    nb = copy.deepcopy(stored)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    NotebookClient(nb, timeout=600, kernel_name=KERNEL, record_timing=False,
                   resources={"metadata": {"path": str(CHAPTER.parent)}}).execute()
    subs = _sanitizers()
    code = [(a, b) for a, b in zip(stored.cells, nb.cells, strict=True) if a.cell_type == "code"]
    compared = 0
    for i, (old, new) in enumerate(code):
        assert _texts(new, subs) == _texts(old, subs), f"code cell {i} of {CHAPTER.name} differs in the named kernel"
        compared += len(_texts(old, subs))
    assert compared >= 3, "chapter 2 should have several text outputs to compare"
    glued = [o for _, c in code for o in c.get("outputs", []) if "application/papermill.record/text/plain" in
             o.get("data", {})]
    assert glued, "glued numbers are produced in the named kernel too"

"""Each chapter notebook is paired with its percent-format twin, cell for cell.

jupytext --sync trusts file modification times, which mean nothing after a
clone, so the pair is compared here by content (cell type, source, tags).
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def cells(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    nb = jupytext.read(path)
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no chapter notebooks found"


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.name)
def test_pair_matches(ipynb: Path) -> None:
    twin = ipynb.with_suffix(".py")
    assert twin.is_file(), f"{ipynb.name} has no paired {twin.name}"
    assert cells(ipynb) == cells(twin)
    meta = jupytext.read(ipynb).metadata
    assert meta["jupytext"]["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_outputs_and_is_in_toc(ipynb: Path) -> None:
    nb = jupytext.read(ipynb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("outputs") is not None for c in code)
    assert any(c.outputs for c in code), "stored without outputs: run `make execute`"
    for c in code:
        assert c.get("execution_count") is not None, "a code cell was never executed"
        errors = [o for o in c.outputs if o.get("output_type") == "error"]
        assert not errors, f"stored error output (e.g. a figure that failed to render): {errors[0].get('ename')}"
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    assert f"notebooks/{ipynb.name}" in files

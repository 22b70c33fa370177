"""Code a reader sees fits the book's column: no horizontal scrolling at 1400 px.

The book's text column holds about 88 monospace characters at 1400 px, so every line of
a code cell (hidden plotting cells included: a reader can unfold them) and every line a
cell prints is at most 88 characters. Markdown cells are prose and wrap by themselves.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_COLUMNS = 88


def long_lines(nb: nbformat.NotebookNode) -> list[str]:
    """Every code-cell source line and stream-output line longer than MAX_COLUMNS."""
    hits = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            if len(line) > MAX_COLUMNS:
                hits.append(f"cell {index} source ({len(line)}): {line[:60]}...")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                for line in output.get("text", "").splitlines():
                    if len(line) > MAX_COLUMNS:
                        hits.append(f"cell {index} {output['name']} ({len(line)}): {line[:60]}...")
    return hits


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_code_and_printed_lines_fit_the_column(path: Path) -> None:
    hits = long_lines(nbformat.read(path, as_version=4))
    assert not hits, f"{path.name}: {len(hits)} lines over {MAX_COLUMNS} columns:\n" + "\n".join(hits[:20])


def test_the_check_catches_a_long_line() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("x" * 200),
        nbformat.v4.new_code_cell("y = 1  # " + "z" * 100),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="w" * 89 + "\n")]
    hits = long_lines(nb)
    assert len(hits) == 2 and hits[0].startswith("cell 1 source") and "stdout" in hits[1]

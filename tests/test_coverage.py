"""book/coverage.md and the chapters' labelled results must match exactly."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Labelled remarks are listed too: they hold the approximations and the paper's unproved claims.
RESULT_KINDS = ("theorem", "lemma", "proposition", "corollary", "remark")


def chapter_labels() -> dict[str, str]:
    found: dict[str, str] = {}
    pattern = re.compile(r"```\{prf:(\w+)\}[^\n]*\n#\s*:label:\s*(\S+)")
    for path in sorted((ROOT / "notebooks").glob("*.py")):
        for kind, label in pattern.findall(path.read_text(encoding="utf-8")):
            if kind in RESULT_KINDS:
                assert label not in found, f"label {label} defined twice"
                found[label] = path.name
    return found


def coverage_labels() -> list[str]:
    rows = [
        line
        for line in (ROOT / "book" / "coverage.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and "{prf:ref}" in line
    ]
    return [m for row in rows for m in re.findall(r"\{prf:ref\}`([^`]+)`", row)]


def test_every_row_points_to_an_existing_label() -> None:
    labels = chapter_labels()
    missing = [lab for lab in coverage_labels() if lab not in labels]
    assert not missing, f"coverage rows point to labels no chapter defines: {missing}"


def test_every_labelled_result_has_a_row() -> None:
    rows = set(coverage_labels())
    absent = sorted(set(chapter_labels()) - rows)
    assert not absent, f"labelled results missing from book/coverage.md: {absent}"


def test_no_duplicate_rows() -> None:
    rows = coverage_labels()
    assert len(rows) == len(set(rows))


def test_the_parser_sees_the_chapters() -> None:
    assert len(chapter_labels()) >= 10  # guards against a regex that silently matches nothing

"""The book cites the paper and its public reviews, never the project's internal specification.

The internal specification (a reconstruction of the paper's formulas kept outside the book) has
its own numbering ("Result 6.2", "§3 step 5"); a reader cannot look that up, so no page,
notebook or docstring may use it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = [
    re.compile(r"THEOREMS(\.md)?"),
    re.compile(r"\bResults? \d+\.\d+"),
    re.compile(r"\bour (own )?specification\b", re.IGNORECASE),
    re.compile(r"\bthe (project's )?specification\b", re.IGNORECASE),
]


def citations_of_the_spec(text: str) -> list[str]:
    """Every forbidden phrase in ``text``, with its line number."""
    hits = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        for pattern in FORBIDDEN:
            for match in pattern.finditer(line):
                hits.append(f"{lineno}: {match.group(0)!r}")
    return hits


def reader_facing_files() -> list[Path]:
    files = sorted((ROOT / "book").glob("*.md"))
    files += sorted((ROOT / "notebooks").glob("*.py"))
    files += sorted((ROOT / "srlm").glob("*.py"))
    return files


@pytest.mark.parametrize("path", reader_facing_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_citation_of_the_internal_specification(path: Path) -> None:
    hits = citations_of_the_spec(path.read_text(encoding="utf-8"))
    assert not hits, f"{path.relative_to(ROOT)} cites the internal specification: {hits}"


@pytest.mark.parametrize(
    "text",
    ["see THEOREMS.md §6", "by Result 6.2 we get", "as our specification says", "Results 9.1 and 9.2"],
)
def test_the_check_catches_each_form(text: str) -> None:
    assert citations_of_the_spec(text)


def test_the_check_lets_paper_citations_through() -> None:
    assert not citations_of_the_spec("paper Theorem 5.3, Eq. 7; Lemma C.3; Corollary 5.7; App. D")


def test_the_files_are_found() -> None:
    assert len(reader_facing_files()) >= 20

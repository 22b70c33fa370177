"""The PDF check, the execution-time records and the API page's coverage of srlm.

``scripts/check_pdf.py`` must fail on a missing glyph, a short PDF and undefined
references (shown on synthetic xelatex logs); the executor's timing record is JSON
with the fields the status page shows; every public ``srlm`` module is on the API page.
"""

from __future__ import annotations

import importlib.util
import json
import pkgutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import srlm

REPO = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


check_pdf = _load("check_pdf")
executor = _load("execute_notebooks")

GOOD_LOG = "This is XeTeX\nOutput written on srlm-companion.pdf (155 pages).\n"


def _latex(tmp_path: Path, log: str) -> Path:
    (tmp_path / "srlm-companion.pdf").write_bytes(b"%PDF-1.5\n")
    (tmp_path / "srlm-companion.log").write_text(log, encoding="utf-8")
    return tmp_path


def test_good_pdf_passes(tmp_path: Path) -> None:
    assert check_pdf.check(_latex(tmp_path, GOOD_LOG), 100) == (155, [])


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("Missing character: There is no \u6f22 (U+6F22) in font FreeSerif/OT:script=latn;!\n", "missing glyph"),
        ("LaTeX Warning: There were undefined references.\n", "undefined references"),
        ("LaTeX Warning: Citation `fu2026' on page 3 undefined on input line 9.\n", "Citation"),
        ("Overfull \\vbox (60.93831pt too high) detected at line 2151\n", "overflows its text area by 61pt"),
    ],
)
def test_pdf_defects_fail(tmp_path: Path, extra: str, expected: str) -> None:
    _pages, problems = check_pdf.check(_latex(tmp_path, GOOD_LOG + extra), 100)
    assert any(expected in p for p in problems), problems


def test_routine_overfull_box_passes(tmp_path: Path) -> None:
    log = GOOD_LOG + "Overfull \\vbox (4.36877pt too high) detected at line 1492\n"
    assert check_pdf.check(_latex(tmp_path, log), 100) == (155, [])


def test_short_or_missing_pdf_fails(tmp_path: Path) -> None:
    assert check_pdf.check(_latex(tmp_path, "Output written on srlm-companion.pdf (12 pages).\n"), 100)[1]
    assert check_pdf.check(tmp_path / "nowhere", 100)[1]


def test_execution_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor, "TIMES_DIR", tmp_path)
    out = executor.record_time(Path("notebooks/02_condition_number.py"), 12.345, datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    rec = json.loads(out.read_text(encoding="utf-8"))
    assert out.name == "02_condition_number.json"
    assert rec["notebook"] == "notebooks/02_condition_number.ipynb"
    assert rec["seconds"] == 12.3 and rec["executed_utc"] == "2026-01-02 03:04"
    assert {"python", "platform", "cpus"} <= rec.keys()


def test_api_page_covers_every_public_module() -> None:
    page = (REPO / "book" / "api.md").read_text(encoding="utf-8")
    public = sorted(m.name for m in pkgutil.iter_modules(srlm.__path__) if not m.name.startswith("_"))
    missing = [m for m in public if f".. automodule:: srlm.{m}\n" not in page]
    assert not missing, f"book/api.md does not document: {missing}"


def test_book_style_is_valid_and_legible() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.style.context(REPO / "book" / "_static" / "srlm-book.mplstyle"):
        rc = matplotlib.rcParams
        assert rc["figure.dpi"] >= 150 and rc["savefig.dpi"] >= 150
        assert rc["font.size"] >= 10 and rc["legend.fontsize"] >= 9 and rc["xtick.labelsize"] >= 9
        fig, ax = plt.subplots()
        assert tuple(fig.get_size_inches()) == (6.0, 3.6)
        plt.close(fig)


def test_executor_coalesces_split_streams() -> None:
    """Stored outputs must not depend on how the kernel happened to split printed text."""
    module = _load("execute_notebooks")
    outs = [
        {"output_type": "stream", "name": "stdout", "text": ["a\n"]},
        {"output_type": "stream", "name": "stdout", "text": "b\n"},
        {"output_type": "stream", "name": "stderr", "text": "w\n"},
        {"output_type": "display_data", "data": {}, "metadata": {}},
        {"output_type": "stream", "name": "stdout", "text": "c\n"},
    ]
    merged = module.coalesce_streams(outs)
    assert [o["output_type"] for o in merged] == ["stream", "stream", "display_data", "stream"]
    assert merged[0]["text"] == "a\nb\n" and merged[1]["name"] == "stderr" and merged[3]["text"] == "c\n"

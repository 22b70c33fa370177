"""The browser check catches every failure class it claims to, each on a deliberately broken page.

A tiny site is written to a temporary directory (pages shaped like the book's: MathJax
from the vendored copy, ``tex2jax_ignore`` sections, ``.math`` elements, a ``_sources/``
copy of the Markdown); one page per failure class is broken on purpose, and one page is
clean. ``scripts/browser_check.check_site`` must report each broken page under its class
(and only there), and nothing on the clean page, at 1400 px and at 390 px.

Skipped when Chromium or the vendored MathJax is missing (``make browser-check`` installs
Chromium with ``scripts/ensure_chromium.sh``; ``make setup`` vendors MathJax).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MATHJAX = REPO / "_vendor" / "mathjax"

sys.path.insert(0, str(REPO / "book" / "_ext"))
from vendored_mathjax import ENTRY, MATHJAX4_CONFIG  # noqa: E402  (the book's own MathJax configuration)

spec = importlib.util.spec_from_file_location("browser_check", REPO / "scripts" / "browser_check.py")
browser_check = importlib.util.module_from_spec(spec)
sys.modules["browser_check"] = browser_check
spec.loader.exec_module(browser_check)

pytestmark = [
    pytest.mark.skipif(browser_check.find_chromium() is None, reason="Chromium not installed"),
    pytest.mark.skipif(not (REPO / "_vendor" / ENTRY).is_file(), reason="MathJax not vendored"),
]

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<script>window.MathJax = %MATHJAX_CONFIG%</script>
<script defer src="../_static/%MATHJAX_ENTRY%"></script>
</head><body>
<article class="bd-article" style="max-width: 800px; margin: 0 auto; padding: 0 8px">
<section class="tex2jax_ignore mathjax_ignore" id="top">
<h1>Fixture</h1>
<p>A clean sentence with inline math <span class="math notranslate nohighlight">\\(\\kappa \\le 1/\\mu\\)</span>
and a <a class="reference internal" href="#top">link to this page</a>.</p>
<div class="math notranslate nohighlight" id="equation-short">\\[\\kappa_{t+1} \\le 1 + b\\sqrt{\\kappa_t}\\]</div>
<pre>print("code may hold $ and \\\\log")</pre>
{body}
</section></article></body></html>
"""
PAGE = PAGE.replace("%MATHJAX_ENTRY%", ENTRY).replace("%MATHJAX_CONFIG%", json.dumps(
    {**MATHJAX4_CONFIG, "options": {**MATHJAX4_CONFIG["options"],
                                    "processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}))

SUM_80 = " + ".join(f"x_{{{i}}}" for i in range(1, 81))  # about 3000 px wide
SUM_14 = " + ".join(f"x_{{{i}}}" for i in range(1, 15))  # about 550 px: too wide only on a phone
# MathJax 4 breaks a long display at its operators (the book's displayOverflow: linebreak), so a
# formula that stays too wide is one it cannot break: here a single long identifier.
ROW_80 = "\\mathrm{" + "abcdefghij" * 30 + "}"  # about 2500 px wide
ROW_14 = "\\mathrm{" + "abcdefghij" * 6 + "}"  # about 500 px: too wide only on a phone
LONG_CODE = "x = " + " + ".join(f"value_{i}" for i in range(20))  # about 200 columns
WIDE_TABLE = "<table><tr>" + "".join(f"<th>column_heading_{i}</th>" for i in range(12)) + "</tr><tr>" + (
    "".join(f"<td>cell_{i}_with_a_long_unbreakable_value</td>" for i in range(12)) + "</tr></table>")

PITFALL_MD = "| result | bound |\n|---|---|\n| Cor 6.4 | $\\log|\\Pi| \\to d$ |\n| Thm 4.1 | $n$ |\n"

BROKEN = {
    "raw_tex": "<p>The bound \\log n and $\\Pi$ leaked as text.</p>",
    "wide_desktop": f'<div class="math notranslate nohighlight">\\[{ROW_80}\\]</div>',
    "wide_phone": f'<div class="math notranslate nohighlight">\\[{ROW_14}\\]</div>',
    "wide_inline": f'<p>Inline: <span class="math notranslate nohighlight">\\({ROW_14}\\)</span> ends here.</p>',
    "wide_code": f"<pre>{LONG_CODE}</pre>",
    "wide_table": WIDE_TABLE,
    "pynum": "<p>The bound is vacuous below n = 2.3e+03 pairs; the tolerance is 1e-07.</p>",
    # The theme's layout that made MathJax 4 measure a too small width (book/_static/css fixes it).
    "overbroken": "<style>div.math { display: flex; flex-direction: row-reverse; }</style>"
    f'<div class="math notranslate nohighlight">\\[{SUM_14}\\]</div>',
    "glue_repr": '<p>The gap is <span class="pasted-text">&lt;IPython.core.display.Markdown object&gt;</span>.</p>',
    "console": "<script>const THEBE_JS_URL = 1;</script><script>const THEBE_JS_URL = 2;</script>"
    "<script>console.error('boom')</script>",
    "missing_figure": '<figure><img src="../_images/no_such_figure.png" alt="a figure"></figure>',
    "xref_qq": "<p>See equation (??) above.</p>",
    "xref_unresolved": '<p>See <span class="xref std std-ref">sec-missing</span>.</p>',
    "xref_role": "<p>See {prf:ref}`thm-main` for the proof.</p>",
    "xref_anchor": '<p>See <a class="reference internal" href="clean.html#no-such-anchor">there</a> '
    'and <a class="reference internal" href="no_such_page.html">here</a>.</p>',
    "table_dom": "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td><td>3</td></tr></table>",
    "header": '<button class="search-button-field">Search</button><button class="search-button-field">Search</button>',
}


def _pitfall_html() -> str:
    """The ``|``-inside-``$...$`` table as MyST's parser (markdown-it) renders it."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark").enable("table").use(dollarmath_plugin).render(PITFALL_MD)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    root = tmp_path_factory.mktemp("site")
    (root / "_static").mkdir()
    (root / "_static" / "mathjax").symlink_to(MATHJAX, target_is_directory=True)
    (root / "_images").mkdir()
    (root / "_images" / "dot.png").write_bytes(PNG_1PX)
    (root / "book").mkdir()
    (root / "_sources" / "book").mkdir(parents=True)
    (root / "index.html").write_text("<!DOCTYPE html><html><body>index</body></html>", encoding="utf-8")
    clean = ('<figure><img src="../_images/dot.png" alt="dot" width="40"></figure>'
             "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>")
    # A long sum that MathJax 4 must break into lines to fit (so it is no problem at either width).
    clean += f'<div class="math notranslate nohighlight">\\[{SUM_80}\\]</div>'
    (root / "book" / "clean.html").write_text(PAGE.replace("{body}", clean), encoding="utf-8")
    (root / "_sources" / "book" / "clean.md").write_text("| a | b |\n|---|---|\n| 1 | $x$ |\n", encoding="utf-8")
    for name, body in BROKEN.items():
        (root / "book" / f"{name}.html").write_text(PAGE.replace("{body}", body), encoding="utf-8")
    (root / "book" / "table_pitfall.html").write_text(PAGE.replace("{body}", _pitfall_html()), encoding="utf-8")
    (root / "_sources" / "book" / "table_pitfall.md").write_text(PITFALL_MD, encoding="utf-8")
    pages = ["book/clean.html", "book/table_pitfall.html", *(f"book/{n}.html" for n in BROKEN)]
    results, info = browser_check.check_site(root, pages, widths=(1400, 390), shots=None)
    results["info"] = info
    return results


def _classes(problems: list[str], width: int | None = None) -> set[str]:
    return {p.split(":")[0] for p in problems if width is None or f"@{width}px" in p or "@" not in p}


def test_clean_page_passes(report: dict[str, list[str]]) -> None:
    assert report["book/clean.html"] == []


@pytest.mark.parametrize(
    ("page", "cls"),
    [
        ("raw_tex", "raw-tex"),
        ("console", "console"),
        ("missing_figure", "missing-figure"),
        ("xref_qq", "xref"),
        ("xref_unresolved", "xref"),
        ("xref_role", "xref"),
        ("xref_anchor", "xref"),
        ("table_dom", "table"),
        ("header", "header"),
        ("pynum", "pynum"),
        ("glue_repr", "glue"),
        ("overbroken", "math-breaks"),
    ],
)
def test_each_failure_class_is_caught(report: dict[str, list[str]], page: str, cls: str) -> None:
    for width in (1400, 390):
        assert cls in _classes(report[f"book/{page}.html"], width), report[f"book/{page}.html"]


def test_wide_math_caught_at_both_widths(report: dict[str, list[str]]) -> None:
    desktop = report["book/wide_desktop.html"]
    assert {"wide-math"} == _classes(desktop)
    assert any("@1400px" in p for p in desktop) and any("@390px" in p for p in desktop)
    phone = report["book/wide_phone.html"]
    assert {"wide-math"} == _classes(phone)
    assert not any("@1400px" in p for p in phone), "a 550 px formula fits the desktop column"
    assert any("@390px" in p and "abcdefghijabcdefghij" in p for p in phone), "the report names the formula"


def test_wide_code_and_tables_fail_on_the_desktop_only(report: dict[str, list[str]]) -> None:
    """At 1400 px they must fit the column; on a phone they scroll, which is reported as info."""
    for page, cls in (("wide_code", "wide-code"), ("wide_table", "wide-table")):
        problems = report[f"book/{page}.html"]
        assert {cls} == _classes(problems), problems
        assert all("@1400px" in p for p in problems), problems
        assert any(f"book/{page}.html @390px" in i for i in report["info"]), report["info"]
    assert "longest line 211 characters: x = value_0" in " ".join(report["book/wide_code.html"])


def test_the_pynum_report_names_both_numbers(report: dict[str, list[str]]) -> None:
    text = " ".join(report["book/pynum.html"])
    assert "2.3e+03" in text and "1e-07" in text


def test_inline_math_past_the_edge_reported_on_a_phone(report: dict[str, list[str]]) -> None:
    """Reported as info (the failure class is display math); it fits the desktop column."""
    assert report["book/wide_inline.html"] == []
    lines = [i for i in report["info"] if "book/wide_inline.html" in i and "inline formula" in i]
    assert lines and all("@390px" in i for i in lines) and "abcdefghijabcdefghij" in lines[0], lines


def test_console_reports_the_duplicate_declaration(report: dict[str, list[str]]) -> None:
    problems = report["book/console.html"]
    assert any("THEBE_JS_URL" in p and "SyntaxError" in p for p in problems)
    assert any("boom" in p for p in problems)


def test_missing_figure_names_the_file(report: dict[str, list[str]]) -> None:
    assert any("no_such_figure.png" in p for p in report["book/missing_figure.html"] if p.startswith("missing-figure"))


def test_broken_links_name_page_and_anchor(report: dict[str, list[str]]) -> None:
    problems = " ".join(report["book/xref_anchor.html"])
    assert "missing anchor" in problems and "no-such-anchor" in problems
    assert "missing page" in problems and "no_such_page.html" in problems


def test_pipe_inside_math_in_a_table(report: dict[str, list[str]]) -> None:
    """The parser drops the extra cell, so the DOM rows agree: the source check and raw TeX catch it."""
    problems = report["book/table_pitfall.html"]
    assert any(p.startswith("table:") and "source row has 4 cells, header 2" in p for p in problems), problems
    assert "raw-tex" in _classes(problems)


def test_table_cells_counts_like_gfm() -> None:
    assert browser_check.table_cells("| a | b |") == 2
    assert browser_check.table_cells("| $\\lvert x \\rvert$ | `a|b` | c \\| d |") == 3
    assert browser_check.table_cells("| $|x|$ | y |") == 4
    md = "text\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n| $|x|$ | 2 |\n\n```\n| not | a | table |\n|---|\n```\n"
    assert browser_check.source_table_problems(md) == ["source row has 4 cells, header 2: | $|x|$ | 2 |"]

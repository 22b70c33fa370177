"""Serve MathJax 4 from the copy vendored by scripts/vendor_mathjax.sh, when it exists.

Without network access the CDN copy of MathJax cannot load and formulas stay raw
TeX. If ``_vendor/mathjax/tex-mml-chtml.js`` exists (``make setup`` fetches it from
the npm registry), the book copies it into ``_static`` and points ``mathjax_path``
at it; otherwise Sphinx's CDN default is left in place.

The vendored copy is configured so that

* a display formula wider than its column is broken into lines at its relations and
  operators (``displayOverflow: "linebreak"``): at a 390 px phone width most displays
  would otherwise be cut off;
* the font files load from the vendored copy (``[mathjax]/fonts``), never the CDN;
* speech and Braille are computed only on request (from the MathJax menu).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parents[2] / "_vendor"
ENTRY = "mathjax/tex-mml-chtml.js"
MATHJAX4_CONFIG: dict[str, Any] = {
    "loader": {"paths": {"fonts": "[mathjax]/fonts"}},
    "output": {"displayOverflow": "linebreak", "linebreaks": {"inline": True, "width": "97%"}},
    # MathJax 4 computes speech and Braille strings for every formula by default; on the API
    # page (about 800 formulas) that takes ~50 s of CPU instead of ~4 s. Screen readers still
    # get each formula as MathML (assistive MathML stays on); the menu can turn speech on.
    "options": {
        "enableEnrichment": False,
        "enableSpeech": False,
        "enableBraille": False,
        "enableExplorer": False,
        "menuOptions": {"settings": {"enrich": False, "speech": False, "braille": False}},
    },
}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _use_vendored(app: Any, config: Any) -> None:
    if (VENDOR / ENTRY).is_file():
        config.mathjax_path = ENTRY
        config.html_static_path = [*config.html_static_path, str(VENDOR)]
        config.mathjax3_config = _merge(config.mathjax3_config or {}, MATHJAX4_CONFIG)


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _use_vendored, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "2"}

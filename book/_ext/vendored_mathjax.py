"""Serve MathJax from the copy vendored by scripts/vendor_mathjax.sh, when it exists.

Without network access the CDN copy of MathJax cannot load and formulas stay raw
TeX. If ``_vendor/mathjax/es5/tex-mml-chtml.js`` exists (``make setup`` fetches it
from the npm registry), the book copies it into ``_static`` and points
``mathjax_path`` at it; otherwise Sphinx's CDN default is left in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parents[2] / "_vendor"
ENTRY = "mathjax/es5/tex-mml-chtml.js"


def _use_vendored(app: Any, config: Any) -> None:
    if (VENDOR / ENTRY).is_file():
        config.mathjax_path = ENTRY
        config.html_static_path = [*config.html_static_path, str(VENDOR)]


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _use_vendored, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}

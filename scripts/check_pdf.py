"""Check the PDF that ``make pdf`` built: it exists, is a whole book, and lacks no glyph.

Usage: python scripts/check_pdf.py [_build/latex] [--min-pages 100]

Reads the final xelatex log next to ``srlm-companion.pdf`` (the preamble sets
``\\tracinglostchars=2``, so every character the fonts lack is logged as
"Missing character") and fails if the PDF is missing, has fewer than
``--min-pages`` pages, lacks a glyph, has undefined references or citations, or has
a page whose content runs past its text area by more than a line (an unbreakable block).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

PDF_NAME = "srlm-companion.pdf"
MAX_OVERFULL_PT = 12.0  # about one line of text


def check(latex_dir: Path, min_pages: int) -> tuple[int | None, list[str]]:
    pdf = latex_dir / PDF_NAME
    log = pdf.with_suffix(".log")
    if not pdf.is_file() or not log.is_file():
        return None, [f"no {pdf} (or its log): the LaTeX build failed"]
    text = log.read_text(encoding="utf-8", errors="replace")
    problems = []
    pages = [int(n) for n in re.findall(r"Output written on .*?\((\d+) pages?", text)]
    n_pages = pages[-1] if pages else None
    if n_pages is None or n_pages < min_pages:
        problems.append(f"{PDF_NAME} has {n_pages} pages, expected at least {min_pages}")
    missing = sorted(set(re.findall(r"Missing character: There is no (.+?) in font ([^!/]+)", text)))
    for char, font in missing:
        problems.append(f"missing glyph {char} in font {font.strip()}")
    # A page whose content runs into the footer: TeX reports the box as overfull by that much.
    # A few points is routine (rounding of glue); a line or more is a block that would not break.
    overfull = r"Overfull \\vbox \(([0-9.]+)pt too high\) (?:detected at|has occurred while \\output is active)"
    for amount, line in re.findall(overfull + r"(?: line (\d+))?", text):
        if float(amount) > MAX_OVERFULL_PT:
            problems.append(f"a page overflows its text area by {float(amount):.0f}pt (tex line {line or '?'})")
    for pattern in (r"There were undefined references", r"Citation `[^']+' on page \d+ undefined",
                    r"There were multiply-defined labels"):
        if re.search(pattern, text):
            problems.append(f"LaTeX: {re.search(pattern, text).group(0)}")
    return n_pages, problems


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("latex_dir", nargs="?", default="_build/latex")
    ap.add_argument("--min-pages", type=int, default=100)
    args = ap.parse_args(argv)
    latex_dir = Path(args.latex_dir)
    n_pages, problems = check(latex_dir, args.min_pages)
    for p in problems:
        print("check_pdf: FAIL", p)
    if not problems:
        size = (latex_dir / PDF_NAME).stat().st_size / 1e6
        print(f"check_pdf: ok {latex_dir / PDF_NAME}: {n_pages} pages, {size:.1f} MB, no missing glyph")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

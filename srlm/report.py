r"""Numbers for prose: LaTeX formatting and myst-nb glue as inline math.

The chapters glue every number they state in the prose from code. A number in
Python notation (``2.3e+03``, ``1e-07``) reads badly in a book; these helpers
turn it into LaTeX (:math:`2.3 \times 10^{3}`, :math:`10^{-7}`) and glue it as a
Markdown inline formula, which the prose pastes with ``{glue:md}`key```
(the book parses pasted Markdown as MyST, ``nb_render_markdown_format: myst``
and ``book/_ext/book_assets.py``, so the ``$...$`` is math).

>>> tex_number(234567.0, 2)
'2.3 \\times 10^{5}'
>>> tex_number(0.0123, 2)
'0.012'
>>> tex_number(1e-7, 1)
'10^{-7}'
"""

from __future__ import annotations

from typing import Any

from srlm._validate import check_int, check_positive, check_scalar

__all__ = ["InlineMath", "glue_math", "glue_tex", "plain_number", "tex_number", "tex_range"]

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _mantissa_exponent(x: float, digits: int) -> tuple[str, int]:
    """``x`` rounded to ``digits`` significant figures as (mantissa string, exponent)."""
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    return mantissa, int(exponent)


def tex_number(x: Any, digits: int = 2, *, sci_below: float = 1e-3, sci_above: float = 1e5) -> str:
    r"""LaTeX for the real number ``x`` rounded to ``digits`` significant figures.

    Numbers with :math:`\mathrm{sci\_below} \le |x| < \mathrm{sci\_above}` are written as
    decimals (``0.012``, ``4800``); the others as :math:`m \times 10^{e}` with
    :math:`1 \le |m| < 10`, and as :math:`10^{e}` when the rounded mantissa is exactly 1
    with one significant figure. Zero is ``0``. Rounding is Python's (round half to
    even on the binary value), done once: ``9.96`` to two figures is ``10``.

    Parameters
    ----------
    x : float
        A finite number.
    digits : int
        Significant figures, at least 1.
    sci_below, sci_above : float
        The decimal range, ``0 < sci_below < sci_above``.

    Raises
    ------
    TypeError
        ``x`` or ``digits`` of the wrong type.
    ValueError
        ``x`` not finite, ``digits < 1``, or a decimal range that is empty.
    """
    value = check_scalar(x, "x")
    digits = check_int(digits, "digits", minimum=1)
    low = check_positive(sci_below, "sci_below")
    high = check_positive(sci_above, "sci_above")
    if not low < high:
        raise ValueError(f"sci_below must be < sci_above, got {low:g} and {high:g}")
    if value == 0.0:
        return "0"
    mantissa, exponent = _mantissa_exponent(value, digits)
    rounded = float(f"{mantissa}e{exponent}")
    if low <= abs(rounded) < high:
        decimals = max(0, digits - 1 - exponent)
        return f"{rounded:.{decimals}f}"
    if mantissa in ("1", "-1"):
        return f"{'-' if value < 0 else ''}10^{{{exponent}}}"
    return rf"{mantissa} \times 10^{{{exponent}}}"


def plain_number(x: Any, digits: int = 2) -> str:
    """The number of :func:`tex_number` as plain Unicode text: ``2.3×10⁵``, ``10⁻⁷``, ``0.012``.

    For places that cannot show math (a ``{glue:text}`` paste on another page, a terminal).
    """
    tex = tex_number(x, digits)
    if "10^{" not in tex:
        return tex
    head, _, exponent = tex.partition("10^{")
    head = head.replace(r" \times ", "×")
    return head + "10" + exponent.rstrip("}").translate(_SUPERSCRIPT)


class InlineMath:
    """An inline formula for myst-nb glue: Markdown ``$tex$``, with a plain-text fallback.

    ``{glue:md}`key``` pastes the math; ``{glue:text}`key``` (the only paste myst-nb allows
    from another page) pastes ``plain`` instead of the object's repr.
    """

    def __init__(self, tex: str, plain: str) -> None:
        if not isinstance(tex, str) or not isinstance(plain, str):
            raise TypeError("tex and plain must be strings")
        if not tex.strip() or not plain.strip():
            raise ValueError("tex and plain must be non-empty")
        if "$" in tex or "\n" in tex:
            raise ValueError("tex must be one line of LaTeX without '$'")
        self.tex = tex
        self.plain = plain

    def _repr_markdown_(self) -> str:
        return f"${self.tex}$"

    def __repr__(self) -> str:
        return self.plain


def tex_range(low: Any, high: Any, digits: int = 2) -> str:
    r"""LaTeX for the range ``low``–``high`` (an en dash), each end by :func:`tex_number`.

    Raises
    ------
    ValueError
        ``low > high`` or either end not finite.
    """
    lo = check_scalar(low, "low")
    hi = check_scalar(high, "high")
    if lo > hi:
        raise ValueError(f"low must be <= high, got {lo:g} and {hi:g}")
    return rf"{tex_number(lo, digits)}\text{{–}}{tex_number(hi, digits)}"


def glue_tex(key: str, tex: str, plain: str | None = None) -> str:
    """Glue the LaTeX string ``tex`` under ``key`` as an inline formula (not displayed).

    Paste it in the prose with ``{glue:md}`key```; on another page ``{glue:text}`key```
    pastes ``plain`` (default: ``tex`` itself). Returns ``tex``.

    Raises
    ------
    TypeError
        ``key``, ``tex`` or ``plain`` not a string.
    ValueError
        An empty ``key`` or ``tex``, or ``tex`` containing ``$`` or a newline.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a string, got {type(key).__name__}")
    if not key:
        raise ValueError("key must be non-empty")
    value = InlineMath(tex, tex if plain is None else plain)
    from myst_nb import glue  # the book's environment only

    glue(key, value, display=False)
    return tex


def glue_math(key: str, x: Any, digits: int = 2) -> str:
    """Glue the number ``x`` under ``key`` as inline math, formatted by :func:`tex_number`.

    The plain-text fallback is :func:`plain_number`. Returns the LaTeX string.
    """
    return glue_tex(key, tex_number(x, digits), plain_number(x, digits))

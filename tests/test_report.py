"""srlm.report: LaTeX numbers for the prose, pinned on hand-checked cases."""

from __future__ import annotations

import numpy as np
import pytest

from srlm.report import InlineMath, glue_tex, plain_number, tex_number, tex_range


@pytest.mark.parametrize(
    ("x", "digits", "expected"),
    [
        (2345.0, 2, "2300"),
        (234567.0, 2, r"2.3 \times 10^{5}"),
        (1e-7, 1, "10^{-7}"),
        (1e-7, 2, r"1.0 \times 10^{-7}"),
        (-1.8e-5, 2, r"-1.8 \times 10^{-5}"),
        (0.0123, 2, "0.012"),
        (0.04, 2, "0.040"),
        (9.96, 2, "10"),
        (99999.0, 2, r"1.0 \times 10^{5}"),
        (480.0, 2, "480"),
        (1.418, 3, "1.42"),
        (0.0, 3, "0"),
        (np.float64(7.4e8), 2, r"7.4 \times 10^{8}"),
        (3, 1, "3"),
    ],
)
def test_tex_number_cases(x: float, digits: int, expected: str) -> None:
    assert tex_number(x, digits) == expected


def test_tex_number_round_trip() -> None:
    """The LaTeX, read back as a number, is within half a unit of the last figure."""
    rng = np.random.default_rng(0)
    for x in 10.0 ** rng.uniform(-12, 12, size=200) * rng.choice([-1, 1], size=200):
        tex = tex_number(x, 3)
        if r"\times" in tex:
            m, e = tex.split(r" \times 10^{")
            back = float(m) * 10.0 ** int(e.rstrip("}"))
        else:
            back = float(tex)
        assert abs(back - x) <= 0.5 * 10.0 ** (np.floor(np.log10(abs(x))) - 2) * (1 + 1e-9)


def test_tex_range() -> None:
    assert tex_range(1.4e-4, 0.12, 2) == r"1.4 \times 10^{-4}\text{–}0.12"
    with pytest.raises(ValueError, match="low must be <= high"):
        tex_range(2, 1)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"x": float("nan")}, ValueError, "x must be finite"),
        ({"x": float("inf")}, ValueError, "x must be finite"),
        ({"x": "1"}, TypeError, "x must be a real number"),
        ({"x": 1.0, "digits": 0}, ValueError, "digits must be >= 1"),
        ({"x": 1.0, "digits": 1.5}, TypeError, "digits must be an integer"),
        ({"x": 1.0, "sci_below": 10.0, "sci_above": 1.0}, ValueError, "sci_below must be < sci_above"),
        ({"x": 1.0, "sci_below": 0.0}, ValueError, "sci_below must be > 0"),
    ],
)
def test_tex_number_errors(kwargs: dict[str, object], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        tex_number(**kwargs)  # type: ignore[arg-type]


def test_plain_number() -> None:
    assert plain_number(234567.0, 2) == "2.3×10⁵"
    assert plain_number(1e-7, 1) == "10⁻⁷"
    assert plain_number(-1.8e-5, 2) == "-1.8×10⁻⁵"
    assert plain_number(0.0123, 2) == "0.012"


def test_inline_math_mime_bundle() -> None:
    """What myst-nb stores: Markdown math for {glue:md}, the plain text for {glue:text}."""
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(InlineMath(r"2.3 \times 10^{5}", "2.3×10⁵"))
    assert data == {"text/markdown": r"$2.3 \times 10^{5}$", "text/plain": "2.3×10⁵"}


def test_glue_tex_errors() -> None:
    with pytest.raises(TypeError, match="tex and plain must be strings"):
        glue_tex("k", 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="key must be a string"):
        glue_tex(1, "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="key must be non-empty"):
        glue_tex("", "x")
    with pytest.raises(ValueError, match="without '\\$'"):
        glue_tex("k", "$x$")
    with pytest.raises(ValueError, match="non-empty"):
        InlineMath(" ", "x")

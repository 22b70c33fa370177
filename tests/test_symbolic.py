"""The symbolic checker must reject wrong derivations, not only accept right ones."""

from __future__ import annotations

import pytest
import sympy as sp

import srlm

p, s, c, beta = sp.symbols("p s c beta", positive=True)
T = sp.symbols("T", integer=True, nonnegative=True)


def test_accepts_true_identities() -> None:
    srlm.assert_identity((c * p ** (s**T)) ** s, c**s * p ** (s ** (T + 1)), "induction step")
    srlm.assert_identity(p * sp.exp(sp.log(p) / beta), p ** (1 + 1 / beta))
    assert srlm.is_zero(sp.log(p * c) - sp.log(p) - sp.log(c))


@pytest.mark.parametrize(
    ("lhs", "rhs"),
    [
        ((c * p ** (s * T)) ** s, c**s * p ** (s * (T + 1))),  # wrong exponent s*T
        (p * sp.exp(sp.log(p) / beta), p ** (1 / beta)),  # dropped the base factor
        (sp.log(p + c), sp.log(p) + sp.log(c)),
    ],
)
def test_rejects_wrong_derivations(lhs: sp.Expr, rhs: sp.Expr) -> None:
    assert not srlm.is_identity(lhs, rhs)
    with pytest.raises(AssertionError, match="not an identity \\[step\\]"):
        srlm.assert_identity(lhs, rhs, "step")


def test_no_forced_log_rules_on_unknown_sign() -> None:
    x, y = sp.symbols("x y")  # no positivity assumption: log(xy) = log x + log y is false in general
    assert not srlm.is_identity(sp.log(x * y), sp.log(x) + sp.log(y))


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="lhs must be a scalar sympy expression"):
        srlm.is_identity(sp.Eq(p, c), p)
    with pytest.raises(TypeError, match="expr must be a scalar sympy expression"):
        srlm.is_zero(sp.Matrix([1, 2]))


def test_strings_are_refused_not_evaluated(tmp_path: pytest.TempPathFactory) -> None:
    """sympify would eval a string: a string argument must raise before anything runs."""
    marker = tmp_path / "ran"  # type: ignore[operator]
    payload = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"
    for call in (
        lambda: srlm.is_zero(payload),
        lambda: srlm.is_identity(payload, 0),
        lambda: srlm.is_identity(0, payload),
        lambda: srlm.assert_identity(payload, payload),
        lambda: srlm.is_zero(payload.encode()),
    ):
        with pytest.raises(TypeError, match="not a string"):
            call()
    assert not marker.exists()


def test_objects_are_not_parsed_through_their_str() -> None:
    class Sneaky:
        def __str__(self) -> str:
            return "__import__('os').getpid()"

    with pytest.raises(TypeError, match="must be a sympy expression or number"):
        srlm.is_zero(Sneaky())
    x = sp.Symbol("x")
    assert srlm.is_zero(x - x) and srlm.is_zero(0) and srlm.is_identity(2, sp.Integer(2))

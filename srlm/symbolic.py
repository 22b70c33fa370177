r"""Exact checks for the symbolic derivations in the chapters.

A derivation step is accepted only if ``lhs - rhs`` simplifies to exactly ``0``.
:func:`is_identity` tries a short, fixed list of sympy rewrites that are valid
for the declared assumptions of the symbols (``expand_log`` and ``powsimp`` are
used without ``force=True``, so they only fire where sympy can prove them: give
your symbols ``positive=True`` where the mathematics requires it).  A step that
is wrong therefore fails — the test-suite checks that deliberately wrong
formulas are rejected.

Arguments must be sympy expressions or numbers; strings are refused (sympy would
evaluate them as Python code).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

__all__ = ["is_identity", "assert_identity", "is_zero"]

_REWRITES: tuple[Callable[[sp.Expr], sp.Expr], ...] = (
    lambda e: e,
    sp.simplify,
    lambda e: sp.simplify(sp.expand_log(e)),
    lambda e: sp.simplify(sp.powsimp(sp.expand_power_base(e))),
    lambda e: sp.simplify(sp.logcombine(e)),
)


def _to_expr(value: Any, name: str) -> sp.Expr:
    # Strings are refused: sympify parses them with eval, so a string could run arbitrary code.
    # strict=True also stops sympify from falling back to parsing str(value) for unknown objects.
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{name} must be a sympy expression or number, not a string (strings are not parsed)")
    try:
        expr = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError) as exc:
        raise TypeError(f"{name} must be a sympy expression or number, got {type(value).__name__}") from exc
    not_scalar = (sp.core.relational.Relational, sp.MatrixBase, sp.MatrixExpr)
    if not isinstance(expr, sp.Expr) or isinstance(expr, not_scalar):
        raise TypeError(f"{name} must be a scalar sympy expression, got {type(expr).__name__}")
    return expr


def is_zero(expr: Any) -> bool:
    """True when ``expr`` rewrites to exactly ``0`` under one of the fixed rewrites."""
    e = _to_expr(expr, "expr")
    return any(f(e) == 0 for f in _REWRITES)


def is_identity(lhs: Any, rhs: Any) -> bool:
    """True when ``lhs - rhs`` rewrites to exactly ``0`` (see module docstring)."""
    return is_zero(_to_expr(lhs, "lhs") - _to_expr(rhs, "rhs"))


def assert_identity(lhs: Any, rhs: Any, step: str = "") -> None:
    """Raise :class:`AssertionError` naming ``step`` unless ``lhs == rhs`` exactly."""
    if not is_identity(lhs, rhs):
        label = f" [{step}]" if step else ""
        raise AssertionError(f"not an identity{label}: {sp.sstr(lhs)} != {sp.sstr(rhs)}")

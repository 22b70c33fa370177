"""Argument checks shared by every public function of :mod:`srlm`.

One place for the error messages: each check names the offending argument and
raises :class:`TypeError` for a wrong kind of object and :class:`ValueError`
for a value outside the function's domain.  Nothing here returns NaN or inf
silently.
"""

from __future__ import annotations

import numbers
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Absolute tolerance on ``sum(p) == 1`` for probability vectors and tables.
PROB_ATOL = 1e-9


def as_float_array(value: ArrayLike, name: str, ndim: int | None = None) -> NDArray[np.float64]:
    """Convert ``value`` to a float64 array, checking its dimension.

    Raises
    ------
    TypeError
        If ``value`` cannot be read as a real array (strings, objects, complex).
    ValueError
        If ``value`` has the wrong number of dimensions or is empty.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a real array, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested sequences
        raise TypeError(f"{name} must be a real array ({exc})") from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr


def check_finite(arr: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    """Reject NaN and +-inf entries."""
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (found NaN or inf)")
    return arr


def check_scalar(value: Any, name: str) -> float:
    """Return ``value`` as a finite Python float (bool and strings rejected)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        out = float(value)
    except OverflowError:  # a Python integer beyond float64
        raise ValueError(f"{name} must be a finite real number, got an integer beyond float64") from None
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    return out


def check_positive(value: Any, name: str) -> float:
    """A finite real number ``> 0``."""
    out = check_scalar(value, name)
    if out <= 0:
        raise ValueError(f"{name} must be > 0, got {out}")
    return out


def check_in_interval(
    value: Any,
    name: str,
    low: float,
    high: float,
    *,
    closed_low: bool = False,
    closed_high: bool = False,
) -> float:
    """A finite real number in the interval from ``low`` to ``high``."""
    out = check_scalar(value, name)
    ok_low = out >= low if closed_low else out > low
    ok_high = out <= high if closed_high else out < high
    if not (ok_low and ok_high):
        lb = "[" if closed_low else "("
        rb = "]" if closed_high else ")"
        raise ValueError(f"{name} must lie in {lb}{low:g}, {high:g}{rb}, got {out:g}")
    return out


def check_int(value: Any, name: str, minimum: int | None = None) -> int:
    """An integer (Python or numpy, not bool), optionally ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {out}")
    return out


def _nonnegative_finite(value: ArrayLike, name: str, ndim: int) -> NDArray[np.float64]:
    arr = check_finite(as_float_array(value, name, ndim=ndim), name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")
    return arr


def dtype_tolerance(value: ArrayLike, n_terms: int, atol: float = PROB_ATOL) -> float:
    r"""Tolerance on a sum of ``n_terms`` probabilities given in the dtype of ``value``.

    ``atol`` for float64 (and integer) input; for a narrower float dtype (float32, float16) the
    rounding of that dtype, :math:`\max(\mathrm{atol},\ 8\, n\, \varepsilon_{\mathrm{dtype}})`, so a
    correctly normalised float32 table is accepted.
    """
    dt = getattr(value, "dtype", None)
    if dt is not None and np.issubdtype(dt, np.floating) and np.finfo(dt).eps > np.finfo(np.float64).eps:
        return max(atol, 8.0 * max(1, n_terms) * float(np.finfo(dt).eps))
    return atol


def check_probability_vector(value: ArrayLike, name: str, atol: float = PROB_ATOL) -> NDArray[np.float64]:
    """A 1-d array of non-negative finite entries summing to one within ``atol`` (see :func:`dtype_tolerance`)."""
    arr = _nonnegative_finite(value, name, ndim=1)
    atol = dtype_tolerance(value, arr.shape[0], atol)
    total = float(arr.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (within {atol:g}), sums to {total:.12g}")
    return arr


def check_probability_table(value: ArrayLike, name: str, atol: float = PROB_ATOL) -> NDArray[np.float64]:
    """A 2-d array whose rows are probability vectors (each sums to one within ``atol``)."""
    arr = _nonnegative_finite(value, name, ndim=2)
    atol = dtype_tolerance(value, arr.shape[1], atol)
    sums = arr.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > atol)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"every row of {name} must sum to 1 (within {atol:g}); row {i} sums to {sums[i]:.12g}")
    return arr


def check_generator(rng: Any, name: str = "rng") -> np.random.Generator:
    """A seeded :class:`numpy.random.Generator` (legacy ``RandomState`` and ints are refused)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed)), got {type(rng).__name__}"
        )
    return rng


def check_index_array(value: ArrayLike, name: str, upper: int) -> NDArray[np.intp]:
    """A 1-d integer array with entries in ``0 .. upper - 1``."""
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an integer array, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be an integer array ({exc})") from None
    if arr.size == 0 and arr.dtype == np.float64:  # an empty list
        arr = arr.astype(np.intp)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= upper):
        raise ValueError(f"{name} must have entries in 0..{upper - 1}")
    return arr.astype(np.intp, copy=False)


def check_condition_number(value: Any, name: str) -> float:
    r"""A condition number :math:`\kappa \ge 1` (finite real; :math:`\kappa = 1` is a deterministic policy).

    The one rule for every :math:`\kappa_0` argument of :mod:`srlm`.
    """
    out = check_scalar(value, name)
    if out < 1.0:
        raise ValueError(f"{name} must be >= 1 (a condition number), got {out:g}")
    return out


def check_size_power(base: int, exponent: int, limit: int, what: str) -> int:
    """``base**exponent`` if it is at most ``limit``, else :class:`ValueError` (the power is never built when too big).

    ``base >= 1`` and ``exponent >= 0`` are integers already checked by the caller; ``what`` names the
    quantity in the message, e.g. ``"vocab**length"``.
    """
    out = 1
    for _ in range(exponent):
        out *= base
        if out > limit:
            raise ValueError(f"{what} = {base}**{exponent} exceeds the limit {limit}")
        if base == 1:
            break
    return out


def check_log_probabilities(value: ArrayLike, name: str, ndim: int) -> NDArray[np.float64]:
    """An ``ndim``-d table of log-probabilities whose last axis is normalised.

    Entries must be ``<= 0`` (``-inf`` allowed) with no NaN; every row (last axis) needs a
    finite entry and log-sum-exp 0 within ``1e-9`` (or the rounding of a narrower float dtype,
    :func:`dtype_tolerance`).  Shared by the tabular, autoregressive, batched and Markov policies.
    """
    arr = as_float_array(value, name, ndim=ndim)
    if np.any(np.isnan(arr)) or np.any(arr > 1e-9):
        raise ValueError(f"{name} must contain log-probabilities (<= 0, no NaN)")
    rows = arr.reshape(-1, arr.shape[-1])
    if np.any(np.all(rows == -np.inf, axis=1)):
        raise ValueError(f"every row of {name} needs an entry of positive probability")
    top = rows.max(axis=1, keepdims=True)
    norms = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
    atol = dtype_tolerance(value, arr.shape[-1])
    bad = np.flatnonzero(np.abs(norms) > atol)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"every row of {name} must be normalised (log-sum-exp 0 within {atol:g}); row {i} has {norms[i]:.3g}"
        )
    return arr


# ------------------------------------------------------- float64 range and size limits (shared, issue 13)
#: :math:`\log` of the largest float64 (about 709.78): ``exp`` of anything larger overflows.
LOG_FLOAT_MAX = float(np.log(np.finfo(np.float64).max))

#: Largest number of array elements (or loop steps) a public function will allocate or run (800 MB of float64).
MAX_ELEMENTS = 10**8


class Float64RangeError(OverflowError, ValueError):
    """A finite true value outside the float64 range; the message names the arguments that drive it.

    Subclass of both :class:`OverflowError` and :class:`ValueError` (``except ValueError`` still catches it).
    """


def exp_checked(log_value: float, what: str, names: str) -> float:
    """``exp(log_value)``, or :class:`Float64RangeError` naming ``names`` when the value overflows float64."""
    if not log_value <= LOG_FLOAT_MAX:
        raise Float64RangeError(f"{what} = exp({log_value:.6g}) overflows float64 ({names})")
    return float(np.exp(log_value))


_T = TypeVar("_T")


def check_result_finite(value: _T, what: str, names: str) -> _T:
    """Return ``value`` if all its entries are finite, else :class:`Float64RangeError` naming ``names``."""
    if not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
        raise Float64RangeError(f"{what} overflows float64 ({names})")
    return value


def check_size(count: int, what: str, limit: int = MAX_ELEMENTS) -> int:
    """``count`` if it is at most ``limit`` (default :data:`MAX_ELEMENTS`), else :class:`ValueError` naming ``what``."""
    if count > limit:
        raise ValueError(f"{what} = {count} exceeds the size limit {limit}")
    return count

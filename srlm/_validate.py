"""Argument checks shared by every public function of :mod:`srlm`.

One place for the error messages: each check names the offending argument and
raises :class:`TypeError` for a wrong kind of object and :class:`ValueError`
for a value outside the function's domain.  Nothing here returns NaN or inf
silently.
"""

from __future__ import annotations

import numbers
from typing import Any

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
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a real array, got {type(value).__name__}")
    arr = np.asarray(value)
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
    out = float(value)
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


def check_probability_vector(value: ArrayLike, name: str, atol: float = PROB_ATOL) -> NDArray[np.float64]:
    """A 1-d array of non-negative finite entries summing to one within ``atol``."""
    arr = _nonnegative_finite(value, name, ndim=1)
    total = float(arr.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (within {atol:g}), sums to {total:.12g}")
    return arr


def check_probability_table(value: ArrayLike, name: str, atol: float = PROB_ATOL) -> NDArray[np.float64]:
    """A 2-d array whose rows are probability vectors (each sums to one within ``atol``)."""
    arr = _nonnegative_finite(value, name, ndim=2)
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
    arr = np.asarray(value)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= upper):
        raise ValueError(f"{name} must have entries in 0..{upper - 1}")
    return arr.astype(np.intp, copy=False)

r"""The idealised single-step failure floor of paper Theorem 4.1 in closed form (Lambert W).

The hard-instance argument (:mod:`srlm.hard_instance`) proves the exact finite-instance
threshold :math:`n^\ast(\delta)` (:func:`srlm.hard_instance.required_samples`) and, for given
:math:`n`, the exact proven rate (:func:`srlm.hard_instance.proven_failure_rate`).  Treating
:math:`M` and :math:`N` as reals, :math:`-\log(1-z)` as :math:`z`, the hit probability :math:`q`
(``HardInstance.hit_prob``) as :math:`(2+g)/M` and :math:`M` as :math:`(1+g)(\kappa_0-1)/\varepsilon`
turns the threshold into the scalar condition

.. math::

    n &\ge \frac{A}{\delta^2 \log(C/\delta)}, \\
    A &= \frac{\log 2\,(1+g)(\kappa_0-1)\log|\Pi|}{16\,(2+g)}, \\
    C &= \frac{(1+g)(\kappa_0-1)}{4}.

This is an *idealisation*, not a theorem: the four steps err in both directions.  With
:math:`f(\delta) = \delta^2 \log(C/\delta)`, increasing on :math:`0 < \delta < C e^{-1/2}`, the
idealised floor is the root of :math:`f(\delta) = A/n` on that branch:

.. math::

    \delta_{\min}(n) = C \exp\Big(\tfrac12 W_{-1}\big(-\tfrac{2A}{nC^2}\big)\Big),
    \qquad\text{real iff } n \ge \frac{2eA}{C^2}.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import lambertw

from srlm._validate import (
    as_float_array,
    check_condition_number,
    check_finite,
    check_positive,
    check_result_finite,
    exp_checked,
)

__all__ = [
    "lambert_wm1",
    "floor_constants",
    "floor_function",
    "sample_threshold",
    "min_failure_rate",
    "min_failure_rate_asymptotic",
    "samples_for_floor",
]

_INV_E = float(np.exp(-1.0))


# Series of W_{-1} about the branch point in p = -sqrt(2(1 + e z)) (Corless et al. 1996, Eq. 4.22).
_BRANCH_SERIES = (-1.0, 1.0, -1.0 / 3.0, 11.0 / 72.0, -43.0 / 540.0, 769.0 / 17280.0, -221.0 / 8505.0)


def lambert_wm1(z: ArrayLike) -> NDArray[np.float64] | float:
    r"""The lower real branch :math:`W_{-1}(z)` for :math:`-1/e \le z < 0` (values :math:`\le -1`).

    Starts from ``scipy.special.lambertw(z, k=-1)`` — or, within :math:`10^{-3}` of the
    branch point, where scipy loses accuracy (it returns :math:`-1.000000003` for
    :math:`z = -e^{-1}(1 - 10^{-9})`, whose true value is :math:`-1.0000447`), from the
    branch-point series — and polishes with Halley steps on :math:`we^w = z`.
    Raises :class:`ValueError` outside :math:`[-1/e, 0)`, where :math:`W_{-1}` is not
    real.  A scalar in gives a float out; an array gives an array.
    """
    scalar = np.ndim(z) == 0
    arr = check_finite(as_float_array(np.atleast_1d(z), "z"), "z")
    # allow rounding slack at the branch point -1/e
    if np.any(arr < -_INV_E * (1 + 1e-15)) or np.any(arr >= 0):
        raise ValueError("z must lie in [-1/e, 0) for the real branch W_{-1}")
    arr = np.maximum(arr, -_INV_E)
    gap = np.maximum(1.0 + np.e * arr, 0.0)
    near = gap < 1e-3
    w = np.real(lambertw(arr, k=-1))
    p = -np.sqrt(2.0 * gap[near])
    w[near] = sum(coef * p**k for k, coef in enumerate(_BRANCH_SERIES))
    for _ in range(3):  # Halley; stop where the derivative vanishes (exact branch point)
        ew = np.exp(w)
        f = w * ew - arr
        denom = ew * (w + 1.0) - (w + 2.0) * f / (2.0 * w + 2.0 + 1e-300)
        step = np.where(np.abs(w + 1.0) > 1e-12, f / np.where(denom == 0, 1.0, denom), 0.0)
        w = np.minimum(w - step, -1.0)
    if not np.all(np.isfinite(w)):
        raise ValueError("W_{-1}(z) could not be evaluated")  # not reachable on [-1/e, 0)
    return float(w[0]) if scalar else w


def floor_constants(kappa0: float, log_class_size: float, g: float = 1.0) -> tuple[float, float]:
    r"""The constants :math:`(A, C)` of the idealised scalar condition (companion form of Thm 4.1).

    Parameters
    ----------
    kappa0
        Condition-number budget :math:`\kappa_0 > 1` of the base policy.
    log_class_size
        :math:`\log|\Pi| > 0`.
    g
        Bias :math:`g > 0` of the hidden favourite in the hard instance.
    """
    k0 = check_condition_number(kappa0, "kappa0")
    if k0 == 1:
        raise ValueError("kappa0 = 1 means a deterministic base policy: there is no failure floor")
    lp = check_positive(log_class_size, "log_class_size")
    gg = check_positive(g, "g")
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        a = float(np.log(2.0) * (1 + gg) * (k0 - 1) * lp / (16.0 * (2 + gg)))
        if not math.isfinite(a):  # the same product with (1+g)/(2+g) = 1 - 1/(2+g) formed first
            a = float(np.log(2.0) * (1.0 - 1.0 / (2 + gg)) * (k0 - 1) * lp / 16.0)
        c = float((1 + gg) * (k0 - 1) / 4.0)
    check_result_finite((a, c), "A or C", "kappa0, log_class_size or g too large")
    if a == 0.0:
        raise ValueError(f"A underflows to 0: log_class_size = {lp:g} or kappa0 - 1 = {k0 - 1:g} is too small")
    return a, c


def floor_function(delta: ArrayLike, C: float) -> NDArray[np.float64] | float:
    r""":math:`f(\delta) = \delta^2 \log(C/\delta)` for :math:`0 < \delta < C`.

    Never NaN or inf; where the true value is below the float64 range it underflows to 0 (use
    :func:`samples_for_floor`, which works in log space, for the inverse).
    """
    c = check_positive(C, "C")
    scalar = np.ndim(delta) == 0
    d = check_finite(as_float_array(np.atleast_1d(delta), "delta"), "delta")
    if np.any(d <= 0) or np.any(d >= c):
        raise ValueError("delta must lie in (0, C)")
    with np.errstate(over="ignore", under="ignore"):
        ratio = c / d
        log_ratio = np.where(np.isfinite(ratio), np.log(ratio), math.log(c) - np.log(d))
        out = d**2 * log_ratio  # may underflow to a correctly rounded tiny value (0 below 5e-324)
    check_result_finite(out, "delta^2 log(C/delta)", "delta too large")
    return float(out[0]) if scalar else out


def sample_threshold(A: float, C: float) -> float:
    r""":math:`n_0 = 2eA/C^2`: below it :math:`f(\delta) = A/n` has no root on the increasing branch."""
    a, c = check_positive(A, "A"), check_positive(C, "C")
    if 1e-150 < c < 1e150:
        return float(check_result_finite(2.0 * np.e * a / c**2, "2eA/C^2", "A too large against C"))
    return exp_checked(math.log(2.0 * np.e) + math.log(a) - 2.0 * math.log(c), "2eA/C^2", "A too large against C")


def min_failure_rate(n: ArrayLike, A: float, C: float) -> NDArray[np.float64] | float:
    r""":math:`\delta_{\min}(n) = C \exp(W_{-1}(-2A/(nC^2))/2)`, the idealised floor on the failure rate.

    It solves :math:`\delta^2\log(C/\delta) = A/n` with :math:`\delta \le Ce^{-1/2}`.

    Raises
    ------
    ValueError
        If some ``n`` is below :func:`sample_threshold` (the argument of
        :math:`W_{-1}` would be below :math:`-1/e`; the floor is then a constant).
    """
    a, c = check_positive(A, "A"), check_positive(C, "C")
    scalar = np.ndim(n) == 0
    nn = check_finite(as_float_array(np.atleast_1d(n), "n"), "n")
    if np.any(nn <= 0):
        raise ValueError("n must be > 0")
    threshold = sample_threshold(a, c)
    if np.any(nn < threshold * (1 - 1e-12)):
        raise ValueError(
            f"n must be >= the sample threshold 2eA/C^2 = {threshold:.6g}; below it the floor is a constant"
        )
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        # log(-z), z = -2A/(n C^2), computed term by term (n C^2 may overflow or underflow)
        log_mz = math.log(2.0 * a) - np.log(nn) - 2.0 * math.log(c)
        direct = -2.0 * a / (nn * (c * c))
        ok = np.isfinite(direct) & (direct < -1e-300)
        w = np.empty_like(nn)
        if np.any(ok):
            w[ok] = lambert_wm1(np.maximum(direct[ok], -_INV_E))
        if np.any(~ok):  # |z| < 1e-300: solve w + log(-w) = log(-z) on w < -1 by Newton
            lz = log_mz[~ok]
            v = lz - np.log(-lz)
            for _ in range(6):
                v = v - (v + np.log(-v) - lz) / (1.0 + 1.0 / v)
            w[~ok] = v
        out = c * np.exp(w / 2.0)  # correctly rounded; 0 only below 5e-324
    return float(out[0]) if scalar else out


def min_failure_rate_asymptotic(n: ArrayLike, A: float, C: float) -> NDArray[np.float64] | float:
    r"""Large-:math:`n` form :math:`\sqrt{2A / (n \log(nC^2/(2A)))}` of :func:`min_failure_rate`.

    It follows from :math:`W_{-1}(z) = \log(-z) - \log(-\log(-z)) + o(1)` as :math:`z \to 0^-`.

    Requires :math:`nC^2/(2A) > 1` so that the logarithm is positive.
    """
    a, c = check_positive(A, "A"), check_positive(C, "C")
    scalar = np.ndim(n) == 0
    nn = check_finite(as_float_array(np.atleast_1d(n), "n"), "n")
    if np.any(nn <= 0):
        raise ValueError("n must be > 0")
    with np.errstate(over="ignore", under="ignore"):
        log_ratio = np.log(nn) + 2.0 * math.log(c) - math.log(2.0 * a)  # log(n C^2/(2A)), no overflow
        if np.any(log_ratio <= 0):
            raise ValueError("n must exceed 2A/C^2 for the asymptotic form")
        direct = np.sqrt(2.0 * a / (nn * np.log(nn * (c * c) / (2.0 * a))))
        safe = np.isfinite(direct) & (direct > 1e-150) & np.isfinite(nn * (c * c))
        out = np.where(safe, direct, np.exp(0.5 * (math.log(2.0 * a) - np.log(nn) - np.log(log_ratio))))
    return float(out[0]) if scalar else out


def samples_for_floor(delta: float, kappa0: float, log_class_size: float, g: float = 1.0) -> float:
    r"""Samples the idealised condition asks for before the floor can reach ``delta``: :math:`n = A/f(\delta)`.

    The inverse of :func:`min_failure_rate`; requires :math:`0 < \delta < Ce^{-1/2}` (the increasing
    branch of :math:`f`).
    """
    a, c = floor_constants(kappa0, log_class_size, g)
    d = check_positive(delta, "delta")
    if d >= c * np.exp(-0.5):
        raise ValueError(f"delta must be < C e^(-1/2) = {c * np.exp(-0.5):.6g} (the increasing branch of f)")
    f = float(floor_function(d, c))
    if f > 1e-300:
        return float(check_result_finite(a / f, "A/f(delta)", "delta too small against kappa0 and log_class_size"))
    log_f = 2.0 * math.log(d) + math.log(math.log(c) - math.log(d))
    return exp_checked(math.log(a) - log_f, "A/f(delta)", "delta too small against kappa0 and log_class_size")

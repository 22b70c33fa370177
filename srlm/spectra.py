r"""Effective dimension of a feature covariance and its bounds (paper Cor 6.4, Remark 6.5; App. G, Lemma G.4).

For a covariance :math:`\Sigma` with eigenvalues :math:`\lambda_1 \ge \lambda_2 \ge \dots \ge \lambda_d \ge 0`,

.. math::

    d_{\mathrm{eff}}(\lambda) = \operatorname{tr}\big(\Sigma(\Sigma + \lambda I)^{-1}\big)
    = \sum_i \frac{\lambda_i}{\lambda_i + \lambda} \le d,

non-increasing in :math:`\lambda > 0`.  Three decay regimes (paper Assumption G.3) have
closed-form bounds (paper Lemma G.4 (A)–(C), in the companion forms proved in the book):

- exponential, :math:`\lambda_i \le C e^{-c i}`:
  :math:`d_{\mathrm{eff}}(\lambda) \le \log_+(C/\lambda)/c + 1 + 1/(e^c - 1)`;
- polynomial, :math:`\lambda_i \le C i^{-\alpha}`, :math:`\alpha > 1`:
  :math:`d_{\mathrm{eff}}(\lambda) \le 1 + (C/\lambda)^{1/\alpha}\,\alpha/(\alpha - 1)`;
- spiked, :math:`k` large eigenvalues and a tail:
  :math:`d_{\mathrm{eff}}(\lambda) \le k + \sum_{i > k}\lambda_i/\lambda`.

The decay assumptions are upper *envelopes*: for a given exponent the best constant is the
smallest one under which the whole spectrum lies, :math:`C(\alpha) = \max_i \lambda_i i^{\alpha}`
(polynomial) or :math:`C(c) = \max_i \lambda_i e^{c i}` (exponential).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from srlm._validate import (
    Float64RangeError,
    as_float_array,
    check_finite,
    check_int,
    check_positive,
    check_result_finite,
    check_scalar,
    check_size,
    exp_checked,
)

__all__ = [
    "effective_dimension",
    "covariance_spectrum",
    "exponential_spectrum",
    "polynomial_spectrum",
    "spiked_spectrum",
    "exponential_bound",
    "polynomial_bound",
    "spiked_bound",
    "best_spiked_bound",
    "polynomial_envelope",
    "exponential_envelope",
]


def _check_spectrum(eigenvalues: ArrayLike) -> NDArray[np.float64]:
    ev = check_finite(as_float_array(eigenvalues, "eigenvalues", ndim=1), "eigenvalues")
    if np.any(ev < 0):
        raise ValueError("eigenvalues must be >= 0 (a covariance is positive semi-definite)")
    return ev


def effective_dimension(eigenvalues: ArrayLike, lam: ArrayLike) -> NDArray[np.float64] | float:
    r""":math:`d_{\mathrm{eff}}(\lambda) = \sum_i \lambda_i/(\lambda_i + \lambda)`.

    Evaluated for each ridge :math:`\lambda > 0` in ``lam`` (a scalar in gives a float out).
    """
    ev = _check_spectrum(eigenvalues)
    scalar = np.ndim(lam) == 0
    lams = check_finite(as_float_array(np.atleast_1d(lam), "lam"), "lam")
    if np.any(lams <= 0):
        raise ValueError("lam must be > 0")
    check_size(ev.size * lams.size, "len(eigenvalues) x len(lam)")
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        den = ev[None, :] + lams[:, None]
        # lambda_i/(lambda_i + lambda); where the sum overflows, 1/(1 + lambda/lambda_i) (0 for lambda_i = 0)
        terms = np.where(np.isfinite(den), ev[None, :] / den, 1.0 / (1.0 + lams[:, None] / ev[None, :]))
    out = np.sum(terms, axis=1)
    return float(out[0]) if scalar else out


def covariance_spectrum(cov: ArrayLike, tol: float = 1e-10) -> NDArray[np.float64]:
    r"""Eigenvalues of a symmetric positive semi-definite matrix, sorted decreasingly.

    Raises :class:`ValueError` for a non-symmetric matrix or an eigenvalue below
    :math:`-\mathrm{tol}\cdot\max(1, \lambda_{\max})` (not PSD); tiny negative rounding is set to 0.
    """
    s = check_finite(as_float_array(cov, "cov", ndim=2), "cov")
    if s.shape[0] != s.shape[1]:
        raise ValueError(f"cov must be square, got shape {s.shape}")
    scale = max(1.0, float(np.max(np.abs(s))))
    if np.max(np.abs(s - s.T)) > tol * scale:
        raise ValueError("cov must be symmetric")
    with np.errstate(over="ignore", invalid="ignore"):
        ev = np.linalg.eigvalsh(s)[::-1]
    check_result_finite(ev, "an eigenvalue of cov", "the entries of cov are too large")
    if ev[-1] < -tol * max(1.0, float(ev[0])):
        raise ValueError(f"cov must be positive semi-definite; smallest eigenvalue {ev[-1]:.3g}")
    out: NDArray[np.float64] = np.maximum(ev, 0.0)
    return out


def exponential_spectrum(d: int, C: float, c: float) -> NDArray[np.float64]:
    r""":math:`\lambda_i = C e^{-c i}`, :math:`i = 1..d`."""
    dd = check_size(check_int(d, "d", minimum=1), "d")
    cc, rate = check_positive(C, "C"), check_positive(c, "c")
    with np.errstate(under="ignore", over="ignore"):
        out: NDArray[np.float64] = cc * np.exp(-rate * np.arange(1, dd + 1))
    return out


def polynomial_spectrum(d: int, C: float, alpha: float) -> NDArray[np.float64]:
    r""":math:`\lambda_i = C i^{-\alpha}`, :math:`i = 1..d`, :math:`\alpha > 1`."""
    dd = check_size(check_int(d, "d", minimum=1), "d")
    a = check_positive(alpha, "alpha")
    if a <= 1:
        raise ValueError(f"alpha must be > 1 (summable tail), got {a}")
    with np.errstate(under="ignore"):
        out: NDArray[np.float64] = check_positive(C, "C") * np.arange(1, dd + 1, dtype=float) ** -a
    return out


def spiked_spectrum(d: int, k: int, spike: float, tail_mass: float) -> NDArray[np.float64]:
    r""":math:`k` eigenvalues equal to ``spike`` and the remaining :math:`d - k` sharing ``tail_mass`` equally."""
    dd = check_size(check_int(d, "d", minimum=1), "d")
    kk = check_int(k, "k", minimum=0)
    if kk > dd:
        raise ValueError(f"k must be <= d = {dd}, got {kk}")
    sp, tm = check_positive(spike, "spike"), check_positive(tail_mass, "tail_mass")
    out = np.full(dd, tm / max(dd - kk, 1))
    out[:kk] = sp
    if kk == dd:
        out[:] = sp
    return out


def exponential_bound(lam: float, C: float, c: float) -> float:
    r"""Exponential decay (paper Lemma G.4(A)): :math:`\log_+(C/\lambda)/c + 1 + 1/(e^c - 1)`.

    Valid for every spectrum with :math:`\lambda_i \le C e^{-ci}`, :math:`i \ge 1`.
    """
    lm, cc, rate = check_positive(lam, "lam"), check_positive(C, "C"), check_positive(c, "c")
    ratio = cc / lm
    log_ratio = math.log(ratio) if math.isfinite(ratio) and ratio > 0 else math.log(cc) - math.log(lm)
    em1 = math.expm1(rate) if rate < 700.0 else math.inf
    out = max(log_ratio, 0.0) / rate + 1.0 + (1.0 / em1 if em1 >= 1e-300 else math.inf)
    return float(check_result_finite(out, "the exponential bound", "c is too small"))


def polynomial_bound(lam: float, C: float, alpha: float) -> float:
    r"""Polynomial decay (paper Lemma G.4(B)): :math:`1 + (C/\lambda)^{1/\alpha}\,\alpha/(\alpha - 1)`.

    Valid for every spectrum with :math:`\lambda_i \le C i^{-\alpha}`, :math:`i \ge 1`, and :math:`\alpha > 1`.
    """
    lm, cc, a = check_positive(lam, "lam"), check_positive(C, "C"), check_positive(alpha, "alpha")
    if a <= 1:
        raise ValueError(f"alpha must be > 1, got {a}")
    ratio = cc / lm
    if math.isfinite(ratio) and ratio > 1e-300:
        try:
            power = ratio ** (1.0 / a)
        except OverflowError:
            power = math.inf
    else:
        power = exp_checked((math.log(cc) - math.log(lm)) / a, "(C/lam)^(1/alpha)", "C/lam is too large")
    out = 1.0 + power * a / (a - 1.0)
    return float(check_result_finite(out, "the polynomial bound", "C/lam is too large or alpha too close to 1"))


def spiked_bound(eigenvalues: ArrayLike, k: int, lam: float) -> float:
    r"""Spike plus tail (paper Lemma G.4(C)): :math:`k + \sum_{i>k}\lambda_i/\lambda`.

    The eigenvalues are sorted decreasingly first.
    """
    ev = np.sort(_check_spectrum(eigenvalues))[::-1]
    kk = check_int(k, "k", minimum=0)
    if kk > ev.size:
        raise ValueError(f"k must be <= the number of eigenvalues {ev.size}")
    lm = check_positive(lam, "lam")
    with np.errstate(over="ignore"):
        out = kk + float(ev[kk:].sum()) / lm
    return float(check_result_finite(out, "the spiked bound", "lam is too small against the tail"))


def best_spiked_bound(eigenvalues: ArrayLike, lam: float) -> tuple[float, int]:
    r""":math:`\min_{0 \le k \le d}\,[k + \sum_{i>k}\lambda_i/\lambda]` and the smallest minimising :math:`k`.

    The minimum is at :math:`k = \#\{i : \lambda_i > \lambda\}` (adding index :math:`i` changes the bound by
    :math:`1 - \lambda_i/\lambda`); it never exceeds :math:`\min(d, \operatorname{tr}\Sigma/\lambda)`.
    """
    ev = np.sort(_check_spectrum(eigenvalues))[::-1]
    lm = check_positive(lam, "lam")
    with np.errstate(over="ignore"):
        tails = np.concatenate([np.cumsum(ev[::-1])[::-1], [0.0]])  # tails[k] = sum_{i > k} lambda_i
        vals = np.arange(ev.size + 1) + tails / lm  # the minimum is <= d: an overflowing k is never it
    k = int(np.argmin(vals))
    return float(vals[k]), k


def polynomial_envelope(eigenvalues: ArrayLike, alpha: float) -> float:
    r"""Smallest :math:`C` with :math:`\lambda_i \le C i^{-\alpha}` for all :math:`i`.

    That is :math:`C(\alpha) = \max_i \lambda_i i^{\alpha}`.  Eigenvalues are sorted decreasingly first
    (index :math:`i = 1` is the largest).
    """
    ev = np.sort(_check_spectrum(eigenvalues))[::-1]
    a = check_scalar(alpha, "alpha")
    if a < 0:
        raise ValueError(f"alpha must be >= 0, got {a}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = float(np.max(np.where(ev > 0, ev * np.arange(1, ev.size + 1, dtype=float) ** a, 0.0)))
    if not math.isfinite(out):
        raise Float64RangeError(f"the envelope constant overflows float64 for alpha = {a}")
    return out


def exponential_envelope(eigenvalues: ArrayLike, c: float) -> float:
    r"""Smallest :math:`C` with :math:`\lambda_i \le C e^{-ci}` for all :math:`i`: :math:`\max_i \lambda_i e^{ci}`.

    Eigenvalues are sorted decreasingly first (index :math:`i = 1` is the largest).
    """
    ev = np.sort(_check_spectrum(eigenvalues))[::-1]
    rate = check_positive(c, "c")
    with np.errstate(over="ignore", invalid="ignore"):
        out = float(np.max(np.where(ev > 0, ev * np.exp(rate * np.arange(1, ev.size + 1)), 0.0)))
    if not math.isfinite(out):
        raise Float64RangeError(f"the envelope constant overflows float64 for c = {rate}")
    return out

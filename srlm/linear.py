r"""Linear-softmax policies (paper §6, Def. 6.1; App. F).

.. math::

    \pi_\theta(y \mid x) = \frac{\exp\langle\phi(x, y), \theta\rangle}{\sum_{y'}\exp\langle\phi(x, y'), \theta\rangle},
    \qquad \|\phi(x, y)\|_2 \le 1, \quad \|\theta\|_2 \le B.

The self-rewarding step is :math:`\theta \mapsto (1 + 1/\beta)\theta` (paper §6, App. F.1),
the DPO square loss is linear least squares in :math:`\theta`, and the log-ratio is
Lipschitz in :math:`\theta` (constant 2, paper App. F.3; sharp constant on the ball
:func:`log_ratio_lipschitz_constant`), which turns a net of the parameter ball into a
net of the class.  A policy depends on :math:`\theta` only through :math:`P\theta`, the
projection onto the span of feature differences (:func:`difference_projector`), so the
realizability horizon of the bounded class depends on :math:`\|P\theta_0\|`
(:func:`realizability_horizon`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq
from scipy.special import logsumexp

from srlm._validate import (
    Float64RangeError,
    as_float_array,
    check_finite,
    check_generator,
    check_int,
    check_positive,
    check_result_finite,
    check_size,
)

__all__ = [
    "FEATURE_NORM_TOL",
    "MAX_PACKING_CANDIDATES",
    "check_features",
    "linear_softmax_logp",
    "sup_log_ratio",
    "log_ratio_lipschitz_constant",
    "difference_projector",
    "realizability_horizon",
    "project_to_ball",
    "constrained_least_squares",
    "ball_net_size_bound",
    "greedy_packing",
    "random_unit_features",
]

#: Slack on :math:`\|\phi\| \le 1` for rounding in normalised features.
FEATURE_NORM_TOL = 1e-12

#: Largest ``candidates`` of :func:`greedy_packing` (its greedy pass is quadratic in the packing size).
MAX_PACKING_CANDIDATES = 50_000


def check_features(features: ArrayLike, name: str = "features") -> NDArray[np.float64]:
    r"""Features of shape ``(prompts, responses, d)``, finite, with :math:`\|\phi(x, y)\|_2 \le 1`."""
    phi = check_finite(as_float_array(features, name, ndim=3), name)
    norms = np.linalg.norm(phi, axis=2)
    if np.any(norms > 1 + FEATURE_NORM_TOL):
        raise ValueError(f"{name} must have ||phi(x, y)|| <= 1; the largest norm is {norms.max():.6g}")
    return phi


def _check_theta(theta: ArrayLike, d: int, name: str = "theta") -> NDArray[np.float64]:
    th = check_finite(as_float_array(theta, name, ndim=1), name)
    if th.shape[0] != d:
        raise ValueError(f"{name} has dimension {th.shape[0]}, features have d = {d}")
    return th


def linear_softmax_logp(features: ArrayLike, theta: ArrayLike) -> NDArray[np.float64]:
    r"""Log-probabilities :math:`\langle\phi(x,y),\theta\rangle - \log\sum_{y'} e^{\langle\phi(x,y'),\theta\rangle}`.

    Returns an array of shape ``(prompts, responses)``.
    """
    phi = check_features(features)
    th = _check_theta(theta, phi.shape[2])
    with np.errstate(over="ignore", invalid="ignore"):
        scores = phi @ th
    check_result_finite(scores, "a score <phi, theta>", "theta is too large")
    out: NDArray[np.float64] = scores - logsumexp(scores, axis=1, keepdims=True)
    return out


def sup_log_ratio(features: ArrayLike, theta: ArrayLike, theta2: ArrayLike) -> float:
    r""":math:`\sup_{x, y} |\log\pi_\theta(y|x) - \log\pi_{\theta'}(y|x)|`.

    Paper App. F.3 bounds it by :math:`2\|\theta - \theta'\|`; on the ball of radius :math:`B`
    the sharp constant is :func:`log_ratio_lipschitz_constant`.
    """
    return float(np.max(np.abs(linear_softmax_logp(features, theta) - linear_softmax_logp(features, theta2))))


def log_ratio_lipschitz_constant(radius: float, n_responses: int) -> float:
    r"""The smallest :math:`L` with :math:`\sup_{x,y}|\log\pi_\theta - \log\pi_{\theta'}| \le L\|\theta - \theta'\|`
    for all :math:`\|\theta\|, \|\theta'\| \le B`, all features with :math:`\|\phi\| \le 1` and
    :math:`M` responses per prompt:

    .. math::

        L_{B,M} = \frac{2(M-1)e^{2B}}{1 + (M-1)e^{2B}} = 1 + \tanh\big(B + \tfrac12\log(M-1)\big) < 2

    (:math:`1 + \tanh B` for :math:`M = 2`; :math:`0` for :math:`M = 1`).  It is the supremum of
    :math:`\|\nabla_\theta\log\pi_\theta(y|x)\| = \|\phi_y - \mathbb{E}_{\pi_\theta}\phi\| \le 2(1 - \pi_\theta(y|x))`
    with :math:`\pi_\theta(y|x) \ge 1/(1 + (M-1)e^{2B})`; approached (not attained) at
    :math:`\theta = -Be`, :math:`\phi_y = e`, :math:`\phi_{y'} = -e` for :math:`y' \ne y`, as
    :math:`\theta' \to \theta`.
    """
    b = check_positive(radius, "radius")
    m = check_int(n_responses, "n_responses", minimum=1)
    if m == 1:
        return 0.0
    return float(1.0 + math.tanh(b + 0.5 * math.log(m - 1)))


def difference_projector(features: ArrayLike, rtol: float = 1e-10) -> NDArray[np.float64]:
    r"""Orthogonal projector :math:`P` onto :math:`\mathrm{span}\{\phi(x,y) - \phi(x,y')\}` (all :math:`x, y, y'`).

    :math:`\pi_\theta = \pi_{\theta'}` iff :math:`P\theta = P\theta'`, so :math:`P\theta` is the
    minimum-norm parameter of the policy :math:`\pi_\theta`.  The span is computed from the
    differences to the first response at each prompt by an SVD; singular values below
    ``rtol`` times the largest are treated as zero.  Returns a ``(d, d)`` array.
    """
    phi = check_features(features)
    tol = check_positive(rtol, "rtol")
    diffs = (phi - phi[:, :1, :]).reshape(-1, phi.shape[2])
    _, sv, vt = np.linalg.svd(diffs, full_matrices=False)
    keep = sv > tol * max(float(sv.max(initial=0.0)), np.finfo(float).tiny)
    basis = vt[keep]
    out: NDArray[np.float64] = basis.T @ basis
    return out


def realizability_horizon(features: ArrayLike, theta0: ArrayLike, beta: float, radius: float) -> float:
    r"""Number of exact self-rewarding rounds whose Gibbs policy lies in the class :math:`\|\theta\| \le B`.

    The round-:math:`t` Gibbs policy is :math:`\pi_{s^t\theta_0}`, :math:`s = 1 + 1/\beta`; it is
    :math:`\pi_\theta` for some :math:`\|\theta\| \le B` iff :math:`s^t\|P\theta_0\| \le B`
    (:func:`difference_projector`).  Returns
    :math:`\lfloor \log(B/\|P\theta_0\|)/\log s \rfloor` as a float, ``inf`` if :math:`P\theta_0 = 0`
    (the policy is uniform at every prompt and never changes).

    Raises
    ------
    ValueError
        If :math:`\|P\theta_0\| > B`: the base policy itself is not in the class.
    """
    phi = check_features(features)
    th = _check_theta(theta0, phi.shape[2], "theta0")
    bt = check_positive(beta, "beta")
    s = 1.0 + 1.0 / bt
    b = check_positive(radius, "radius")
    norm = float(_norm(difference_projector(phi) @ th))
    slack = 1.0 + 1e-12
    if norm <= b * 1e-300:
        return math.inf
    if norm > b * slack:
        raise ValueError(f"||P theta0|| = {norm:.6g} exceeds radius {b:g}: the base policy is not in the class")
    if s < 1.0 + 1e-9:  # beta huge: s rounds near 1; the floor of log(B/||P theta0||)/log1p(1/beta), no correction
        horizon = math.log(b / norm) / math.log1p(1.0 / bt)
        check_result_finite(horizon, "the horizon", "beta is too large")
        check_size(int(horizon), "the horizon (rounds)", 2**52)
        return float(math.floor(horizon * (1 + 1e-12)))
    def fits(k: int) -> bool:  # s^k ||P theta0|| <= B (an overflowing power does not fit)
        try:
            return norm * s**k <= b * slack
        except OverflowError:
            return False

    t = max(int(math.floor(math.log(b / norm) / math.log(s))), 0)
    while fits(t + 1):
        t += 1
    while t > 0 and not fits(t):
        t -= 1
    return float(t)


def project_to_ball(theta: ArrayLike, radius: float) -> NDArray[np.float64]:
    r"""Euclidean projection onto :math:`\{\|\theta\| \le B\}`."""
    th = check_finite(as_float_array(theta, "theta", ndim=1), "theta")
    b = check_positive(radius, "radius")
    norm = _norm(th)
    if norm <= b:
        return th
    scale = float(np.max(np.abs(th)))  # th/||th|| without overflow: (th/scale)/||th/scale||
    out: NDArray[np.float64] = (th / scale) * (b / _norm(th / scale))
    return out


def _norm(v: NDArray[np.float64]) -> float:
    """Euclidean norm without overflow or underflow (scaled by the largest entry when needed)."""
    with np.errstate(over="ignore", under="ignore"):
        out = float(np.linalg.norm(v))
    if math.isfinite(out) and out > 1e-290:
        return out
    scale = float(np.max(np.abs(v), initial=0.0))
    if scale == 0.0:
        return 0.0
    return scale * float(np.linalg.norm(v / scale))


def constrained_least_squares(design: ArrayLike, target: ArrayLike, radius: float) -> NDArray[np.float64]:
    r"""Exact :math:`\arg\min_{\|\theta\| \le B} \|A\theta - c\|^2` (minimum-norm among minimisers).

    If the minimum-norm unconstrained solution :math:`A^+c` lies in the ball it is the answer.
    Otherwise the constraint binds and :math:`\theta(\lambda) = (A^\top A + \lambda I)^{-1}A^\top c` with
    the unique :math:`\lambda > 0` solving the secular equation
    :math:`\|\theta(\lambda)\|^2 = \sum_i (s_i u_i^\top c)^2/(s_i^2 + \lambda)^2 = B^2`
    (SVD :math:`A = U\,\mathrm{diag}(s)V^\top`), found by a bracketed root search.
    """
    a = check_finite(as_float_array(design, "design", ndim=2), "design")
    c = check_finite(as_float_array(target, "target", ndim=1), "target")
    if a.shape[0] != c.shape[0]:
        raise ValueError(f"design has {a.shape[0]} rows but target has {c.shape[0]} entries")
    b = check_positive(radius, "radius")
    scale = float(np.max(np.abs(a), initial=0.0))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        if scale > 0 and not 1e-100 <= scale <= 1e100:  # same minimiser for (A/s, c/s); keeps s_i^2 in range
            a, c = a / scale, c / scale
            check_result_finite(c, "target/max|design|", "design too small against target")
        out = _constrained_lsq(a, c, b)
    return check_result_finite(out, "the constrained least-squares solution", "design or target out of range")


def _constrained_lsq(a: NDArray[np.float64], c: NDArray[np.float64], b: float) -> NDArray[np.float64]:
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    keep = s > s.max(initial=0.0) * 1e-12 if s.size else s > 0
    s, u, vt = s[keep], u[:, keep], vt[keep]
    proj = u.T @ c * s  # s_i u_i^T c
    unconstrained = vt.T @ (proj / s**2)
    if np.linalg.norm(unconstrained) <= b:
        out: NDArray[np.float64] = unconstrained
        return out

    def excess(lam: float) -> float:
        return float(np.sqrt(np.sum((proj / (s**2 + lam)) ** 2)) - b)

    if not np.all(np.isfinite(proj)):
        bad: NDArray[np.float64] = np.asarray(proj, dtype=np.float64)
        return bad  # overflow: reported by the caller
    hi = max(1.0, float(np.linalg.norm(proj)) / b)
    while excess(hi) > 0 and math.isfinite(hi):  # ||theta(lambda)|| <= ||A^T c|| / lambda
        hi *= 2.0
    if not math.isfinite(hi):
        return np.full(vt.shape[1], np.inf)
    # the root lambda scales like s_max^2: an absolute tolerance of 1e-15 would stop far from it for a tiny design
    xtol = max(1e-15 * min(1.0, float(s.max()) ** 2), 1e-300)
    lam = brentq(excess, 0.0, hi, xtol=xtol, rtol=1e-14, maxiter=2000)
    out = vt.T @ (proj / (s**2 + lam))
    if abs(float(np.linalg.norm(out)) - b) > 1e-6 * b:  # the constraint binds: the solution lies on the sphere
        return np.full(vt.shape[1], np.inf)  # not resolvable in float64: reported by the caller
    return out


def ball_net_size_bound(d: int, radius: float, r: float) -> float:
    r"""Volumetric bound :math:`(1 + 2B/r)^d` on the size of a maximal :math:`r`-packing of the :math:`d`-ball.

    A maximal :math:`r`-packing is an :math:`r`-net, so this also bounds the covering number.
    """
    dd = check_int(d, "d", minimum=1)
    bb, rr = check_positive(radius, "radius"), check_positive(r, "r")
    base = 1.0 + 2.0 * bb / rr
    try:
        return float(check_result_finite(base**dd, "(1 + 2B/r)^d", "d or radius/r too large"))
    except OverflowError:
        log_base = math.log(base) if math.isfinite(base) else math.log(2.0 * bb) - math.log(rr)
        log_out = dd * log_base if dd < 1e300 else math.inf
        msg = f"(1 + 2B/r)^d = exp({log_out:.6g}) overflows float64 (d or radius/r too large)"
        raise Float64RangeError(msg) from None


def greedy_packing(
    d: int, radius: float, r: float, rng: np.random.Generator, candidates: int = 20_000
) -> NDArray[np.float64]:
    r"""A greedy :math:`r`-separated subset of ``candidates`` uniform points of the :math:`d`-ball of radius :math:`B`.

    Maximal with respect to the candidates, so (up to the candidates' coverage) an :math:`r`-net;
    its size is a lower estimate of the packing number, to compare with :func:`ball_net_size_bound`.
    ``candidates`` is at most :data:`MAX_PACKING_CANDIDATES` and ``candidates**2 x d`` at most
    :math:`2\cdot 10^{9}` (the greedy pass is quadratic).
    """
    dd = check_int(d, "d", minimum=1)
    b = check_positive(radius, "radius")
    rr = check_positive(r, "r")
    m = check_int(candidates, "candidates", minimum=1)
    check_size(m * dd, "candidates x d")
    check_size(m, "candidates", MAX_PACKING_CANDIDATES)  # the greedy pass is quadratic in the packing size
    check_size(m * m * dd, "the work candidates**2 x d of the greedy pass", 2 * 10**9)
    gen = check_generator(rng)
    g = gen.standard_normal((m, dd))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    pts = g * (b * gen.random(m) ** (1.0 / dd))[:, None]
    chosen = np.empty_like(pts)
    chosen[0] = pts[0]
    k = 1
    for p in pts[1:]:
        if np.min(np.linalg.norm(chosen[:k] - p, axis=1)) >= rr:
            chosen[k] = p
            k += 1
    out: NDArray[np.float64] = chosen[:k].copy()
    return out


def random_unit_features(rng: np.random.Generator, n_prompts: int, n_responses: int, d: int) -> NDArray[np.float64]:
    r"""Gaussian features scaled to :math:`\|\phi(x, y)\| = 1`, shape ``(n_prompts, n_responses, d)``."""
    gen = check_generator(rng)
    shape = (
        check_int(n_prompts, "n_prompts", minimum=1),
        check_int(n_responses, "n_responses", minimum=1),
        check_int(d, "d", minimum=1),
    )
    check_size(shape[0] * shape[1] * shape[2], "n_prompts x n_responses x d")
    phi = gen.normal(size=shape)
    out: NDArray[np.float64] = phi / np.linalg.norm(phi, axis=2, keepdims=True)
    return out

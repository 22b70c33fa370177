r"""From performance gaps to condition numbers, and the contraction of κ (paper App. C; Thm 5.3; Cor 5.7).

Objects (book notation; the paper writes :math:`c` for :math:`\mu`, :math:`\delta` for :math:`\varepsilon` and
:math:`\rho` for :math:`\zeta`):

- performance :math:`J(\pi) = \mathbb{E}_x \mathbb{E}_{y\sim\pi} r(x, y)`, comparator
  :math:`\pi^\star`, the point mass at :math:`y^\star(x) = \arg\max_y r(x, y)`;
- margin :math:`\gamma = \min_x (r(x, y^\star) - \max_{y \ne y^\star} r(x, y))`;
- minimum confidence :math:`\mu = \min_{t, x} \max_y \pi_t(y \mid x)` (all rounds, :math:`t = 0` included,
  so :math:`\kappa_0 \le 1/\mu`);
- Lemma C.1: :math:`P_x[\pi(y^\star|x) \le 1 - \varepsilon] \le (J(\pi^\star) - J(\pi))/(\gamma\varepsilon)`;
- Lemma C.3, sharp form: with :math:`K = (J(\pi^\star) - J(\pi_{t+1}))/\gamma \ge \mathbb{E}[1 - \pi_{t+1}(\hat y|x)]`,
  :math:`\kappa_{t+1} \le \min(1 + K/\mu, 1/\mu)` (convexity of :math:`1/p`; attained by a two-point law);
- Lemma C.3, the paper's proof technique (per-level Markov bounds integrated over the tail):
  :math:`1 + K/\mu + K\log((1-\mu)(1-K)/(\mu K))` when :math:`K < 1 - \mu`, else :math:`1/\mu`;
- the dominating recurrence :math:`\kappa_{t+1} \le f(\kappa_t) = a + b'\sqrt{\kappa_t}`, its fixed point
  :math:`\kappa_\infty = ((b' + \sqrt{b'^2 + 4a})/2)^2`, contraction factor
  :math:`\rho = b'/(b' + \sqrt{b'^2 + 4a})`, envelope :math:`\kappa_\infty + \rho^T(\kappa_0 - \kappa_\infty)_+`,
  and the rounds of Cor 5.7.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from srlm._validate import (
    LOG_FLOAT_MAX,
    Float64RangeError,
    as_float_array,
    check_condition_number,
    check_finite,
    check_generator,
    check_in_interval,
    check_index_array,
    check_int,
    check_positive,
    check_result_finite,
    check_scalar,
    check_size,
)
from srlm.policies import TabularPolicy, check_finite_or_neginf, check_policy

__all__ = [
    "performance",
    "performance_gap",
    "reward_margin",
    "min_confidence",
    "gap_failure_bound",
    "failure_probability",
    "kappa_mean_bound",
    "two_point_law",
    "switch_point",
    "kappa_tail_bound",
    "sample_extremal_inverse_confidence",
    "recurrence_constants",
    "composed_map",
    "fixed_point",
    "contraction_factor",
    "iterate_recurrence",
    "envelope",
    "rounds_needed",
    "failure_bound",
    "LOG_SQRT_CONSTANT",
]

#: :math:`\max_{x>0} \log x/\sqrt x = 2/e`, attained at :math:`x = e^2`: the sharp constant in
#: :math:`\log\kappa \le (2/e)\sqrt\kappa`.
LOG_SQRT_CONSTANT = 2.0 / math.e

_TINY = float(np.finfo(np.float64).tiny)  # smallest normal float64


# ----------------------------------------------------------------- Lemma C.1 / C.2
def _reward_table(reward: ArrayLike, shape: tuple[int, ...] | None = None) -> NDArray[np.float64]:
    r = check_finite(check_finite_or_neginf(reward, "reward"), "reward")
    if shape is not None and r.shape != shape:
        raise ValueError(f"reward must have shape {shape}, got {r.shape}")
    return r


def performance(policy: TabularPolicy, reward: ArrayLike) -> float:
    r""":math:`J(\pi) = \sum_x D(x) \sum_y \pi(y|x)\, r(x, y)` for a finite reward table."""
    check_policy(policy)
    r = _reward_table(reward, policy.logp.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        out = float(np.dot(policy.weights, (policy.probs * r).sum(axis=1)))
    return float(check_result_finite(out, "J(pi)", "reward too large"))


def performance_gap(policy: TabularPolicy, reward: ArrayLike) -> float:
    r""":math:`J(\pi^\star) - J(\pi) = \sum_x D(x) \sum_y \pi(y|x)(r(x, y^\star) - r(x, y)) \ge 0`."""
    check_policy(policy)
    r = _reward_table(reward, policy.logp.shape)
    best = r.max(axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        out = float(np.dot(policy.weights, (policy.probs * (best - r)).sum(axis=1)))
    return float(check_result_finite(out, "the performance gap", "reward spread too large"))


def reward_margin(reward: ArrayLike) -> float:
    r"""The margin :math:`\gamma = \min_x (r(x, y^\star) - \max_{y\ne y^\star} r(x, y))`; 0 when some prompt ties."""
    r = _reward_table(reward)
    if r.ndim != 2 or r.shape[1] < 2:
        raise ValueError("reward must be a table with at least two responses")
    top2 = np.sort(r, axis=1)[:, -2:]
    with np.errstate(over="ignore"):
        out = float(np.min(top2[:, 1] - top2[:, 0]))
    return float(check_result_finite(out, "the margin", "reward spread too large"))


def min_confidence(*policies: TabularPolicy) -> float:
    r""":math:`\mu = \min_{t, x} \max_y \pi_t(y \mid x)` over the given policies (prompts with :math:`D(x) > 0`)."""
    if not policies:
        raise ValueError("give at least one policy")
    vals = []
    for i, pol in enumerate(policies):
        check_policy(pol, f"policies[{i}]")
        vals.append(np.exp(pol.mode_logprobs()[pol.weights > 0]).min())
    return float(min(vals))


def gap_failure_bound(gap: float, gamma: float, eps: float) -> float:
    r"""Lemma C.1's right side, :math:`\mathrm{gap}/(\gamma\varepsilon)` (not capped at 1).

    It bounds :math:`P_x[\pi(y^\star|x) \le 1 - \varepsilon]`.
    """
    g = check_scalar(gap, "gap")
    if g < 0:
        raise ValueError(f"gap must be >= 0, got {g}")
    gg, e = check_positive(gamma, "gamma"), check_in_interval(eps, "eps", 0.0, 1.0)
    den = gg * e
    out = g / den if den >= _TINY else g / gg / e
    return float(check_result_finite(out, "gap/(gamma eps)", "gap is too large against gamma and eps"))


def failure_probability(policy: TabularPolicy, eps: float, target: ArrayLike | None = None) -> float:
    r""":math:`P_x[\pi(y|x) \le 1 - \varepsilon]`.

    :math:`y` is the given ``target`` response per prompt or, by default, the policy's own mode.
    """
    check_policy(policy)
    e = check_in_interval(eps, "eps", 0.0, 1.0)
    if target is None:
        conf = np.exp(policy.mode_logprobs())
    else:
        idx = np.asarray(target)
        if idx.shape != (policy.n_prompts,) or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"target must be an integer array of shape ({policy.n_prompts},)")
        idx = check_index_array(idx, "target", policy.logp.shape[1])
        conf = policy.probs[np.arange(policy.n_prompts), idx]
    return float(np.dot(policy.weights, conf <= 1 - e))


# -------------------------------------------------------------------- Lemma C.3
def _check_K_mu(K: float, mu: float) -> tuple[float, float]:
    k = check_scalar(K, "K")
    if k < 0:
        raise ValueError(f"K must be >= 0, got {k}")
    return k, check_in_interval(mu, "mu", 0.0, 1.0, closed_high=True)


def kappa_mean_bound(K: float, mu: float) -> float:
    r"""Sharp Lemma C.3, best bound on :math:`\kappa_{t+1}` given :math:`\mathbb{E}[1 - \pi] \le K`, :math:`\pi\ge\mu`.

    .. math::

        \kappa_{t+1} = \mathbb{E}\Big[\frac{1}{\pi(\hat y|x)}\Big] \le \min\Big(1 + \frac{K}{\mu}, \frac{1}{\mu}\Big).

    On :math:`[\mu, 1]` the convex function :math:`1/p` lies below its chord
    :math:`1 + (1 - p)/\mu` (the difference is :math:`(p-\mu)(1-p)/(\mu p) \ge 0`); take expectations.
    Attained by :func:`two_point_law`, so no better bound follows from this information.

    Parameters
    ----------
    K
        :math:`K = (J(\pi^\star) - J(\pi_{t+1}))/\gamma \ge 0`, which bounds :math:`\mathbb{E}[1 - \pi(\hat y|x)]`
        (paper Lemma C.1 and Eq. 43).
    mu
        Minimum confidence :math:`\mu \in (0, 1]`.
    """
    k, m = _check_K_mu(K, mu)
    out = min(1.0 + k / m, 1.0 / m)
    return float(check_result_finite(out, "the bound min(1 + K/mu, 1/mu)", "mu is too small"))


def two_point_law(K: float, mu: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""The law of :math:`\pi(\hat y|x)` attaining :func:`kappa_mean_bound`.

    Support :math:`\{\mu, 1\}` with :math:`P[\pi = \mu] = q = \min(K/(1-\mu), 1)` (for :math:`\mu = 1`, the
    point mass at 1).  Then :math:`\mathbb{E}[1 - \pi] = \min(K, 1 - \mu) \le K` and
    :math:`\mathbb{E}[1/\pi] = 1 + q(1-\mu)/\mu = \min(1 + K/\mu, 1/\mu)`.

    Returns
    -------
    (support, weights)
        Arrays of length 2.
    """
    k, m = _check_K_mu(K, mu)
    q = 0.0 if m == 1.0 else min(k / (1.0 - m), 1.0)
    return np.array([m, 1.0]), np.array([q, 1.0 - q])


def switch_point(K: float) -> float:
    r""":math:`s_0 = 1/(1 - K)`, where :math:`Ks/(s-1)` crosses 1 (requires :math:`0 < K < 1`)."""
    k = check_in_interval(K, "K", 0.0, 1.0)
    return 1.0 / (1.0 - k)


def kappa_tail_bound(K: float, mu: float, branch: str = "auto") -> float:
    r"""What the paper's proof technique gives for Lemma C.3: the tail integral of per-level Markov bounds.

    .. math::

        &\kappa_{t+1} \le 1 + \int_1^{1/\mu} \min\Big\{1, \frac{Ks}{s-1}\Big\} ds \\
        &\quad = 1 + \frac{K}{\mu} + K \log\frac{(1-\mu)(1-K)}{\mu K} \\
        &\qquad\quad \text{if } K < 1 - \mu, \\
        &\quad = 1/\mu \quad \text{if } K \ge 1 - \mu.

    Valid but not sharp: it uses only :math:`P[1 - \pi \ge \varepsilon] \le K/\varepsilon` level by level, not
    :math:`\mathbb{E}[1 - \pi] \le K`; :func:`kappa_mean_bound` is never larger.

    Parameters
    ----------
    K
        :math:`K = (J(\pi^\star) - J(\pi_{t+1}))/\gamma > 0`.
    mu
        Minimum confidence :math:`\mu \in (0, 1]` (:math:`\mu = 1` gives :math:`\kappa = 1`).
    branch
        ``"auto"`` (default) picks the branch; ``"nontrivial"`` raises :class:`ValueError`
        when :math:`K \ge 1 - \mu`.
    """
    k = check_positive(K, "K")
    m = check_in_interval(mu, "mu", 0.0, 1.0, closed_high=True)
    if branch not in ("auto", "nontrivial"):
        raise ValueError(f"branch must be 'auto' or 'nontrivial', got {branch!r}")
    if k >= 1.0 - m:
        if branch == "nontrivial":
            raise ValueError(f"K = {k:g} >= 1 - mu = {1 - m:g}: only the saturated bound 1/mu holds")
        return float(check_result_finite(1.0 / m, "the bound 1/mu", "mu is too small"))
    prod = m * k
    ratio = (1.0 - m) * (1.0 - k) / prod if prod >= _TINY else math.inf
    if math.isfinite(ratio):
        log_ratio = math.log(ratio)
    else:  # m K underflows or the ratio overflows: the same logarithm, term by term
        log_ratio = math.log1p(-m) + math.log1p(-k) - math.log(m) - math.log(k)
    out = 1.0 + k / m + k * log_ratio
    return float(check_result_finite(out, "the tail bound", "mu is too small"))


def sample_extremal_inverse_confidence(K: float, mu: float, size: int, rng: np.random.Generator) -> NDArray[np.float64]:
    r"""Draws of :math:`Z = 1/\pi(\hat y|x)` whose tail *equals* :math:`\min\{1, Ks/(s-1)\}` on :math:`[1, 1/\mu)`.

    Inverse-CDF: with :math:`U \sim \mathrm{U}(0,1)`, :math:`Z = U/(U-K)` where that lies in
    :math:`[s_0, 1/\mu)`, and :math:`Z = 1/\mu` (an atom) when :math:`U \le K/(1-\mu)`.  Its mean is
    exactly :func:`kappa_tail_bound` (the tail technique is tight for its own hypothesis); its
    :math:`\mathbb{E}[1 - 1/Z]` exceeds :math:`K`, so it is not a law allowed by Lemma C.1's mean bound.
    Requires :math:`K < 1 - \mu`.
    """
    k = check_positive(K, "K")
    m = check_in_interval(mu, "mu", 0.0, 1.0)
    if k >= 1.0 - m:
        raise ValueError(f"K must be < 1 - mu = {1 - m:g}, got {k:g}")
    n = check_size(check_int(size, "size", minimum=1), "size")
    check_result_finite(1.0 / m, "the atom 1/mu", "mu is too small")
    u = check_generator(rng).random(n)
    atom = u <= k / (1.0 - m)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(atom, 1.0 / m, u / (u - k))
    out: NDArray[np.float64] = z
    return out


# ------------------------------------------------------------ recurrence (C.4)
def recurrence_constants(
    n: float,
    log_class_size: float,
    gamma: float,
    mu: float,
    c1: float = 1.0,
    c2: float = 1.0,
    beta: float | None = None,
) -> tuple[float, float]:
    r"""Companion-form constants :math:`(a, b')` of :math:`\kappa_{t+1} \le a + b'\sqrt{\kappa_t}`.

    From the gap bound :math:`K(\kappa) = (c_1\sqrt{\kappa\Lambda/n} + c_2\beta\log\kappa)/\gamma` (paper Eq. 58;
    :math:`c_1, c_2` are the paper's unspecified constants, :math:`\Lambda` = ``log_class_size``, e.g.
    :math:`\log|\Pi|`, or :math:`\Lambda_T = \log(T|\Pi|/\zeta)` after the union bound) and the sharp bound
    :func:`kappa_mean_bound`,
    :math:`\kappa_{t+1} \le 1 + K(\kappa_t)/\mu = 1 + b\sqrt{\kappa_t} + c\log\kappa_t` with
    :math:`b = c_1\sqrt{\Lambda/n}/(\gamma\mu)`, :math:`c = c_2\beta/(\gamma\mu)`.  With the sharp
    :math:`\log\kappa \le (2/e)\sqrt\kappa` (equality at :math:`\kappa = e^2`):

    .. math::

        a = 1, \qquad b' = b + \frac{2}{e}\,c = \frac{c_1\sqrt{\Lambda/n} + (2/e)\,c_2\beta}{\gamma\mu},

    with :math:`\beta = \sqrt{\Lambda/n}` by default.  Then :func:`composed_map` :math:`\le a + b'\sqrt\kappa` for all
    :math:`\kappa \ge 1`, with equality at :math:`\kappa = e^2` when the map is not capped at :math:`1/\mu`.
    """
    rate, b, g, m, a1, a2 = _gap_model(n, log_class_size, gamma, mu, c1, c2, beta)
    num = a1 * rate + LOG_SQRT_CONSTANT * a2 * b
    gm = g * m
    bp = num / gm if gm >= _TINY else num / g / m
    check_result_finite(bp, "b'", "gamma or mu is too small against c1, c2, beta and log_class_size/n")
    if bp == 0.0:
        raise Float64RangeError("b' underflows float64 to 0 (n is too large against log_class_size)")
    return 1.0, float(bp)


def composed_map(
    kappa: float,
    n: float,
    log_class_size: float,
    gamma: float,
    mu: float,
    c1: float = 1.0,
    c2: float = 1.0,
    beta: float | None = None,
) -> float:
    r"""One round of the bound chain: :math:`\kappa \mapsto` :func:`kappa_mean_bound` of :math:`K(\kappa)`.

    :math:`F(\kappa) = \min(1 + K(\kappa)/\mu, 1/\mu)` with
    :math:`K(\kappa) = (c_1\sqrt{\kappa\Lambda/n} + c_2\beta\log\kappa)/\gamma`, :math:`\Lambda` = ``log_class_size``.
    """
    k = check_scalar(kappa, "kappa")
    if k < 1:
        raise ValueError(f"kappa must be >= 1, got {k}")
    rate, b, g, m, a1, a2 = _gap_model(n, log_class_size, gamma, mu, c1, c2, beta)
    gap = (a1 * math.sqrt(k) * rate + a2 * b * math.log(k)) / g
    check_result_finite(gap, "K(kappa)", "gamma is too small against kappa, c1, c2 and beta")
    return kappa_mean_bound(gap, m)


def _gap_model(
    n: float, log_class_size: float, gamma: float, mu: float, c1: float, c2: float, beta: float | None
) -> tuple[float, float, float, float, float, float]:
    """Validated ``(sqrt(Lambda/n), beta, gamma, mu, c1, c2)`` of the per-round gap bound (beta defaults to rate)."""
    lp, nn = check_positive(log_class_size, "log_class_size"), check_positive(n, "n")
    ratio = lp / nn
    if not math.isfinite(ratio):
        raise Float64RangeError("log_class_size/n overflows float64 (n is too small against log_class_size)")
    rate = math.sqrt(ratio) if ratio >= _TINY else math.sqrt(lp) / math.sqrt(nn)
    b = rate if beta is None else check_positive(beta, "beta")
    m = check_in_interval(mu, "mu", 0.0, 1.0, closed_high=True)
    return rate, b, check_positive(gamma, "gamma"), m, check_positive(c1, "c1"), check_positive(c2, "c2")


def _check_ab(a: float, b: float) -> tuple[float, float]:
    return check_positive(a, "a"), check_positive(b, "b")


def _root_and_rho(aa: float, bb: float) -> tuple[float, float, float]:
    r"""Overflow-free :math:`(u, \log u, \log\rho)` with :math:`u = \sqrt{\kappa_\infty} = (b + \sqrt{b^2 + 4a})/2`.

    With :math:`w = 2\sqrt a/b`: :math:`u = b(1 + \sqrt{1 + w^2})/2` and :math:`\rho = 1/(1 + \sqrt{1 + w^2})`
    (used when :math:`w \le 1`); with :math:`t = 1/w`: :math:`u = \sqrt a\,(t + \sqrt{1 + t^2})` and
    :math:`\log\rho = \log t - \mathrm{asinh}\,t` (when :math:`w > 1`).  ``u`` may be ``inf``; the logs are finite.
    """
    sa = math.sqrt(aa)
    w = 2.0 * sa / bb
    if w <= 1.0:
        r = math.sqrt(1.0 + w * w)
        return bb * ((1.0 + r) / 2.0), math.log(bb) + math.log((1.0 + r) / 2.0), -math.log1p(r)
    lt = math.log(bb) - math.log(2.0) - math.log(sa)
    t = bb / 2.0 / sa
    ash = math.asinh(t)
    return sa * (t + math.sqrt(1.0 + t * t)), 0.5 * math.log(aa) + ash, lt - ash


def fixed_point(a: float, b: float) -> float:
    r"""Positive fixed point of :math:`f(k) = a + b\sqrt k`: :math:`\kappa_\infty = ((b + \sqrt{b^2 + 4a})/2)^2`.

    Raises :class:`~srlm._validate.Float64RangeError` (an :class:`OverflowError`) when
    :math:`\kappa_\infty` exceeds float64.
    """
    aa, bb = _check_ab(a, b)
    disc = bb * bb + 4 * aa
    if math.isfinite(disc):
        u = (bb + math.sqrt(disc)) / 2
    else:  # b^2 + 4a overflows: the same root without squaring b
        u = _root_and_rho(aa, bb)[0]
    out = u * u
    if not math.isfinite(out):
        log_k = 2 * _root_and_rho(aa, bb)[1]
        raise Float64RangeError(f"kappa_inf = exp({log_k:.6g}) overflows float64 (a or b too large)")
    return out


def contraction_factor(a: float, b: float) -> float:
    r""":math:`\rho = f'(\kappa_\infty) = b/(2\sqrt{\kappa_\infty}) = b/(b + \sqrt{b^2 + 4a}) \in (0, 1/2)`.

    Computed without overflow where :math:`b^2 + 4a` overflows (as :math:`1/(1 + \sqrt{1 + 4a/b^2})`);
    below :math:`10^{-308}` it is the correctly rounded float (0 when :math:`\rho < 5\cdot 10^{-324}`;
    :func:`rounds_needed` works with :math:`\log\rho`).
    """
    aa, bb = _check_ab(a, b)
    disc = bb * bb + 4 * aa
    if math.isfinite(disc):
        out = bb / (bb + math.sqrt(disc))
        if out >= _TINY:
            return out
    return math.exp(_root_and_rho(aa, bb)[2])


def iterate_recurrence(a: float, b: float, kappa0: float, rounds: int) -> NDArray[np.float64]:
    r"""The iterates :math:`\kappa_0, f(\kappa_0), \dots, f^{T}(\kappa_0)` of :math:`f(k) = a + b\sqrt k`.

    Returns an array of length ``rounds + 1`` (``rounds`` at most :math:`10^7`).  Raises
    :class:`~srlm._validate.Float64RangeError` if an iterate exceeds float64.
    """
    aa, bb = _check_ab(a, b)
    k0 = _check_kappa0(kappa0)
    t = check_int(rounds, "rounds", minimum=0)
    check_size(t + 1, "rounds + 1", 10**7)  # a Python loop: about a second per million rounds
    out = np.empty(t + 1)
    out[0] = k0
    for i in range(t):
        out[i + 1] = aa + bb * math.sqrt(out[i])
    check_result_finite(out, "an iterate a + b sqrt(kappa)", "a or b is too large")
    return out


def envelope(a: float, b: float, kappa0: float, rounds: ArrayLike) -> NDArray[np.float64]:
    r"""The envelope of paper Lemma C.4, :math:`\kappa_\infty + \rho^T (\kappa_0 - \kappa_\infty)_+`.

    Evaluated for each :math:`T` in ``rounds``.
    """
    k0 = _check_kappa0(kappa0)
    t = check_finite(as_float_array(np.atleast_1d(rounds), "rounds"), "rounds")
    if np.any(t < 0):
        raise ValueError("rounds must be >= 0")
    kinf, rho = fixed_point(a, b), contraction_factor(a, b)
    out: NDArray[np.float64] = kinf + rho**t * max(k0 - kinf, 0.0)
    return out


def _stable_floor(a: float, b: float, mu: float | None) -> float:
    if mu is None:
        return fixed_point(a, b)
    cap = 1.0 / check_in_interval(mu, "mu", 0.0, 1.0, closed_high=True)
    try:
        kinf = fixed_point(a, b)
    except Float64RangeError:
        kinf = math.inf
    return float(check_result_finite(min(kinf, cap), "min(kappa_inf, 1/mu)", "a or b too large and mu too small"))


def _check_kappa0_mu(kappa0: float, mu: float | None) -> float:
    k0 = _check_kappa0(kappa0)
    if mu is not None:
        m = check_in_interval(mu, "mu", 0.0, 1.0, closed_high=True)
        if k0 > (1.0 / m) * (1 + 1e-12):
            raise ValueError(f"kappa0 must be <= 1/mu = {1 / m:.6g} (mu is a minimum over all rounds), got {k0:g}")
    return k0


def rounds_needed(a: float, b: float, kappa0: float, mu: float | None = None) -> int:
    r"""Cor 5.7 (companion form): the least :math:`T \ge 1` with transient part :math:`\le` stable part.

    .. math::

        \rho^{(T-1)/2}\sqrt{\kappa_0} \le \sqrt{\bar\kappa}, \qquad
        T = \max\Big(1, \Big\lceil 1 + \frac{\log(\kappa_0/\bar\kappa)}{\log(1/\rho)} \Big\rceil\Big),

    with :math:`\bar\kappa = \kappa_\infty`, or :math:`\bar\kappa = \min(\kappa_\infty, 1/\mu)` (the stable part of
    :func:`failure_bound`) when ``mu`` is given; then :math:`\kappa_0 \le 1/\mu` is required.
    """
    k0 = _check_kappa0_mu(kappa0, mu)
    aa, bb = _check_ab(a, b)
    if mu is None:
        try:
            s = fixed_point(aa, bb)
        except Float64RangeError:  # kappa_inf beyond float64 (so above every kappa0)
            return 1
    else:
        s = _stable_floor(aa, bb, mu)
    if k0 <= s:
        return 1
    rho = contraction_factor(aa, bb)
    ratio = k0 / s
    if rho >= _TINY and s >= _TINY and math.isfinite(ratio):
        return max(1, math.ceil(1 + math.log(ratio) / math.log(1 / rho) - 1e-12))
    # rho or s below the normal range: the same formula in log space
    log_root, log_rho = _root_and_rho(aa, bb)[1:]
    log_s = 2.0 * log_root if mu is None else min(2.0 * log_root, -math.log(mu))
    return max(1, math.ceil(1 + (math.log(k0) - log_s) / -log_rho - 1e-12))


def failure_bound(
    rounds: ArrayLike,
    n: float,
    log_class_size: float,
    delta: float,
    gamma: float,
    kappa0: float,
    a: float,
    b: float,
    mu: float,
    C: float = 2.0 * (1.0 + LOG_SQRT_CONSTANT),
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Paper Theorem 5.3 (companion form): stable and transient parts of the failure bound.

    .. math::

        &P_x[\pi_T(\hat y_T|x) \le 1/2] \\
        &\quad \le \underbrace{\frac{C}{\gamma}\sqrt{\frac{\Lambda_T}{n}}
        \sqrt{\min(\kappa_\infty, 1/\mu)}}_{\text{stable}} \\
        &\quad + \underbrace{\frac{C}{\gamma}\sqrt{\frac{\Lambda_T}{n}}\,
        \rho^{(T-1)/2}\sqrt{\kappa_0}}_{\text{transient}}, \\
        &\Lambda_T = \log(T|\Pi|/\zeta),

    with probability at least :math:`1 - \zeta` (:math:`\zeta` = ``delta``).

    ``C`` collects the paper's unspecified constants: :math:`C = 2(c_1 + (2/e)c_2)` with
    :math:`\beta = \sqrt{\Lambda_T/n}` (default: :math:`c_1 = c_2 = 1`).  ``a, b`` must be the recurrence
    constants computed with :math:`\Lambda \ge \Lambda_T` for every :math:`T` in ``rounds``;
    :math:`\kappa_0 \le 1/\mu` is required (:math:`\mu` is a minimum over all rounds, :math:`t = 0` included).
    Returns ``(stable, transient)`` arrays over ``rounds`` (each :math:`T \ge 1`).
    """
    t = check_finite(as_float_array(np.atleast_1d(rounds), "rounds"), "rounds")
    if np.any(t < 1):
        raise ValueError("rounds must be >= 1")
    nn = check_positive(n, "n")
    lp = check_positive(log_class_size, "log_class_size")
    d = check_in_interval(delta, "delta", 0.0, 1.0)
    g = check_positive(gamma, "gamma")
    k0 = _check_kappa0_mu(kappa0, mu)
    cc = check_positive(C, "C")
    s, rho = _stable_floor(a, b, mu), contraction_factor(a, b)
    with np.errstate(over="ignore", under="ignore"):
        scale = cc / g * np.sqrt((np.log(t) + lp + math.log(1 / d)) / nn)
        stable, transient = scale * math.sqrt(s), scale * rho ** ((t - 1) / 2) * math.sqrt(k0)
    names = "C/gamma is too large or n too small"
    check_result_finite(stable, "the stable part", names)
    return stable, check_result_finite(transient, "the transient part", names)


def _check_kappa0(kappa0: float) -> float:
    return check_condition_number(kappa0, "kappa0")


# ------------------------------------------------- the published bound, evaluated (Eq. 7)
def _published_log_excess(log_n: float, gamma: float, mu: float, delta: float, rho: float, log_pi: float) -> float:
    """log of Eq. 7's stable part at n = e^{log_n} (finite whenever log(n|Pi|/rho) > 0)."""
    return math.log(log_n + log_pi - math.log(rho)) - math.log(gamma * delta) - 0.5 * (log_n + math.log(mu))


def _published_args(
    gamma: float, mu: float, delta: float, rho: float, log_class_size: float
) -> tuple[float, float, float, float, float]:
    return (
        check_positive(gamma, "gamma"),
        check_in_interval(mu, "mu", 0.0, 1.0, closed_high=True),
        check_in_interval(delta, "delta", 0.0, 1.0),
        check_in_interval(rho, "rho", 0.0, 1.0),
        check_in_interval(log_class_size, "log_class_size", 0.0, math.inf, closed_low=True),
    )


def published_stable_part(
    n: float, gamma: float, mu: float, delta: float = 0.5, rho: float = 0.05, log_class_size: float = 0.0
) -> float:
    r"""The stable part of paper Eq. 7 (as quoted in a public review) with its hidden constant set to 1.

    .. math::

        \frac{\log(n|\Pi|/\zeta)}{\gamma\,\varepsilon\,\sqrt{n\mu}},

    in book symbols: :math:`\mu` the minimum confidence (``mu``; the paper's :math:`c`), for the event
    :math:`\pi_T(\hat y_T|x) \le 1 - \varepsilon` (:math:`\varepsilon` = ``delta``, the paper's :math:`\delta`),
    with probability :math:`1 - \zeta` (:math:`\zeta` = ``rho``, the paper's :math:`\rho`).
    ``log_class_size`` :math:`= \log|\Pi| \ge 0` (0 is the most favourable case, a single policy).  A value
    :math:`\ge 1` means the bound says nothing.  Computed in log space; requires :math:`n|\Pi|/\zeta > 1`.
    Used by the real-model chapters to evaluate the bound on the measured :math:`\gamma` and :math:`\mu`.
    """
    nn = check_positive(n, "n")
    g, m, d, r, lp = _published_args(gamma, mu, delta, rho, log_class_size)
    if math.log(nn) + lp - math.log(r) <= 0:
        raise ValueError(f"n * |Pi| / rho must exceed 1 for the bound to be defined, got n = {nn:g}")
    log_value = _published_log_excess(math.log(nn), g, m, d, r, lp)
    if log_value > LOG_FLOAT_MAX:
        raise Float64RangeError("the stable part exceeds float64 (gamma * delta * sqrt(n mu) is too small)")
    return math.exp(log_value)


def published_bound_sample_size(
    gamma: float, mu: float, delta: float = 0.5, rho: float = 0.05, log_class_size: float = 0.0
) -> float:
    r"""The smallest :math:`n^\ast \ge 1` beyond which :func:`published_stable_part` stays at most 1.

    In :math:`u = \log n` the log of the stable part, :math:`f(u) = \log(u + \log|\Pi| - \log\zeta)
    - \log(\gamma\varepsilon) - (u + \log\mu)/2`, increases up to :math:`u_0 = 2 - \log|\Pi| + \log\zeta` and
    decreases after it (to :math:`-\infty`), so :math:`n^\ast` is the root of :math:`f` on the decreasing branch
    (Brent's method, bracketed by doubling), or 1 when :math:`f \le 0` on all of :math:`n \ge 1`.  Raises
    :class:`Float64RangeError` when :math:`n^\ast` exceeds float64.
    """
    g, m, d, r, lp = _published_args(gamma, mu, delta, rho, log_class_size)
    from scipy.optimize import brentq

    u_lo = max(2.0 - lp + math.log(r), 0.0)  # start of the decreasing branch (log(|Pi|/rho) > 0 as rho < 1)

    def f(u: float) -> float:
        return _published_log_excess(u, g, m, d, r, lp)

    if f(u_lo) <= 0:
        return 1.0
    u_hi = min(u_lo + 1.0, LOG_FLOAT_MAX)
    while f(u_hi) > 0:
        if u_hi >= LOG_FLOAT_MAX:
            raise Float64RangeError(
                "the sample size at which the bound drops below 1 exceeds float64 (gamma or mu is too small)"
            )
        u_hi = min(2.0 * u_hi + 1.0, LOG_FLOAT_MAX)
    root = brentq(f, u_lo, u_hi, xtol=1e-13, rtol=4 * np.finfo(float).eps)
    return float(math.exp(float(root)))

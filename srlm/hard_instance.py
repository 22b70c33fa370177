r"""The hard instance :math:`H(N, M, \varepsilon, g)` behind paper Theorem 4.1 (App. D).

Prompts :math:`x_0, x_1, \dots, x_N` with :math:`D(x_0) = 1-\varepsilon` and
:math:`D(x_i) = \varepsilon/N`; responses :math:`1..M`.  At the sentinel
:math:`x_0` every policy in the class is deterministic; at :math:`x_i` the policy
:math:`\pi_\sigma` gives its hidden favourite :math:`\sigma_i` probability
:math:`p_1 = (1+g)/M` and every other response :math:`p_2 = (1-p_1)/(M-1)`.  The class
:math:`\Pi = \{\pi_\sigma : \sigma \in [M]^N\}` has :math:`\log|\Pi| = N\log M`, and
every member has :math:`\kappa = (1-\varepsilon) + \varepsilon M/(1+g)`.

A sample-and-evaluate call draws :math:`x \sim D`, :math:`y \sim \pi_\sigma(\cdot|x)` and
returns :math:`\log\pi_\sigma(y|x)`, which reveals whether :math:`y = \sigma_i`.  The
Bayes-optimal learner keeps :math:`\sigma_i` when it was drawn and otherwise
guesses uniformly among the responses not yet drawn at :math:`x_i` (its posterior);
it *fails* at :math:`x` when its policy puts mass :math:`\le 1/2` on :math:`\sigma_i`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln

from srlm._validate import (
    Float64RangeError,
    check_condition_number,
    check_generator,
    check_in_interval,
    check_index_array,
    check_int,
    check_positive,
    check_size,
)
from srlm.policies import TabularPolicy
from srlm.sampling import sample_categorical

__all__ = ["HardInstance", "SampleCalls", "proven_failure_rate", "required_samples"]


@dataclass(frozen=True)
class SampleCalls:
    """``n`` sample-and-evaluate calls: prompt index, response index, returned log-probability."""

    prompts: NDArray[np.intp]
    responses: NDArray[np.intp]
    logprobs: NDArray[np.float64]


@dataclass(frozen=True)
class HardInstance:
    r"""The family :math:`H(N, M, \varepsilon, g)`.

    Parameters
    ----------
    N
        Number of informative prompts, :math:`N \ge 1`.
    M
        Number of responses, :math:`M \ge 2`.
    eps
        Mass :math:`\varepsilon \in (0, 1]` of the informative prompts.
    g
        Bias :math:`0 < g < M - 1` of the favourite (so that :math:`p_1 < 1`).
    """

    N: int
    M: int
    eps: float
    g: float

    def __post_init__(self) -> None:
        check_int(self.N, "N", minimum=1)
        check_int(self.M, "M", minimum=2)
        check_in_interval(self.eps, "eps", 0.0, 1.0, closed_high=True)
        g = check_positive(self.g, "g")
        if g >= self.M - 1:
            raise ValueError(f"g must be < M - 1 = {self.M - 1} so that the favourite's probability is < 1")

    # ------------------------------------------------------------ builders
    @classmethod
    def for_target(cls, delta: float, kappa0: float, log_class_size: float, g: float = 1.0) -> HardInstance:
        r"""The instance used against a target failure rate :math:`\delta` (companion form).

        :math:`\varepsilon = 4\delta`; :math:`M` is the largest integer with
        :math:`\kappa(\pi_\sigma) \le \kappa_0`, i.e.
        :math:`M = \lfloor (1+g)(1 + (\kappa_0-1)/\varepsilon) \rfloor`; and
        :math:`N = \lfloor \log|\Pi| / \log M \rfloor` so that :math:`N \log M \le \log|\Pi|`.
        """
        d = check_in_interval(delta, "delta", 0.0, 0.25, closed_high=True)
        k0 = _check_kappa0(kappa0)
        lp = check_positive(log_class_size, "log_class_size")
        gg = check_positive(g, "g")
        eps = 4.0 * d
        m_real = (1 + gg) * (1 + (k0 - 1) / eps) * (1 + 1e-12)
        if not math.isfinite(m_real):
            raise Float64RangeError(
                f"M = (1+g)(1 + (kappa0-1)/(4 delta)) overflows float64 (kappa0 = {k0:g}, delta = {d:g})"
            )
        m = math.floor(m_real)
        if m < 2 or gg >= m - 1:
            raise ValueError(f"kappa0 = {k0} and g = {gg} leave only M = {m} responses; need g < M - 1")
        n_inf = math.floor(lp / math.log(m) * (1 + 1e-12))
        if n_inf < 1:
            raise ValueError(f"log_class_size = {lp} is below log M = {math.log(m):.6g}: no informative prompt fits")
        return cls(n_inf, m, eps, gg)

    # ---------------------------------------------------------- properties
    @property
    def favourite_prob(self) -> float:
        """:math:`p_1 = (1+g)/M`, the favourite's probability."""
        return (1 + self.g) / self.M

    @property
    def other_prob(self) -> float:
        """:math:`p_2 = (1-p_1)/(M-1)`, every other response's probability."""
        return (1 - self.favourite_prob) / (self.M - 1)

    @property
    def hit_prob(self) -> float:
        r""":math:`q = p_1 + p_2`: one draw at :math:`x_i` hits :math:`\sigma_i` or a fixed other response."""
        return self.favourite_prob + self.other_prob

    @property
    def kappa(self) -> float:
        r""":math:`\kappa(\pi_\sigma) = (1-\varepsilon) + \varepsilon M/(1+g)`, the same for every :math:`\sigma`."""
        return (1 - self.eps) + self.eps * self.M / (1 + self.g)

    @property
    def log_class_size(self) -> float:
        r""":math:`\log|\Pi| = N \log M`."""
        return self.N * math.log(self.M)

    def prompt_weights(self) -> NDArray[np.float64]:
        """The prompt law :math:`D` on :math:`x_0, \\dots, x_N`."""
        return np.concatenate([[1 - self.eps], np.full(self.N, self.eps / self.N)])

    def policy(self, sigma: ArrayLike) -> TabularPolicy:
        r"""The member :math:`\pi_\sigma` (response 0 is the sentinel's deterministic answer)."""
        s = check_index_array(sigma, "sigma", self.M)
        if s.shape[0] != self.N:
            raise ValueError(f"sigma must have N = {self.N} entries, got {s.shape[0]}")
        check_size((self.N + 1) * self.M, "the table size (N + 1) M")
        probs = np.full((self.N + 1, self.M), self.other_prob)
        probs[0] = 0.0
        probs[0, 0] = 1.0
        probs[1 + np.arange(self.N), s] = self.favourite_prob
        return TabularPolicy.from_probs(probs, self.prompt_weights())

    def sample_calls(self, sigma: ArrayLike, n: int, rng: np.random.Generator) -> SampleCalls:
        """``n`` sample-and-evaluate calls against :math:`\\pi_\\sigma`."""
        pol = self.policy(sigma)
        m = check_size(check_int(n, "n", minimum=1), "n")
        gen = check_generator(rng)
        x = gen.choice(self.N + 1, size=m, p=pol.weights).astype(np.intp)
        y = sample_categorical(pol.probs, x, gen)
        return SampleCalls(x, y, pol.logp[x, y])

    # ------------------------------------------------ Bayes-optimal learner
    def bayes_error_per_prompt(self, n: int) -> float:
        r"""Exact probability that the Bayes-optimal learner errs at a fixed :math:`x_i` after ``n`` calls.

        With :math:`m \sim \mathrm{Bin}(n, \varepsilon/N)` draws at :math:`x_i`, the favourite is
        missed with probability :math:`(1-a)^m`; given that, the other draws are uniform
        on the :math:`M-1` other responses, and with :math:`K` of them never drawn the
        posterior is uniform on :math:`K+1` candidates, so the error is
        :math:`\mathbb{E}[1 - 1/(K+1)]`.  :math:`K` follows the occupancy distribution,
        computed by an exact recursion over draws.
        """
        nn = check_size(check_int(n, "n", minimum=0), "n", 2**62)
        p_prompt = self.eps / self.N
        # Truncate the sum over m where either factor is below 1e-17: the binomial beyond
        # mean + 40 sd (+40), or the miss probability (1-a)^m <= exp(-a m) < e^-39.
        mean = nn * p_prompt
        m_max = int(min(nn, math.ceil(mean + 40 * math.sqrt(mean) + 40), math.ceil(39 / self.favourite_prob)))
        check_size((m_max + 1) * max(self.M, 100), "the work (draws m_max + 1) x max(M, 100) of the exact recursion")
        pmf = _binomial_pmf(np.arange(m_max + 1), nn, p_prompt)
        bins = self.M - 1
        occupied = np.zeros(bins + 1)
        occupied[0] = 1.0
        k = np.arange(bins + 1)
        err_given_k = 1.0 - 1.0 / (self.M - k)  # K = bins - k empty others, |U| = K + 1 = M - k
        total = 0.0
        miss = 1.0
        for m in range(m_max + 1):
            total += pmf[m] * miss * float(occupied @ err_given_k)
            stay = occupied * k / bins
            move = np.zeros_like(occupied)
            move[1:] = occupied[:-1] * (bins - k[:-1]) / bins
            occupied = stay + move
            miss *= 1.0 - self.favourite_prob
        return total

    def bayes_failure_rate(self, n: int) -> float:
        r"""Exact :math:`P_{x,\text{data}}[\text{fail}] = \varepsilon \cdot` :meth:`bayes_error_per_prompt`."""
        return self.eps * self.bayes_error_per_prompt(n)

    def bayes_failure_monte_carlo(self, n: int, reps: int, rng: np.random.Generator) -> tuple[float, float]:
        r"""Monte Carlo estimate of the failure rate and its standard error.

        Each repetition draws a test prompt :math:`x \sim D`, the ``n`` calls' counts at
        it (by symmetry only those matter, and :math:`\sigma_i` can be taken to be
        response 0), the per-response counts as a multinomial draw, and the learner's
        uniform guess among undrawn responses.  Vectorised over repetitions.
        """
        nn = check_size(check_int(n, "n", minimum=0), "n", 2**62)
        r = check_int(reps, "reps", minimum=2)
        check_size(r * self.M, "reps x M")
        gen = check_generator(rng)
        informative = gen.random(r) < self.eps
        m = gen.binomial(nn, self.eps / self.N, size=r)
        pvals = np.concatenate([[self.favourite_prob], np.full(self.M - 1, self.other_prob)])
        counts = gen.multinomial(m, pvals)
        hit = counts[:, 0] > 0
        candidates = 1 + (counts[:, 1:] == 0).sum(axis=1)
        correct_guess = gen.random(r) * candidates < 1.0
        fail = informative & ~hit & ~correct_guess
        est = float(fail.mean())
        return est, float(fail.std(ddof=1) / math.sqrt(r))


def _binomial_pmf(k: NDArray[np.int_], n: int, p: float) -> NDArray[np.float64]:
    """Binomial(n, p) probabilities at ``k`` via log-gamma (stable for large ``n``)."""
    if p >= 1.0:
        exact: NDArray[np.float64] = (k == n).astype(np.float64)
        return exact
    log_pmf = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + k * np.log(p) + (n - k) * np.log1p(-p)
    out: NDArray[np.float64] = np.exp(log_pmf)
    return out


_LOG2 = math.log(2.0)


def _check_kappa0(kappa0: float) -> float:
    k0 = check_condition_number(kappa0, "kappa0")
    if k0 == 1:
        raise ValueError("kappa0 = 1 is a deterministic base policy: no hard instance (need kappa0 > 1)")
    return k0
_FUDGE = 1e-12  # relative slack of the floors in :meth:`HardInstance.for_target` (float rounding at integers)


def _smallest_n(z: float) -> int:
    r"""Smallest integer :math:`n \ge 1` with :math:`(1-z)^n \le 1/2`, for :math:`0 < z \le 1`."""
    if z >= 1.0:
        return 1
    lz = math.log1p(-z)  # < 0
    if lz == 0.0 or _LOG2 / -lz > 2.0**52:  # beyond 2^52 a float cannot resolve the integer threshold
        raise Float64RangeError(
            f"n* = log 2/(-log(1 - z)) with z = {z:.3g} exceeds 2**52 (log_class_size too large against kappa0)"
        )
    n = max(1, math.ceil(_LOG2 / -lz))
    while n > 1 and (n - 1) * lz <= -_LOG2:  # guard the rounding of the ceiling in both directions
        n -= 1
    while n * lz > -_LOG2:
        n += 1
    return n


def required_samples(delta: float, kappa0: float, log_class_size: float, g: float = 1.0) -> int:
    r"""Exact sample threshold :math:`n^\ast(\delta)` of the instance :meth:`HardInstance.for_target` (Thm 4.1).

    Success :math:`\ge 1-\delta` on every member forces
    :math:`\tfrac12(1 - c\varepsilon/N)^n \le \delta/\varepsilon = 1/4`, so the threshold is the
    *smallest* integer :math:`n` with :math:`(1 - z)^n \le 1/2`, :math:`z = c\varepsilon/N`:

    .. math:: n^\ast = \Big\lceil \frac{\log 2}{-\log(1 - z)} \Big\rceil \quad (z < 1), \qquad n^\ast = 1 \quad (z = 1).

    With :math:`n^\ast - 1` calls every algorithm fails with probability :math:`> \delta` on some
    member.  The ceiling is checked against the inequality itself, so the value returned is
    the smallest sufficient :math:`n` also where :math:`\log 2/(-\log(1-z))` is within rounding of
    an integer.
    """
    inst = HardInstance.for_target(delta, kappa0, log_class_size, g)
    return _smallest_n(inst.hit_prob * inst.eps / inst.N)


def proven_failure_rate(
    n: ArrayLike, kappa0: float, log_class_size: float, g: float = 1.0
) -> NDArray[np.float64] | float:
    r"""The failure rate the construction of Theorem 4.1 proves from ``n`` calls, exactly.

    .. math::

        &\delta_{\mathrm{proven}}(n) = \sup\{\delta \in (0, 1/4] : \\
        &\qquad \text{the instance for } \delta \text{ exists}, \\
        &\qquad n^\ast(\delta) > n\},

    with :math:`n^\ast` of :func:`required_samples`.  For every :math:`\delta` in the set, every
    algorithm with :math:`n` calls fails with probability :math:`> \delta` on some base policy
    with :math:`\kappa \le \kappa_0` and :math:`\log|\Pi| \le` ``log_class_size``, so the minimax
    failure rate is at least :math:`\delta_{\mathrm{proven}}(n)`.  :math:`n^\ast` is not monotone in
    :math:`\delta` (:math:`N = \lfloor\log|\Pi|/\log M\rfloor` jumps), so the supremum is found
    exactly rather than by inverting :math:`n^\ast`: :math:`n^\ast(\delta) > n` iff
    :math:`z(\delta) < z_n = 1 - 2^{-1/n}`; :math:`z = 4\delta q(M)/N(M)` is linear in :math:`\delta`
    on each interval of constant :math:`M`, and increasing in :math:`\delta` on each block of constant
    :math:`N` (because :math:`q(M)` decreases in :math:`M` when :math:`M > 1 + g`).  The rightmost block
    that contains a :math:`\delta` with :math:`z < z_n` holds the supremum, found there by bisection
    over the integer :math:`M`.

    Returns ``0.0`` where no admissible :math:`\delta` has :math:`n^\ast(\delta) > n` (the class
    budget :math:`N \ge 1` stops the construction).  Vectorised over ``n`` (integers :math:`\ge 0`).

    Raises
    ------
    ValueError
        If no :math:`\delta \in (0, 1/4]` gives an instance with :math:`N \ge 1` and :math:`g < M - 1`.
    """
    scalar = np.ndim(n) == 0
    raw = np.atleast_1d(np.asarray(n))
    if raw.dtype == bool or raw.dtype.kind not in "iufO" or raw.ndim != 1:
        raise ValueError("n must be a non-negative integer or a 1-d array of them")
    try:
        nf = raw.astype(np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("n must be a non-negative integer or a 1-d array of them") from None
    if not np.all(np.isfinite(nf)) or np.any(nf < 0) or np.any(nf != np.floor(nf)):
        raise ValueError("n must be a non-negative integer or a 1-d array of them")
    k0 = _check_kappa0(kappa0)
    lp = check_positive(log_class_size, "log_class_size")
    gg = check_positive(g, "g")
    big = 1e300
    gfac = (1 + gg) * (1 + _FUDGE)

    def n_of(m: NDArray[np.float64]) -> NDArray[np.float64]:  # N(M), as in for_target
        return np.floor(lp / np.log(m) * (1 + _FUDGE))

    def d_hi(m: NDArray[np.float64]) -> NDArray[np.float64]:  # largest delta with M(delta) >= m
        return (k0 - 1) / (4.0 * (m / gfac - 1.0))

    def c_of(m: NDArray[np.float64]) -> NDArray[np.float64]:
        a = (1 + gg) / m
        return a + (1 - a) / (m - 1)

    if not math.isfinite(gfac * k0):
        raise Float64RangeError(f"M = (1+g) kappa0 overflows float64 (kappa0 = {k0:g}, g = {gg:g})")
    m_min = float(max(math.floor(gfac * k0), math.floor(1 + gg) + 1, 2))  # delta <= 1/4 and g < M - 1
    k_max = int(n_of(np.array([m_min]))[0])
    if k_max < 1:
        raise ValueError(
            f"no delta in (0, 1/4] gives an instance: log_class_size = {lp} is below log M = {math.log(m_min):.6g}"
        )
    check_size(k_max * max(nf.size, 1), f"the blocks N = 1..{k_max} (log_class_size/log M) times len(n)")
    ks = np.arange(1, k_max + 1, dtype=np.float64)
    with np.errstate(over="ignore"):
        m_hi = np.minimum(np.floor(np.exp(lp * (1 + _FUDGE) / ks)), big)
    m_hi = np.where(n_of(np.maximum(m_hi, 2.0)) < ks, m_hi - 1, m_hi)  # exp rounding at integers
    m_hi = np.where((m_hi < big) & (n_of(m_hi + 1) >= ks), m_hi + 1, m_hi)
    m_lo = np.maximum(np.concatenate([m_hi[1:] + 1, [m_min]]), m_min)
    nonempty = (m_lo <= m_hi) & (n_of(m_lo) >= ks)
    with np.errstate(divide="ignore"):
        z_n = np.where(nf > 0, -np.expm1(-_LOG2 / np.maximum(nf, 1.0)), np.inf)

    def qualifies(m: NDArray[np.float64], k: NDArray[np.float64], zn: NDArray[np.float64]) -> NDArray[np.bool_]:
        # the piece of constant M = m holds some delta with z(delta) < z_n
        return zn * k / (4.0 * c_of(m)) > d_hi(m + 1)

    grid_ok = qualifies(m_hi[None, :], ks[None, :], z_n[:, None]) & nonempty[None, :]
    has = grid_ok.any(axis=1)
    kidx = np.where(has, grid_ok.shape[1] - 1 - np.argmax(grid_ok[:, ::-1], axis=1), 0)
    kk, lo, hi, zn = ks[kidx], m_lo[kidx].copy(), m_hi[kidx].copy(), z_n
    # bisection for the smallest qualifying M of the block: qualifies(hi) holds, invariant kept
    for _ in range(1100):
        open_ = has & (hi - lo > np.maximum(1.0, hi * 1e-15))
        if not open_.any():
            break
        mid = np.floor((lo + hi) / 2.0)
        ok = qualifies(mid, kk, zn)
        hi = np.where(open_ & ok, mid, hi)
        lo = np.where(open_ & ~ok, mid, lo)
    best = np.where(has & qualifies(lo, kk, zn), lo, hi)
    with np.errstate(invalid="ignore"):
        cand = np.minimum(np.minimum(zn * kk / (4.0 * c_of(best)), d_hi(best)), 0.25)
    out = np.where(has, cand, 0.0)
    return float(out[0]) if scalar else out

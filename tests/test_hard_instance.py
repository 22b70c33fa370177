from __future__ import annotations

import math

import numpy as np
import pytest

import srlm


@pytest.mark.parametrize(("delta", "kappa0"), [(0.01, 4.0), (0.02, 10.0), (0.05, 50.0)])
def test_instance_respects_budgets(delta: float, kappa0: float) -> None:
    inst = srlm.HardInstance.for_target(delta, kappa0, 300.0, g=1.0)
    assert inst.kappa <= kappa0 * (1 + 1e-12)
    assert inst.log_class_size <= 300.0
    pol = inst.policy(np.zeros(inst.N, dtype=int))
    assert srlm.condition_number(pol) == pytest.approx(inst.kappa)
    # M is the largest admissible: one more response would break the kappa budget
    bigger = srlm.HardInstance(inst.N, inst.M + 1, inst.eps, inst.g)
    assert bigger.kappa > kappa0


def test_generating_function_identity() -> None:
    inst = srlm.HardInstance(N=5, M=7, eps=0.3, g=0.5)
    n, p, c = 40, inst.eps / inst.N, inst.hit_prob
    m = np.arange(n + 1)
    pmf = np.array([math.comb(n, k) for k in m]) * p**m * (1 - p) ** (n - m)
    assert np.dot(pmf, (1 - c) ** m) == pytest.approx((1 - c * p) ** n, rel=1e-12)


def test_exact_failure_against_monte_carlo_and_bound() -> None:
    inst = srlm.HardInstance.for_target(0.02, 10.0, 200.0, g=1.0)
    n = srlm.required_samples(0.02, 10.0, 200.0, g=1.0) - 1
    exact = inst.bayes_failure_rate(n)
    est, se = inst.bayes_failure_monte_carlo(n, 100_000, np.random.default_rng(3))
    assert abs(est - exact) < 5 * se
    lower = inst.eps * 0.5 * (1 - inst.hit_prob * inst.eps / inst.N) ** n
    assert exact >= lower > 0.02


def test_exact_failure_small_case_by_enumeration() -> None:
    """Tiny instance: enumerate every sequence of draws at one prompt (n fixed draws there)."""
    inst = srlm.HardInstance(N=1, M=3, eps=1.0, g=0.5)
    a, b = inst.favourite_prob, inst.other_prob
    n = 3
    err = 0.0
    import itertools

    for draws in itertools.product(range(3), repeat=n):
        prob = np.prod([a if d == 0 else b for d in draws])
        if 0 in draws:
            continue
        undrawn = 3 - len(set(draws))
        err += prob * (1 - 1 / undrawn)
    assert inst.bayes_failure_rate(n) == pytest.approx(err, rel=1e-12)


def test_sample_calls_reveal_the_favourite(rng: np.random.Generator) -> None:
    inst = srlm.HardInstance(N=4, M=6, eps=0.5, g=1.0)
    sigma = np.array([1, 2, 3, 4])
    calls = inst.sample_calls(sigma, 5000, rng)
    informative = calls.prompts > 0
    is_fav = calls.responses[informative] == sigma[calls.prompts[informative] - 1]
    np.testing.assert_allclose(calls.logprobs[informative][is_fav], np.log(inst.favourite_prob))
    np.testing.assert_allclose(calls.logprobs[~calls.prompts.astype(bool)], 0.0)
    assert abs(informative.mean() - 0.5) < 0.03


def test_bad_input(rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match=r"delta must lie in \(0, 0.25\]"):
        srlm.HardInstance.for_target(0.3, 10.0, 100.0)
    with pytest.raises(ValueError, match=r"kappa0 must be >= 1 \(a condition number\)"):
        srlm.HardInstance.for_target(0.1, 0.9, 100.0)
    with pytest.raises(ValueError, match="deterministic base policy"):
        srlm.HardInstance.for_target(0.1, 1.0, 100.0)
    with pytest.raises(ValueError, match="no informative prompt fits"):
        srlm.HardInstance.for_target(0.01, 10.0, 1.0)
    with pytest.raises(ValueError, match="g must be < M - 1"):
        srlm.HardInstance(N=1, M=3, eps=0.5, g=2.0)
    with pytest.raises(ValueError, match=r"eps must lie in \(0, 1\]"):
        srlm.HardInstance(N=1, M=3, eps=0.0, g=1.0)
    inst = srlm.HardInstance(N=2, M=3, eps=0.5, g=1.0)
    with pytest.raises(ValueError, match="sigma must have N = 2 entries"):
        inst.policy([0])
    with pytest.raises(ValueError, match="sigma must have entries in 0..2"):
        inst.policy([0, 5])
    with pytest.raises(ValueError, match="reps must be >= 2"):
        inst.bayes_failure_monte_carlo(10, 1, rng)


# ---------------------------------------------------------------- exact threshold and proven rate
def _instance_exact(delta: str, kappa0: str, log_pi: float, g: str) -> tuple[int, int, object]:
    """M, N and z = c eps / N from the definitions, in exact rational arithmetic (independent of srlm)."""
    from fractions import Fraction

    d, k0, gg = Fraction(delta), Fraction(kappa0), Fraction(g)
    eps = 4 * d
    m = math.floor((1 + gg) * (1 + (k0 - 1) / eps))
    n_inf = math.floor(log_pi / math.log(m))
    a = (1 + gg) / m
    c = a + (1 - a) / (m - 1)
    return m, n_inf, c * eps / n_inf


@pytest.mark.parametrize(
    ("delta", "kappa0", "log_pi", "g"),
    [("0.01", "10", 200.0, "1"), ("0.02", "4", 300.0, "0.5"), ("0.0037", "50", 20.0, "2"), ("0.25", "3", 7.0, "1")],
)
def test_required_samples_is_the_smallest_sufficient_n(delta: str, kappa0: str, log_pi: float, g: str) -> None:
    import mpmath

    m, n_inf, z = _instance_exact(delta, kappa0, log_pi, g)
    inst = srlm.HardInstance.for_target(float(delta), float(kappa0), log_pi, float(g))
    assert (inst.M, inst.N) == (m, n_inf)
    n_star = srlm.required_samples(float(delta), float(kappa0), log_pi, float(g))
    with mpmath.workdps(50):
        zz = mpmath.mpf(z.numerator) / z.denominator  # type: ignore[attr-defined]
        half = mpmath.mpf(1) / 2
        assert (1 - zz) ** n_star <= half < (1 - zz) ** (n_star - 1)  # sufficient, and n* - 1 is not
        assert n_star == int(mpmath.ceil(mpmath.log(2) / -mpmath.log(1 - zz)))


def test_required_samples_edge_cases() -> None:
    from srlm.hard_instance import _smallest_n

    # z = 1 (M = 2, N = 1, eps = 1): one call always reveals the favourite; the log formula would give 0
    assert srlm.required_samples(0.25, 1.5, 1.0, g=0.5) == 1
    inst = srlm.HardInstance.for_target(0.25, 1.5, 1.0, g=0.5)
    assert (inst.M, inst.N, inst.hit_prob) == (2, 1, 1.0)
    # log 2 / -log(1 - z) exactly an integer: (1 - z)^k = 1/2 already suffices at n = k
    assert _smallest_n(0.5) == 1 and _smallest_n(0.75) == 1 and _smallest_n(0.25) == 3
    assert _smallest_n(1 - 2 ** (-1 / 4)) == 4


def _proven_by_scan(n: int, kappa0: float, log_pi: float, g: float, deltas: np.ndarray) -> float:
    """Largest grid delta whose instance exists and has n*(delta) > n, by direct evaluation (no srlm)."""
    best = 0.0
    for d in deltas:
        eps = 4 * d
        m = math.floor((1 + g) * (1 + (kappa0 - 1) / eps) * (1 + 1e-12))
        if m < 2 or g >= m - 1:
            continue
        n_inf = math.floor(log_pi / math.log(m) * (1 + 1e-12))
        if n_inf < 1:
            continue
        a = (1 + g) / m
        z = (a + (1 - a) / (m - 1)) * eps / n_inf
        if (1 - z) ** n > 0.5:  # n*(delta) > n
            best = max(best, float(d))
    return best


@pytest.mark.parametrize(("kappa0", "log_pi", "g"), [(10.0, 20.0, 1.0), (3.0, 200.0, 0.5), (50.0, 12.0, 3.0)])
def test_proven_failure_rate_against_scan(kappa0: float, log_pi: float, g: float) -> None:
    deltas = np.geomspace(1e-6, 0.25, 6001)
    ns = [0, 1, 7, 60, 500, 4000, 30_000, 250_000]
    proven = srlm.proven_failure_rate(np.array(ns), kappa0, log_pi, g)
    for n, p in zip(ns, proven, strict=True):
        scan = _proven_by_scan(n, kappa0, log_pi, g, deltas)
        assert scan <= p * (1 + 1e-9)  # nothing on the grid beats the supremum
        assert p <= 0.25
        if p > 0:
            assert srlm.required_samples(p * (1 - 1e-9), kappa0, log_pi, g) > n  # approached from below
            if scan > 0:
                assert p / scan < 1.01  # the grid gets within its spacing (0.2%) or one piece of the supremum
    at_zero = _proven_by_scan(0, kappa0, log_pi, g, np.array([0.25]))
    assert srlm.proven_failure_rate(0, kappa0, log_pi, g) == pytest.approx(at_zero)


def test_proven_failure_rate_input_and_empty_construction() -> None:
    assert srlm.proven_failure_rate(10**18, 10.0, 20.0, 1.0) == 0.0  # beyond the class budget: nothing proven
    assert isinstance(srlm.proven_failure_rate(100, 10.0, 20.0, 1.0), float)
    with pytest.raises(ValueError, match="no delta in"):
        srlm.proven_failure_rate(10, 10.0, 1.0, 1.0)
    for bad in (-1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="n must be a non-negative integer"):
            srlm.proven_failure_rate(bad, 10.0, 20.0, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="deterministic base policy"):
        srlm.proven_failure_rate(10, 1.0, 20.0, 1.0)
    with pytest.raises(ValueError, match=r"kappa0 must be >= 1"):
        srlm.proven_failure_rate(10, 0.5, 20.0, 1.0)


def test_size_and_range_limits() -> None:
    """Sizes are checked before allocation; thresholds beyond 2**52 raise instead of hanging."""
    with pytest.raises(ValueError, match="size limit"):
        srlm.HardInstance(N=10**5, M=10**4, eps=0.5, g=1.0).policy(np.zeros(10**5, dtype=int))
    with pytest.raises(ValueError, match="size limit"):
        srlm.HardInstance(N=1, M=10**6, eps=0.5, g=1.0).bayes_failure_rate(10**9)
    with pytest.raises(OverflowError, match=r"exceeds 2\*\*52"):
        srlm.required_samples(0.25, 3477.68, 2.48e245, 3624.55)
    with pytest.raises(ValueError, match="size limit"):
        srlm.proven_failure_rate(10, 1.5, 1e300, 1.0)
    with pytest.raises(OverflowError, match="kappa0"):
        srlm.HardInstance.for_target(1e-300, 1e300, 10.0)


def test_bayes_failure_by_full_enumeration() -> None:
    """Bayes-optimal failure from the posterior itself, enumerating every sigma and every call sequence."""
    import itertools

    inst = srlm.HardInstance(N=2, M=3, eps=0.6, g=0.5)
    n = 3
    sigmas = list(itertools.product(range(3), repeat=2))
    pols = {s: inst.policy(list(s)) for s in sigmas}
    w = inst.prompt_weights()
    outcomes = [(x, y) for x in range(3) for y in range(3)]
    total = 0.0
    for s_true in sigmas:
        p_true = pols[s_true].probs
        for seq in itertools.product(outcomes, repeat=n):
            prob = np.prod([w[x] * p_true[x, y] for x, y in seq])
            if prob == 0:
                continue
            values = [pols[s_true].logp[x, y] for x, y in seq]
            # posterior over sigma given (x, y, returned log-probability) of every call, uniform prior
            post = np.array(
                [
                    np.prod(
                        [
                            w[x] * pols[s].probs[x, y] * np.isclose(pols[s].logp[x, y], v)
                            for (x, y), v in zip(seq, values, strict=True)
                        ]
                    )
                    for s in sigmas
                ]
            )
            post /= post.sum()
            for i in range(2):  # informative prompt x_{i+1}: best success is the largest marginal posterior
                marg = np.array([post[[k for k, s in enumerate(sigmas) if s[i] == j]].sum() for j in range(3)])
                total += prob / len(sigmas) * (inst.eps / inst.N) * (1 - marg.max())
    assert inst.bayes_failure_rate(n) == pytest.approx(total, rel=1e-12)


def test_threshold_is_attained_when_m_is_two() -> None:
    """M = 2: Bayes failure = (eps/2)(1 - eps/N)^n exactly, so n* is the class's exact sample complexity."""
    inst = srlm.HardInstance.for_target(0.05, 1.3, 50.0, 0.1)
    assert inst.M == 2
    n_star = srlm.required_samples(0.05, 1.3, 50.0, 0.1)
    for n in (0, 7, n_star - 1, n_star):
        assert inst.bayes_failure_rate(n) == pytest.approx(inst.eps / 2 * (1 - inst.eps / inst.N) ** n, rel=1e-12)
    assert inst.bayes_failure_rate(n_star - 1) > 0.05 >= inst.bayes_failure_rate(n_star)

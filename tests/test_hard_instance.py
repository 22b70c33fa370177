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
    with pytest.raises(ValueError, match="kappa0 must be > 1"):
        srlm.HardInstance.for_target(0.1, 0.9, 100.0)
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

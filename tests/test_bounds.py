from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

import srlm


def random_instance(rng: np.random.Generator) -> tuple[srlm.TabularPolicy, np.ndarray]:
    pol = srlm.TabularPolicy.random(rng, 12, 5, 0.7, random_weights=True)
    return pol, rng.normal(size=(12, 5))


def test_lemma_c1_and_own_mode_on_random_draws(rng: np.random.Generator) -> None:
    for _ in range(300):
        pol, reward = random_instance(rng)
        gamma = srlm.reward_margin(reward)
        gap = srlm.performance_gap(pol, reward)
        target = reward.argmax(axis=1)
        for eps in (0.1, 0.5, 0.9):
            bound = srlm.gap_failure_bound(gap, gamma, eps)
            at_target = srlm.failure_probability(pol, eps, target)
            assert at_target <= bound + 1e-12
            assert srlm.failure_probability(pol, eps) <= at_target + 1e-12  # Lemma C.2: own mode


def test_performance_definitions(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    reward = rng.normal(size=policy.logp.shape)
    star = srlm.TabularPolicy.from_probs(np.eye(6)[reward.argmax(axis=1)], policy.weights)
    assert srlm.performance_gap(policy, reward) == pytest.approx(
        srlm.performance(star, reward) - srlm.performance(policy, reward)
    )
    assert srlm.reward_margin([[1.0, 1.0, 0.0]]) == 0.0
    assert srlm.min_confidence(policy, srlm.gibbs_step(policy, 1.0)) == pytest.approx(policy.probs.max(1).min())


@pytest.mark.parametrize(("K", "mu"), [(1e-4, 0.05), (0.01, 0.2), (0.1, 0.5), (0.3, 0.6), (0.5, 0.3), (0.69, 0.3)])
def test_tail_bound_equals_integral(K: float, mu: float) -> None:
    s0 = 1 / (1 - K)
    points = [s0] if s0 < 1 / mu else None
    integral = 1 + quad(lambda s: min(1.0, K * s / (s - 1)), 1, 1 / mu, points=points, limit=200, epsabs=1e-13)[0]
    assert srlm.kappa_tail_bound(K, mu) == pytest.approx(integral, rel=1e-9)
    assert srlm.kappa_mean_bound(K, mu) <= srlm.kappa_tail_bound(K, mu) + 1e-15  # the sharp bound is never larger
    assert srlm.switch_point(K) * (1 - K) == pytest.approx(1.0)


def test_tail_bound_saturates_and_edges() -> None:
    assert srlm.kappa_tail_bound(0.8, 0.3) == pytest.approx(1 / 0.3)
    with pytest.raises(ValueError, match="only the saturated bound"):
        srlm.kappa_tail_bound(0.8, 0.3, branch="nontrivial")
    # continuity at the switch K = 1 - mu
    assert srlm.kappa_tail_bound(0.7 - 1e-12, 0.3) == pytest.approx(1 / 0.3, rel=1e-9)
    # mu -> 1: a deterministic policy, kappa -> 1
    assert srlm.kappa_tail_bound(1e-9, 1.0) == 1.0
    assert srlm.kappa_tail_bound(1e-6, 1 - 1e-9) == pytest.approx(1.0, abs=1e-5)


def test_extremal_distribution_attains_bound() -> None:
    z = srlm.sample_extremal_inverse_confidence(0.1, 0.4, 400_000, np.random.default_rng(5))
    assert z.min() >= 1.0 and z.max() <= 1 / 0.4 + 1e-12
    se = z.std() / math.sqrt(z.size)
    assert abs(z.mean() - srlm.kappa_tail_bound(0.1, 0.4)) < 5 * se
    for s in (1.2, 1.5, 2.0, 2.4):  # its tail is min(1, Ks/(s-1))
        assert abs(np.mean(z > s) - min(1.0, 0.1 * s / (s - 1))) < 0.005


def test_recurrence_fixed_point_and_envelope() -> None:
    for a, b, k0 in [(1.0, 0.3, 50.0), (1.0, 2.0, 3.0), (2.5, 0.05, 1e6), (1.0, 1.0, 1.0)]:
        kinf, rho = srlm.fixed_point(a, b), srlm.contraction_factor(a, b)
        assert kinf == pytest.approx(a + b * math.sqrt(kinf))
        assert 0 < rho < 1 and rho == pytest.approx(b / (2 * math.sqrt(kinf)))
        it = srlm.iterate_recurrence(a, b, k0, 40)
        env = srlm.envelope(a, b, k0, np.arange(41))
        assert np.all(it <= env * (1 + 1e-12))
        t = srlm.rounds_needed(a, b, k0)
        u = (b + math.sqrt(b * b + 4 * a)) / 2  # independent: sqrt of the fixed point, rho = b/(2u)
        first = next(T for T in range(1, 200) if (b / (2 * u)) ** ((T - 1) / 2) * math.sqrt(k0) <= u * (1 + 1e-12))
        assert first == t
        stable, transient = srlm.failure_bound(np.arange(1, 60), 1e4, 10.0, 0.05, 1.0, k0, a, b, mu=1 / k0)
        lt = np.log(np.arange(1, 60)) + 10 - math.log(0.05)  # L_T = log(T |Pi| / delta)
        np.testing.assert_allclose(stable, stable[0] * np.sqrt(lt / lt[0]), rtol=1e-12)


def test_composed_map_dominated(rng: np.random.Generator) -> None:
    for _ in range(50):
        n = 10 ** rng.uniform(2, 7)
        lp, gamma, mu = rng.uniform(1, 100), rng.uniform(0.05, 2), rng.uniform(0.05, 0.95)
        a, b = srlm.recurrence_constants(n, lp, gamma, mu)
        for k in np.linspace(1, 1 / mu, 25):
            assert srlm.composed_map(k, n, lp, gamma, mu) <= a + b * math.sqrt(k) + 1e-12


def test_bad_input(policy: srlm.TabularPolicy) -> None:
    with pytest.raises(ValueError, match="a must be > 0"):
        srlm.fixed_point(0.0, 1.0)
    with pytest.raises(ValueError, match="b must be > 0"):
        srlm.contraction_factor(1.0, -1.0)
    with pytest.raises(ValueError, match="kappa0 must be >= 1"):
        srlm.envelope(1.0, 1.0, 0.5, [1])
    with pytest.raises(ValueError, match=r"mu must lie in \(0, 1\]"):
        srlm.kappa_tail_bound(0.1, 0.0)
    with pytest.raises(ValueError, match="K must be > 0"):
        srlm.kappa_tail_bound(0.0, 0.5)
    with pytest.raises(ValueError, match=r"K must lie in \(0, 1\)"):
        srlm.switch_point(1.0)
    with pytest.raises(ValueError, match="gamma must be > 0"):
        srlm.gap_failure_bound(0.1, 0.0, 0.5)
    with pytest.raises(ValueError, match="gap must be >= 0"):
        srlm.gap_failure_bound(-0.1, 1.0, 0.5)
    with pytest.raises(ValueError, match="reward must be finite"):
        srlm.performance_gap(policy, np.full(policy.logp.shape, -np.inf))
    with pytest.raises(ValueError, match="rounds must be >= 1"):
        srlm.failure_bound([0], 10.0, 1.0, 0.1, 1.0, 2.0, 1.0, 1.0, 0.5)
    with pytest.raises(ValueError, match=r"kappa0 must be <= 1/mu"):
        srlm.failure_bound([1], 10.0, 1.0, 0.1, 1.0, 3.0, 1.0, 1.0, 0.5)
    with pytest.raises(ValueError, match=r"kappa0 must be <= 1/mu"):
        srlm.rounds_needed(1.0, 1.0, 3.0, mu=0.5)
    with pytest.raises(ValueError, match="K must be >= 0"):
        srlm.kappa_mean_bound(-0.1, 0.5)
    with pytest.raises(ValueError, match=r"mu must lie in \(0, 1\]"):
        srlm.two_point_law(0.1, 1.5)
    with pytest.raises(ValueError, match="target must be an integer array"):
        srlm.failure_probability(policy, 0.5, [0])
    with pytest.raises(ValueError, match="give at least one policy"):
        srlm.min_confidence()
    with pytest.raises(ValueError, match="kappa must be >= 1"):
        srlm.composed_map(0.5, 100.0, 1.0, 1.0, 0.5)


def test_start_at_the_fixed_point() -> None:
    kinf = srlm.fixed_point(1.0, 0.5)
    np.testing.assert_allclose(srlm.iterate_recurrence(1.0, 0.5, kinf, 10), kinf, rtol=1e-12)
    np.testing.assert_allclose(srlm.envelope(1.0, 0.5, kinf, np.arange(10)), kinf)
    assert srlm.rounds_needed(1.0, 0.5, kinf) == 1


def test_k_near_one_and_mu_near_one() -> None:
    # K -> 1 (for any mu < 1) saturates at 1/mu; mu -> 1 forces kappa -> 1 for any small K
    for mu in (0.2, 0.5, 0.9):
        assert srlm.kappa_tail_bound(1 - 1e-12, mu) == pytest.approx(1 / mu)
    assert srlm.kappa_tail_bound(1e-3, 1 - 1e-12) == pytest.approx(1.0, abs=1e-9)


def test_failure_probability_target_indices_do_not_wrap(policy: srlm.TabularPolicy) -> None:
    n = policy.n_prompts
    with pytest.raises(ValueError, match="target must have entries in"):
        srlm.failure_probability(policy, 0.5, -np.ones(n, dtype=int))
    with pytest.raises(ValueError, match="target must have entries in"):
        srlm.failure_probability(policy, 0.5, np.full(n, policy.logp.shape[1]))


def test_extreme_recurrence_constants_pinned() -> None:
    # b = 1e200: kappa_inf = b^2 (1 + sqrt(1 + 4a/b^2))^2/4 = 1e400 overflows; rho = 1/2 to float64
    with pytest.raises(OverflowError, match="kappa_inf"):
        srlm.fixed_point(1.0, 1e200)
    assert srlm.contraction_factor(1.0, 1e200) == 0.5
    assert srlm.rounds_needed(1.0, 1e200, 1e300) == 1  # kappa_inf > kappa0: the transient is below the floor
    # a = 1e300, b = 1: t = b/(2 sqrt a) = 5e-151, kappa_inf = a (t + sqrt(1 + t^2))^2 = 1e300 (1 + 1e-150)
    assert srlm.fixed_point(1e300, 1.0) == pytest.approx(1e300, rel=1e-15)
    assert srlm.contraction_factor(1e300, 1.0) == pytest.approx(5e-151, rel=1e-15)
    # rho underflows (b = 5e-324, a = 4): log rho = log(5e-324/4) - asinh(...) ~ -745.1; log(kappa0/kappa_inf) = log 2.5
    assert srlm.contraction_factor(4.0, 5e-324) == 0.0
    assert srlm.rounds_needed(4.0, 5e-324, 10.0) == 2
    # gap/(gamma eps) beyond float64 is an OverflowError naming the arguments, not inf
    with pytest.raises(OverflowError, match="gap"):
        srlm.gap_failure_bound(1e300, 1e-10, 1e-10)
    assert srlm.gap_failure_bound(1e-20, 1e-160, 1e-160) == pytest.approx(1e300, rel=1e-12)  # gamma eps < 1e-308
    with pytest.raises(OverflowError, match="mu is too small"):
        srlm.kappa_mean_bound(1.0, 1e-320)

"""Pins: srlm.bounds formulas against independently computed values on tight or hand-computed cases.

Each test states the extremal instance (where the bound is attained) or a hand-solvable case, so a
looser or mistyped formula fails, not only a wrong direction.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy.optimize import linprog

import srlm


# ------------------------------------------------------------------ sharp Lemma C.3
@pytest.mark.parametrize(("K", "mu", "value"), [(0.02, 0.2, 1.1), (0.1, 0.5, 1.2), (0.9, 0.2, 5.0), (0.8, 0.2, 5.0)])
def test_sharp_lemma_hand_values(K: float, mu: float, value: float) -> None:
    assert srlm.kappa_mean_bound(K, mu) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(("K", "mu"), [(0.02, 0.2), (0.1, 0.4), (0.3, 0.5), (0.75, 0.25), (0.95, 0.1)])
def test_two_point_law_attains_sharp_lemma(K: float, mu: float) -> None:
    p, w = srlm.two_point_law(K, mu)
    assert np.all(w >= 0) and w.sum() == pytest.approx(1.0)
    assert np.dot(w, 1 - p) <= K + 1e-15  # the law is feasible: E[1 - pi] <= K
    assert np.all((p >= mu) & (p <= 1))
    # hand value of E[1/pi] for the law on {mu, 1} with P[mu] = q = min(K/(1-mu), 1)
    q = min(K / (1 - mu), 1.0)
    assert np.dot(w, 1 / p) == pytest.approx(q / mu + 1 - q, rel=1e-14)
    assert np.dot(w, 1 / p) == pytest.approx(srlm.kappa_mean_bound(K, mu), rel=1e-14)


@pytest.mark.parametrize(("K", "mu"), [(0.02, 0.2), (0.1, 0.4), (0.3, 0.5), (0.6, 0.3), (0.05, 0.05)])
def test_sharp_lemma_equals_lp_optimum(K: float, mu: float) -> None:
    # independent: maximise E[1/p] over all laws on a grid of [mu, 1] with E[1 - p] <= K
    grid = np.linspace(mu, 1.0, 401)
    res = linprog(-1 / grid, A_ub=[1 - grid], b_ub=[K], A_eq=[np.ones_like(grid)], b_eq=[1.0], bounds=(0, None))
    assert res.status == 0
    assert -res.fun == pytest.approx(srlm.kappa_mean_bound(K, mu), rel=1e-8)


def test_tail_technique_hand_value_and_its_extremal_law() -> None:
    K, mu = 0.02, 0.2
    assert srlm.kappa_tail_bound(K, mu) == pytest.approx(1.1 + 0.02 * math.log(196.0), rel=1e-14)
    # its extremal law has tail min(1, K/eps) for 1 - pi, hence E[1 - pi] = K (1 + log((1 - mu)/K)) > K
    z = srlm.sample_extremal_inverse_confidence(K, mu, 400_000, np.random.default_rng(3))
    mean_gap = np.mean(1 - 1 / z)
    se = np.std(1 - 1 / z) / math.sqrt(z.size)
    assert abs(mean_gap - K * (1 + math.log((1 - mu) / K))) < 5 * se
    assert mean_gap > 4 * K


# ------------------------------------------------------------------ Lemma C.1 at the exact-1/2 boundary
def test_gap_bound_tight_at_exact_half() -> None:
    # two prompts at pi(y*) = 1/2 exactly (binary-exact), two at 1; every other reward is r* - gamma
    probs = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.5, 0.25, 0.25], [1.0, 0.0, 0.0]])
    pol = srlm.TabularPolicy.from_probs(probs)
    gamma = 0.5
    reward = np.array([[1.0, 1 - gamma, 1 - gamma]] * 4)
    assert srlm.reward_margin(reward) == gamma
    gap = srlm.performance_gap(pol, reward)
    assert gap == pytest.approx(gamma * 0.25, rel=1e-15)  # gamma E[1 - pi(y*)] = gamma (0.5 + 0.5)/4
    target = np.zeros(4, dtype=int)
    assert srlm.failure_probability(pol, 0.5, target) == 0.5  # "<= 1 - eps" counts the boundary
    assert srlm.failure_probability(pol, 0.5) == 0.5  # own mode (row 0 ties at 1/2)
    assert srlm.gap_failure_bound(gap, gamma, 0.5) == pytest.approx(0.5, rel=1e-15)  # attained
    assert srlm.failure_probability(pol, 0.5 + 1e-9, target) == 0.0


# ------------------------------------------------------------------ recurrence, fixed point, rho
@pytest.mark.parametrize(
    ("a", "b", "kinf", "rho"), [(2.0, 1.0, 4.0, 0.25), (1.0, 1.5, 4.0, 0.375), (6.0, 1.0, 9.0, 1 / 6)]
)
def test_fixed_point_and_rho_hand_computed(a: float, b: float, kinf: float, rho: float) -> None:
    # u = sqrt(kinf) solves u^2 - b u - a = 0: (2, 1) -> u = 2; (1, 1.5) -> u = 2; (6, 1) -> u = 3; rho = b/(2u)
    assert srlm.fixed_point(a, b) == pytest.approx(kinf, rel=1e-15)
    assert srlm.contraction_factor(a, b) == pytest.approx(rho, rel=1e-15)


def test_recurrence_constants_hand_value_and_equality_at_e_squared() -> None:
    n, L, gamma, mu = 1e6, 20.0, 1.0, 0.2
    a, b = srlm.recurrence_constants(n, L, gamma, mu)
    rate = math.sqrt(L / n)
    assert a == 1.0
    assert b == pytest.approx((rate + 2 / math.e * rate) / (gamma * mu), rel=1e-14)
    # log k <= (2/e) sqrt(k) is an equality at k = e^2, so the domination is attained there (uncapped)
    k = math.e**2
    assert srlm.composed_map(k, n, L, gamma, mu) == pytest.approx(a + b * math.sqrt(k), rel=1e-14)
    assert srlm.composed_map(k, n, L, gamma, mu) < 1 / mu
    # and the map is capped at 1/mu where 1 + K/mu would exceed it
    assert srlm.composed_map(4.9, 10.0, L, gamma, mu) == pytest.approx(1 / mu)


# ------------------------------------------------------------------ Cor 5.7: the smallest sufficient T
@pytest.mark.parametrize(("k0", "T"), [(1.0, 1), (4.0, 1), (16.0, 2), (64.0, 3), (65.0, 4), (4.0**6, 6)])
def test_rounds_is_smallest_sufficient_T(k0: float, T: int) -> None:
    # a = 2, b = 1: kinf = 4, rho = 1/4; transient <= stable iff 2^{-(T-1)} sqrt(k0) <= 2 iff k0 <= 4^T
    assert srlm.rounds_needed(2.0, 1.0, k0) == T
    ok = [(0.25 ** ((t - 1) / 2)) * math.sqrt(k0) <= 2.0 * (1 + 1e-12) for t in range(1, 12)]
    assert ok.index(True) + 1 == T and all(ok[T - 1 :])


def test_rounds_with_mu_uses_the_capped_floor() -> None:
    # kinf = 4 > 1/mu = 3: the stable part is sqrt(3) and kappa0 <= 3 already meets it
    assert srlm.rounds_needed(2.0, 1.0, 3.0, mu=1 / 3) == 1
    assert srlm.rounds_needed(2.0, 1.0, 64.0, mu=1 / 64) == 3  # floor min(4, 64) = 4: as without mu


def test_failure_bound_stable_part_is_sqrt_min_kinf_inv_mu() -> None:
    n, L, delta, gamma, C = 1e4, 10.0, 0.05, 0.5, 3.0
    scale = C / gamma * math.sqrt((math.log(2.0) + L + math.log(1 / delta)) / n)  # at T = 2
    for mu, floor in ((0.5, 2.0), (0.1, 4.0)):  # kinf = 4 for (a, b) = (2, 1)
        stable, transient = srlm.failure_bound([2], n, L, delta, gamma, 1.5, 2.0, 1.0, mu, C=C)
        assert stable[0] == pytest.approx(scale * math.sqrt(floor), rel=1e-14)
        assert transient[0] == pytest.approx(scale * 0.5 * math.sqrt(1.5), rel=1e-14)  # rho^{1/2} = 1/2


# --------------------------------------------- the published Eq. 7 stable part, evaluated
def _stable_mp(n, gamma, mu, delta, rho, log_pi):  # independent: the formula as printed, in mpmath
    n = mpmath.mpf(n)
    return mpmath.log(n * mpmath.e**log_pi / rho) / (gamma * delta * mpmath.sqrt(n * mu))


@pytest.mark.parametrize(
    ("gamma", "mu", "delta", "rho", "log_pi"),
    [(5.8e-4, 2.7e-4, 0.5, 0.05, 0.0), (0.3, 0.2, 0.25, 0.01, 20.0), (2e-3, 3e-3, 0.5, 0.05, 5.0)],
)
def test_published_bound_sample_size_is_the_root_of_the_printed_formula(gamma, mu, delta, rho, log_pi):
    n_star = srlm.published_bound_sample_size(gamma, mu, delta, rho, log_pi)
    root = mpmath.findroot(lambda u: mpmath.log(_stable_mp(mpmath.e**u, gamma, mu, delta, rho, log_pi)),
                           math.log(n_star) * 1.01)
    assert math.log(n_star) == pytest.approx(float(root), rel=1e-12)
    # the smallest such n: just below it the bound is still above 1, and it stays below 1 beyond it
    assert float(_stable_mp(n_star * (1 - 1e-6), gamma, mu, delta, rho, log_pi)) > 1
    for factor in (1 + 1e-6, 10.0, 1e6):
        assert float(_stable_mp(n_star * factor, gamma, mu, delta, rho, log_pi)) < 1
    assert srlm.published_stable_part(n_star, gamma, mu, delta, rho, log_pi) == pytest.approx(1.0, rel=1e-9)


def test_published_stable_part_matches_the_formula_and_known_values():
    # Chapter 10's trigram model: gamma = 5.8e-4, mu = 2.7e-4 (values recomputed by an independent referee)
    value = srlm.published_stable_part(2000, 5.8e-4, 2.7e-4)
    assert value == pytest.approx(float(_stable_mp(2000, 5.8e-4, 2.7e-4, 0.5, 0.05, 0.0)), rel=1e-13)
    assert value == pytest.approx(4.97e4, rel=1e-3)
    assert srlm.published_bound_sample_size(5.8e-4, 2.7e-4) == pytest.approx(5.27e13, rel=1e-3)


def test_published_bound_sample_size_edge_cases():
    assert srlm.published_bound_sample_size(100.0, 1.0) == 1.0  # below 1 for every n >= 1
    with pytest.raises(OverflowError, match="exceeds float64"):
        srlm.published_bound_sample_size(1e-300, 1e-300)
    with pytest.raises(ValueError, match="mu"):
        srlm.published_bound_sample_size(0.1, 1.5)
    with pytest.raises(ValueError, match="rho"):
        srlm.published_stable_part(10, 0.1, 0.1, rho=1.0)
    with pytest.raises(ValueError, match="n"):
        srlm.published_stable_part(1e-3, 0.1, 0.1)  # n |Pi| / rho <= 1: log is not positive
    with pytest.raises(TypeError, match="gamma"):
        srlm.published_stable_part(10, "0.1", 0.1)

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

import srlm


def unit_features(rng: np.random.Generator, x: int, y: int, d: int) -> np.ndarray:
    phi = rng.normal(size=(x, y, d))
    return phi / np.linalg.norm(phi, axis=2, keepdims=True) * rng.uniform(0.2, 1.0, size=(x, y, 1))


def test_log_ratio_lipschitz(rng: np.random.Generator) -> None:
    for _ in range(300):
        d = int(rng.integers(1, 6))
        phi = unit_features(rng, 4, 5, d)
        th, th2 = rng.normal(size=d) * 3, rng.normal(size=d) * 3
        assert srlm.sup_log_ratio(phi, th, th2) <= 2 * np.linalg.norm(th - th2) + 1e-12


def test_lipschitz_constant_pinned() -> None:
    assert srlm.log_ratio_lipschitz_constant(1.0, 2) == pytest.approx(1 + np.tanh(1.0), rel=1e-15)
    e = np.exp(1.0)  # M = 5, B = 1/2: 2 (M - 1) e^{2B} / (1 + (M - 1) e^{2B})
    assert srlm.log_ratio_lipschitz_constant(0.5, 5) == pytest.approx(8 * e / (1 + 4 * e), rel=1e-15)
    assert srlm.log_ratio_lipschitz_constant(3.0, 1) == 0.0
    assert srlm.log_ratio_lipschitz_constant(40.0, 2) == pytest.approx(2.0, abs=1e-15)


@pytest.mark.parametrize(("radius", "m"), [(0.5, 2), (1.0, 2), (1.0, 4), (2.0, 3)])
def test_lipschitz_constant_is_sharp_and_valid(radius: float, m: int, rng: np.random.Generator) -> None:
    """Extremal instance (phi_y = e, others -e, theta = -B e): finite ratios rise to L from below."""
    const = srlm.log_ratio_lipschitz_constant(radius, m)
    phi = np.zeros((1, m, 2))
    phi[0, 0, 0], phi[0, 1:, 0] = 1.0, -1.0
    theta = np.array([-radius, 0.0])
    ratios = []
    for h in (1e-1, 1e-2, 1e-3, 1e-4):
        # independent log-softmax: score t for the response y, -t for the M - 1 others (t = theta_1)
        def logp_y(t: float) -> float:
            return t - np.logaddexp(t, np.log(m - 1) - t)

        exact = abs(logp_y(-radius + h) - logp_y(-radius)) / h
        assert srlm.sup_log_ratio(phi, theta, theta + [h, 0.0]) / h == pytest.approx(exact, rel=1e-9)
        ratios.append(exact)
    assert all(r < const for r in ratios) and np.all(np.diff(ratios) > 0)
    assert const - ratios[-1] < 1e-3
    for _ in range(200):  # validity on random instances inside the ball
        f = unit_features(rng, 3, m, 3)
        a, b = rng.normal(size=3), rng.normal(size=3)
        a, b = a / np.linalg.norm(a) * radius * rng.uniform(), b / np.linalg.norm(b) * radius * rng.uniform()
        assert srlm.sup_log_ratio(f, a, b) <= const * np.linalg.norm(a - b) + 1e-12


def test_difference_projector_and_horizon() -> None:
    # constant first coordinate 0.8; the other two 0.6 * (cos, sin) of distinct angles
    ang = np.linspace(0, 2 * np.pi, 5, endpoint=False)
    phi = np.stack([np.full(5, 0.8), 0.6 * np.cos(ang), 0.6 * np.sin(ang)], axis=1)[None]
    np.testing.assert_allclose(srlm.difference_projector(phi), np.diag([0.0, 1.0, 1.0]), atol=1e-12)
    theta0 = np.array([4.8, 0.6, 0.8])  # ||theta0|| = 4.9 > B / 2, ||P theta0|| = 1
    assert srlm.realizability_horizon(phi, theta0, 1.0, 5.0) == 2.0  # 4 <= 5 < 8
    assert srlm.realizability_horizon(phi, theta0, 1.0, 4.0) == 2.0  # boundary 2^2 * 1 = 4 counts
    assert srlm.realizability_horizon(phi, theta0, 0.5, 27.0) == 3.0  # s = 3: 27 = 3^3
    assert srlm.realizability_horizon(phi, [4.0, 0.0, 0.0], 1.0, 5.0) == np.inf  # uniform policy
    with pytest.raises(ValueError, match="base policy is not in the class"):
        srlm.realizability_horizon(phi, theta0, 1.0, 0.5)
    # the policy of theta0 equals that of P theta0 (independent log-softmax)
    s1, s2 = phi[0] @ theta0, phi[0] @ np.array([0.0, 0.6, 0.8])
    np.testing.assert_allclose(s1 - np.logaddexp.reduce(s1), s2 - np.logaddexp.reduce(s2), atol=1e-13)


def test_constrained_least_squares_matches_optimizer(rng: np.random.Generator) -> None:
    for _ in range(20):
        a, c = rng.normal(size=(30, 4)), rng.normal(size=30) * 5
        for radius in (0.1, 0.5, 100.0):
            sol = srlm.constrained_least_squares(a, c, radius)
            assert np.linalg.norm(sol) <= radius * (1 + 1e-9)
            res = minimize(
                lambda t, a=a, c=c: np.sum((a @ t - c) ** 2),
                np.zeros(4),
                method="SLSQP",
                constraints=[{"type": "ineq", "fun": lambda t, r=radius: r**2 - t @ t}],
                options={"ftol": 1e-14, "maxiter": 500},
            )
            assert np.sum((a @ sol - c) ** 2) <= res.fun + 1e-7


def test_constrained_erm_binds_and_unconstrained_is_tempering(rng: np.random.Generator) -> None:
    phi = unit_features(rng, 6, 5, 3)
    theta = rng.normal(size=3)
    pol = srlm.TabularPolicy(srlm.linear_softmax_logp(phi, theta), np.full(6, 1 / 6))
    data = srlm.sample_round(pol, 200, rng)
    free = srlm.linear_dpo_erm(phi, theta, data, 1.0)
    np.testing.assert_allclose(free, 2 * theta, atol=1e-10)
    big = srlm.linear_dpo_erm(phi, theta, data, 1.0, radius=10 * np.linalg.norm(theta))
    np.testing.assert_allclose(big, 2 * theta, atol=1e-8)
    bound = srlm.linear_dpo_erm(phi, theta, data, 1.0, radius=1.5 * np.linalg.norm(theta))
    assert np.linalg.norm(bound) == pytest.approx(1.5 * np.linalg.norm(theta), rel=1e-9)


def test_packing_within_volume_bound(rng: np.random.Generator) -> None:
    for d in (2, 3):
        pts = srlm.greedy_packing(d, 1.0, 0.3, rng, candidates=5000)
        dist = np.linalg.norm(pts[:, None] - pts[None], axis=2) + np.eye(len(pts)) * 10
        assert dist.min() >= 0.3
        assert len(pts) <= srlm.ball_net_size_bound(d, 1.0, 0.3)


def test_projection() -> None:
    np.testing.assert_allclose(srlm.project_to_ball([3.0, 4.0], 1.0), [0.6, 0.8])
    np.testing.assert_allclose(srlm.project_to_ball([0.3, 0.4], 1.0), [0.3, 0.4])


def test_bad_input(rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match=r"\|\|phi\(x, y\)\|\| <= 1"):
        srlm.linear_softmax_logp(np.full((1, 2, 2), 1.0), np.zeros(2))
    with pytest.raises(ValueError, match="radius must be > 0"):
        srlm.constrained_least_squares(np.eye(2), np.ones(2), 0.0)
    with pytest.raises(ValueError, match="design has 2 rows but target has 3"):
        srlm.constrained_least_squares(np.eye(2), np.ones(3), 1.0)
    with pytest.raises(ValueError, match="theta has dimension 3"):
        srlm.linear_softmax_logp(np.zeros((1, 2, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="r must be > 0"):
        srlm.ball_net_size_bound(2, 1.0, -1.0)
    with pytest.raises(ValueError, match="d must be >= 1"):
        srlm.greedy_packing(0, 1.0, 0.1, rng)
    with pytest.raises(ValueError, match="n_responses must be >= 1"):
        srlm.log_ratio_lipschitz_constant(1.0, 0)
    with pytest.raises(ValueError, match="beta must be > 0"):
        srlm.realizability_horizon(np.zeros((1, 2, 2)), np.zeros(2), 0.0, 1.0)
    with pytest.raises(ValueError, match="theta0 has dimension 3"):
        srlm.realizability_horizon(np.zeros((1, 2, 2)), np.zeros(3), 1.0, 1.0)


def test_random_unit_features(rng: np.random.Generator) -> None:
    phi = srlm.random_unit_features(rng, 3, 4, 5)
    np.testing.assert_allclose(np.linalg.norm(phi, axis=2), 1.0)
    with pytest.raises(ValueError, match="d must be >= 1"):
        srlm.random_unit_features(rng, 3, 4, 0)


def test_constrained_least_squares_binds_at_any_scale() -> None:
    """A design of scale 1e-58 once stopped the secular-equation root search at an absolute 1e-15 (silent wrong
    answer, norm 1e-65 instead of B); the solution must lie on the sphere and agree with the rescaled problem."""
    rng = np.random.default_rng(0)
    a, c = rng.normal(size=(4, 3)), rng.normal(size=4)
    ref = srlm.constrained_least_squares(a, c * 1e20, 1.0)  # binds: ||A^+ c|| >> 1
    assert np.linalg.norm(ref) == pytest.approx(1.0, rel=1e-9)
    for scale in (1e-58, 1e-100):
        # min ||s A theta - s c 1e20|| over the ball has the same minimiser
        theta = srlm.constrained_least_squares(a * scale, c * 1e20 * scale, 1.0)
        np.testing.assert_allclose(theta, ref, rtol=1e-8, atol=1e-10)


def test_extreme_inputs_raise_or_stay_finite() -> None:
    with pytest.raises(OverflowError, match=r"\(1 \+ 2B/r\)\^d"):
        srlm.ball_net_size_bound(400, 1.0, 1e-10)
    assert srlm.ball_net_size_bound(2, 1.0, 2.0) == 4.0  # (1 + 2*1/2)^2
    big = np.array([3e300, 4e300])
    np.testing.assert_allclose(srlm.project_to_ball(big, 5.0), [3.0, 4.0], rtol=1e-15)  # ||big|| overflows naively
    with pytest.raises(ValueError, match="size limit"):
        srlm.random_unit_features(np.random.default_rng(0), 10**5, 10**2, 10**2)
    with pytest.raises(ValueError, match="size limit"):
        srlm.greedy_packing(2, 1.0, 0.1, np.random.default_rng(0), candidates=10**6)
    phi = np.zeros((1, 2, 1))
    phi[0, 0, 0], phi[0, 1, 0] = 1.0, -1.0
    # s = 1 + 1/beta is within 1e-9 of 1 for beta = 1e12: horizon = floor(log(B/||P theta0||)/log1p(1/beta))
    h = srlm.realizability_horizon(phi, np.array([0.5]), 1e12, 1.0)
    assert h == pytest.approx(np.log(2.0) / np.log1p(1e-12), rel=1e-12)
    with pytest.raises(ValueError, match="horizon"):  # beyond 2**52 rounds a float cannot count them
        srlm.realizability_horizon(phi, np.array([0.5]), 1e17, 1.0)

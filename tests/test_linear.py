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


def test_random_unit_features(rng: np.random.Generator) -> None:
    phi = srlm.random_unit_features(rng, 3, 4, 5)
    np.testing.assert_allclose(np.linalg.norm(phi, axis=2), 1.0)
    with pytest.raises(ValueError, match="d must be >= 1"):
        srlm.random_unit_features(rng, 3, 4, 0)

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

import srlm


def test_gibbs_has_zero_square_loss(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    data = srlm.sample_round(policy, 100, rng)
    assert srlm.dpo_square_loss(srlm.gibbs_step(policy, 0.5), policy, data, 0.5) < 1e-20
    assert srlm.dpo_square_loss(policy, policy, data, 0.5) > 1e-3  # not the minimiser


def test_erm_is_an_exact_minimiser(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    """Noisy labels: the closed-form ERM beats an independent generic optimiser."""
    data = srlm.sample_round(policy, 60, rng, noise_scale=0.3)
    erm = srlm.tabular_dpo_erm(policy, data, 1.0)

    def loss(flat: np.ndarray) -> float:
        cand = srlm.TabularPolicy.from_logits(flat.reshape(policy.logp.shape), policy.weights)
        return srlm.dpo_square_loss(cand, policy, data, 1.0)

    best = minimize(loss, policy.logp.ravel(), method="BFGS", options={"gtol": 1e-10})
    assert srlm.dpo_square_loss(erm, policy, data, 1.0) <= best.fun + 1e-9


def test_erm_equals_gibbs_on_identified_ratios(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    data = srlm.sample_round(policy, 15, rng)
    erm = srlm.tabular_dpo_erm(policy, data, 2.0)
    gibbs = srlm.gibbs_step(policy, 2.0)
    comps = srlm.sampled_components(data, policy.n_prompts, policy.n_responses)
    assert np.any(comps == -1)  # some responses unsampled at n = 15
    # unsampled responses keep their reference logit relative to each other
    for x in range(policy.n_prompts):
        ids = np.flatnonzero(comps[x] >= 0)
        for i in ids:
            for j in ids[comps[x, ids] == comps[x, i]]:
                assert (erm.logp[x, i] - erm.logp[x, j]) == pytest.approx(
                    gibbs.logp[x, i] - gibbs.logp[x, j], abs=1e-10
                )
        unseen = np.flatnonzero(comps[x] < 0)
        if unseen.size >= 2:
            a, b = unseen[:2]
            assert erm.logp[x, a] - erm.logp[x, b] == pytest.approx(policy.logp[x, a] - policy.logp[x, b])


def test_logistic_loss_minimised_at_labels(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    data = srlm.sample_round(policy, 50, rng)
    gibbs = srlm.gibbs_step(policy, 1.0)
    at_gibbs = srlm.dpo_logistic_loss(gibbs, policy, data, 1.0)
    for scale in (0.9, 1.1):
        other = srlm.TabularPolicy.from_logits(policy.logp * (1 + scale), policy.weights)
        assert srlm.dpo_logistic_loss(other, policy, data, 1.0) > at_gibbs


def test_linear_erm_is_tempering(rng: np.random.Generator) -> None:
    phi = rng.normal(size=(5, 4, 3))
    phi /= np.linalg.norm(phi, axis=2, keepdims=True)
    theta = rng.normal(size=3)
    pol = srlm.TabularPolicy(srlm.linear_softmax_logp(phi, theta), np.full(5, 0.2))
    data = srlm.sample_round(pol, 100, rng)
    np.testing.assert_allclose(srlm.linear_dpo_erm(phi, theta, data, 0.5), 3.0 * theta, atol=1e-10)


def test_bad_input(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    data = srlm.sample_round(policy, 10, rng)
    with pytest.raises(ValueError, match="beta must be > 0"):
        srlm.tabular_dpo_erm(policy, data, 0.0)
    with pytest.raises(TypeError, match="data must be a RoundData"):
        srlm.dpo_square_loss(policy, policy, (1, 2), 1.0)  # type: ignore[arg-type]
    small = srlm.TabularPolicy.from_probs([[1.0]])
    with pytest.raises(ValueError, match="n_prompts"):
        srlm.tabular_dpo_erm(small, data, 1.0)
    with pytest.raises(ValueError, match="must have the same shape"):
        srlm.dpo_square_loss(small, policy, data, 1.0)
    zero = srlm.TabularPolicy.from_probs([[0.0, 1.0]])
    bad = srlm.RoundData(np.array([0]), np.array([0]), np.array([1]), np.array([0.0]))
    with pytest.raises(ValueError, match="probability zero"):
        srlm.dpo_square_loss(zero, zero, bad, 1.0)
    with pytest.raises(ValueError, match="theta_ref has dimension 2"):
        srlm.linear_dpo_erm(np.zeros((1, 2, 3)), np.zeros(2), bad, 1.0)
    with pytest.raises(ValueError, match="theta has dimension 2"):
        srlm.linear_softmax_logp(np.zeros((1, 2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="features must be finite"):
        srlm.linear_softmax_logp(np.full((1, 2, 2), np.nan), np.zeros(2))


def test_losses_pinned_on_known_values() -> None:
    """One pair at a uniform reference: square loss (beta u - dr)^2; logistic loss at u = dr is the binary entropy."""
    ref = srlm.TabularPolicy.from_probs([[0.5, 0.5]])
    data = srlm.RoundData(np.array([0]), np.array([0]), np.array([1]), np.array([0.0]))
    cand = srlm.TabularPolicy.from_probs([[0.75, 0.25]])  # h(0) - h(1) = log 3
    assert srlm.dpo_square_loss(cand, ref, data, 2.0) == pytest.approx((2 * np.log(3.0)) ** 2, rel=1e-14)
    assert srlm.dpo_logistic_loss(ref, ref, data, 2.0) == pytest.approx(np.log(2.0), rel=1e-14)  # u = dr = 0
    labelled = srlm.RoundData(np.array([0]), np.array([0]), np.array([1]), np.array([np.log(3.0)]))
    p = 0.75  # sigma(log 3)
    at_gibbs = srlm.dpo_logistic_loss(cand, ref, labelled, 1.0)
    assert at_gibbs == pytest.approx(-(p * np.log(p) + (1 - p) * np.log(1 - p)), rel=1e-14)


def test_linear_erm_on_ball_pinned() -> None:
    """One direction, ball binding: the constrained ERM is the radius along the unconstrained solution."""
    phi = np.array([[[1.0, 0.0], [-1.0, 0.0]]])
    data = srlm.RoundData(np.array([0, 0]), np.array([0, 1]), np.array([1, 0]), np.array([4.0, -4.0]))
    # unconstrained: beta * 2 * (theta_1 - 0) = 4 -> theta_1 = 2 (beta = 1); on the ball B = 0.5: (0.5, 0)
    np.testing.assert_allclose(srlm.linear_dpo_erm(phi, np.zeros(2), data, 1.0), [2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(srlm.linear_dpo_erm(phi, np.zeros(2), data, 1.0, radius=0.5), [0.5, 0.0], atol=1e-12)

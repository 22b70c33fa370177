from __future__ import annotations

import numpy as np
import pytest

import srlm


def test_from_probs_roundtrip(policy: srlm.TabularPolicy) -> None:
    np.testing.assert_allclose(policy.probs.sum(axis=1), 1.0, atol=1e-12)
    again = srlm.TabularPolicy.from_probs(policy.probs, policy.weights)
    np.testing.assert_allclose(again.logp, policy.logp, atol=1e-12)
    assert policy.n_prompts == 4 and policy.n_responses == 6


def test_zero_probability_is_minus_inf_and_modes() -> None:
    pol = srlm.TabularPolicy.from_probs([[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]])
    assert pol.logp[0, 0] == -np.inf
    np.testing.assert_array_equal(pol.modes(), [2, 0])  # tie broken towards the smaller index
    assert not pol.has_unique_modes()
    np.testing.assert_allclose(pol.mode_logprobs(), np.log([0.7, 0.5]))
    np.testing.assert_allclose(pol.weights, [0.5, 0.5])


def test_from_logits_is_softmax() -> None:
    pol = srlm.TabularPolicy.from_logits([[0.0, np.log(3.0)]])
    np.testing.assert_allclose(pol.probs, [[0.25, 0.75]])


def test_arrays_are_read_only(policy: srlm.TabularPolicy) -> None:
    with pytest.raises(ValueError):
        policy.logp[0, 0] = 0.0


@pytest.mark.parametrize(
    ("logp", "weights", "message"),
    [
        ([[0.0, 0.0]], [1.0], "must be normalised"),
        ([[np.nan, 0.0]], [1.0], "logp must contain log-probabilities"),
        ([[-np.inf, -np.inf]], [1.0], "needs an entry of positive probability"),
        ([[0.0]], [0.5, 0.5], "weights has 2 entries but logp has 1 prompts"),
        ([[0.0]], [0.9], "weights must sum to 1"),
        ([0.0], [1.0], "logp must be 2-dimensional"),
    ],
)
def test_bad_policies(logp: object, weights: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        srlm.TabularPolicy(np.asarray(logp, dtype=float), np.asarray(weights, dtype=float))


def test_bad_builders() -> None:
    with pytest.raises(ValueError, match="every row of probs must sum to 1"):
        srlm.TabularPolicy.from_probs([[0.5, 0.6]])
    with pytest.raises(ValueError, match="logits must not contain NaN"):
        srlm.TabularPolicy.from_logits([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="needs at least one finite entry"):
        srlm.log_normalize([[-np.inf, -np.inf]])
    with pytest.raises(ValueError, match="logp must have shape"):
        srlm.TabularPolicy.from_probs([[1.0]]).with_logp([[0.0, 0.0]])


def test_random_policy(rng: np.random.Generator) -> None:
    pol = srlm.TabularPolicy.random(rng, 7, 4, 0.5, random_weights=True)
    assert pol.logp.shape == (7, 4) and not np.allclose(pol.weights, 1 / 7)
    np.testing.assert_allclose(srlm.TabularPolicy.random(rng, 3, 5).weights, 1 / 3)
    # same generator state, same draws as the explicit Dirichlet construction
    a = srlm.TabularPolicy.random(np.random.default_rng(5), 3, 4, 2.0)
    np.testing.assert_allclose(a.probs, np.random.default_rng(5).dirichlet(np.full(4, 2.0), size=3))
    with pytest.raises(ValueError, match="concentration must be > 0"):
        srlm.TabularPolicy.random(rng, 3, 4, 0.0)
    with pytest.raises(ValueError, match="n_responses must be >= 2"):
        srlm.TabularPolicy.random(rng, 3, 1)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        srlm.TabularPolicy.random(1, 3, 4)  # type: ignore[arg-type]

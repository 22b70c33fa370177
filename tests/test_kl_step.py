from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import srlm

BETAS = st.floats(min_value=0.05, max_value=50.0)
LOGITS = arrays(
    np.float64, st.tuples(st.integers(1, 4), st.integers(2, 7)), elements=st.floats(min_value=-20.0, max_value=20.0)
)


def entropy(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)


@settings(max_examples=150, deadline=None)
@given(logits=LOGITS, beta=BETAS)
def test_gibbs_step_properties(logits: np.ndarray, beta: float) -> None:
    pol = srlm.TabularPolicy.from_logits(logits)
    nxt = srlm.gibbs_step(pol, beta)
    np.testing.assert_allclose(nxt.probs.sum(axis=1), 1.0, atol=1e-12)  # normalised
    # argmax kept (on prompts whose top two log-probabilities differ by more than rounding)
    srt = np.sort(pol.logp, axis=1)
    clear = srt[:, -1] - srt[:, -2] > 1e-9
    np.testing.assert_array_equal(nxt.modes()[clear], pol.modes()[clear])
    assert np.all(entropy(nxt.probs) <= entropy(pol.probs) + 1e-10)  # entropy never increases
    assert np.all(nxt.probs.max(axis=1) >= pol.probs.max(axis=1) - 1e-12)  # mode gains mass


@settings(max_examples=60, deadline=None)
@given(logits=LOGITS, beta=BETAS, rounds=st.integers(0, 6))
def test_closed_form_equals_repeated_steps(logits: np.ndarray, beta: float, rounds: int) -> None:
    pol = srlm.TabularPolicy.from_logits(logits)
    stepped = pol
    for _ in range(rounds):
        stepped = srlm.gibbs_step(stepped, beta)
    closed = srlm.iterate_self_rewarding(pol, beta, rounds)
    np.testing.assert_allclose(closed.probs, stepped.probs, atol=1e-9)


def test_gibbs_step_matches_numerical_maximiser(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    reward = rng.normal(size=policy.logp.shape)
    for rew in (None, reward):
        exact = srlm.gibbs_step(policy, 0.7, rew)
        numeric = srlm.kl_step_numerical(policy, 0.7, rew)
        np.testing.assert_allclose(exact.probs, numeric.probs, atol=1e-7)


def test_gibbs_with_explicit_reward_formula(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    reward = rng.normal(size=policy.logp.shape)
    w = policy.probs * np.exp(reward / 2.0)
    np.testing.assert_allclose(srlm.gibbs_step(policy, 2.0, reward).probs, w / w.sum(1, keepdims=True))
    # the self-reward gives the tempered policy p^(1 + 1/beta)
    t = policy.probs**1.5
    np.testing.assert_allclose(srlm.gibbs_step(policy, 2.0).probs, t / t.sum(1, keepdims=True))


def test_iterate_huge_rounds_gives_limit_without_nan() -> None:
    pol = srlm.TabularPolicy.from_probs([[0.4, 0.35, 0.25], [0.5, 0.5, 0.0], [1e-300, 1 - 2e-300, 1e-300]])
    far = srlm.iterate_self_rewarding(pol, 0.1, 100_000)
    with pytest.raises(OverflowError, match="log_sharpening_exponent"):
        srlm.sharpening_exponent(0.1, 100_000)
    assert srlm.log_sharpening_exponent(0.1, 100_000) == pytest.approx(100_000 * np.log(11.0), rel=1e-15)
    np.testing.assert_allclose(far.probs, [[1, 0, 0], [0.5, 0.5, 0], [0, 1, 0]])
    assert not np.any(np.isnan(far.logp))


def test_kl_divergence_and_objective(policy: srlm.TabularPolicy) -> None:
    np.testing.assert_allclose(srlm.kl_divergence(policy.probs, policy.probs), 0.0, atol=1e-15)
    q = np.array([[1.0, 0.0]])
    p = np.array([[0.5, 0.5]])
    np.testing.assert_allclose(srlm.kl_divergence(q, p), [np.log(2.0)])
    assert srlm.kl_divergence(p, q)[0] == np.inf  # mass where the reference has none
    gibbs = srlm.gibbs_step(policy, 1.3)
    z = np.sum(policy.probs ** (1 + 1 / 1.3), axis=1)
    assert srlm.kl_objective(gibbs.probs, policy, 1.3) == pytest.approx(1.3 * np.dot(policy.weights, np.log(z)))


def test_reward_differences(policy: srlm.TabularPolicy) -> None:
    r = srlm.self_reward(policy)
    d = srlm.reward_differences(r, [0, 1], [2, 3], [4, 5])
    np.testing.assert_allclose(d, [r[0, 2] - r[0, 4], r[1, 3] - r[1, 5]])


def test_bad_input(policy: srlm.TabularPolicy) -> None:
    with pytest.raises(ValueError, match="beta must be > 0"):
        srlm.gibbs_step(policy, 0.0)
    with pytest.raises(ValueError, match="beta must be > 0"):
        srlm.iterate_self_rewarding(policy, -1.0, 3)
    with pytest.raises(ValueError, match="rounds must be >= 0"):
        srlm.iterate_self_rewarding(policy, 1.0, -1)
    with pytest.raises(TypeError, match="policy must implement srlm.Policy"):
        srlm.gibbs_step(policy.probs, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reward must have shape"):
        srlm.gibbs_step(policy, 1.0, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="reward must not contain NaN"):
        srlm.gibbs_step(policy, 1.0, np.full(policy.logp.shape, np.nan))
    with pytest.raises(ValueError, match="equal lengths"):
        srlm.reward_differences(policy.logp, [0, 1], [0], [0])
    with pytest.raises(ValueError, match="first must have entries in 0..5"):
        srlm.reward_differences(policy.logp, [0], [6], [0])
    with pytest.raises(ValueError, match="difference is undefined"):
        srlm.reward_differences([[0.0, -np.inf]], [0], [1], [0])
    with pytest.raises(ValueError, match="q and p must have the same shape"):
        srlm.kl_divergence([[1.0]], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="q must have shape"):
        srlm.kl_objective([[1.0]], policy, 1.0)


def test_gibbs_and_iterate_pinned_exact_values() -> None:
    """Hand-computed: p = (1/2, 1/4, 1/4), beta = 1 (s = 2): p^2 and p^4 renormalised."""
    pol = srlm.TabularPolicy.from_probs([[0.5, 0.25, 0.25]])
    np.testing.assert_allclose(srlm.gibbs_step(pol, 1.0).probs, [[2 / 3, 1 / 6, 1 / 6]], rtol=1e-14)
    np.testing.assert_allclose(srlm.iterate_self_rewarding(pol, 1.0, 2).probs, [[8 / 9, 1 / 18, 1 / 18]], rtol=1e-14)
    # beta = 1/2 (s = 3), one step: (1/8, 1/64, 1/64) / (10/64) = (4/5, 1/10, 1/10)
    np.testing.assert_allclose(srlm.gibbs_step(pol, 0.5).probs, [[0.8, 0.1, 0.1]], rtol=1e-14)
    # the optimal value of the step is beta * log Z: here log(3/8) at beta = 1
    gibbs = srlm.gibbs_step(pol, 1.0)
    assert srlm.kl_objective(gibbs.probs, pol, 1.0) == pytest.approx(np.log(0.375), rel=1e-14)


@pytest.mark.parametrize("beta", [1e-3, 1e-5, 1e-8])
def test_gibbs_step_near_ties_against_mpmath(beta: float) -> None:
    """The row maximum is subtracted before scaling: near-ties keep full precision at small beta.

    Reference: pi^(1+1/beta)/Z in 60-digit arithmetic from the same double inputs (scaling first lost
    about five digits here: relative error 4e-12 at beta = 1e-3).
    """
    import mpmath as mp

    mp.mp.dps = 60
    d = np.array([1e-6, 1e-8, 1e-10, 3e-11])
    probs = np.stack([0.5 + d, 0.5 - d], axis=1)
    pol = srlm.TabularPolicy.from_probs(probs)
    out = srlm.gibbs_step(pol, beta).logp
    s = 1 + 1 / mp.mpf(beta)
    for x in range(d.size):
        row = [mp.mpf(float(v)) for v in pol.logp[x]]
        z = mp.log(mp.fsum(mp.exp(s * v) for v in row))
        for y in range(2):
            ref = float(s * row[y] - z)
            assert abs(out[x, y] - ref) <= 1e-14 * abs(ref)


def test_gibbs_step_subnormal_beta_is_the_limit() -> None:
    pol = srlm.TabularPolicy.from_probs(np.array([[0.6, 0.4], [0.5, 0.5]]))
    out = srlm.gibbs_step(pol, 5e-324).probs  # 1 + 1/beta is inf: the limit, uniform on the modes
    np.testing.assert_array_equal(out, [[1.0, 0.0], [0.5, 0.5]])

from __future__ import annotations

import numpy as np
import pytest

import srlm


@pytest.fixture
def base(rng: np.random.Generator) -> srlm.TabularPolicy:
    return srlm.TabularPolicy.random(rng, 20, 5, 2.0, random_weights=True)


def test_seeded_runs_are_reproducible(base: srlm.TabularPolicy) -> None:
    a = srlm.run_self_rewarding(base, 1.0, 300, 4, np.random.default_rng(9), reps=3, noise_scale=0.5)
    b = srlm.run_self_rewarding(base, 1.0, 300, 4, np.random.default_rng(9), reps=3, noise_scale=0.5)
    np.testing.assert_array_equal(a.final_logp, b.final_logp)
    np.testing.assert_array_equal(a.kappa, b.kappa)


def test_distributions_stay_normalised_and_trackers_match(base: srlm.TabularPolicy) -> None:
    tr = srlm.run_self_rewarding(base, 0.7, 200, 3, np.random.default_rng(1), reps=4, noise_scale=1.0)
    np.testing.assert_allclose(np.exp(tr.final_logp).sum(axis=2), 1.0, atol=1e-12)
    assert tr.kappa.shape == (4, 4)
    for r in range(4):
        final = srlm.TabularPolicy(tr.final_logp[r], base.weights)
        assert tr.kappa[-1, r] == pytest.approx(srlm.condition_number(final))
        assert tr.confidence_failure[-1, r] == pytest.approx(srlm.failure_probability(final, 0.5))
        assert tr.correctness[-1, r] == pytest.approx(np.dot(base.weights, final.modes() == base.modes()))
    assert np.all(tr.kappa[0] == srlm.condition_number(base)) and np.all(tr.correctness[0] == 1.0)


def test_noiseless_loop_with_every_response_sampled_is_the_gibbs_step(rng: np.random.Generator) -> None:
    base = srlm.TabularPolicy.random(rng, 10, 5, 5.0)
    exact = srlm.iterate_self_rewarding(base, 2.0, 2)
    n = 100_000
    # expected draws of the rarest (prompt, response) cell in each round >= 50: all cells sampled w.p. ~1 - e^-50
    assert 2 * n * base.weights.min() * srlm.gibbs_step(base, 2.0).probs.min() >= 50
    tr = srlm.run_self_rewarding(base, 2.0, n, 2, np.random.default_rng(2), reps=2)
    for r in range(2):
        np.testing.assert_allclose(np.exp(tr.final_logp[r]), exact.probs, atol=1e-9)


def test_batched_fit_equals_single_fit(base: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    logp = np.stack([base.logp, srlm.gibbs_step(base, 1.0).logp])
    data = srlm.sample_round_batch(logp, base.weights, 50, rng, noise_scale=0.3)
    fitted = srlm.fit_round_batch(logp, data, 0.8)
    for r in range(2):
        single = srlm.RoundData(data.prompts[r], data.first[r], data.second[r], data.reward_diff[r])
        ref = srlm.TabularPolicy(logp[r], base.weights)
        np.testing.assert_allclose(fitted[r], srlm.tabular_dpo_erm(ref, single, 0.8).logp, atol=1e-10)


def test_zero_probabilities_stay_zero() -> None:
    inst = srlm.HardInstance(N=3, M=6, eps=0.5, g=1.0)
    pol = inst.policy([0, 1, 2])
    tr = srlm.run_self_rewarding(pol, 1.0, 500, 3, np.random.default_rng(4), reps=2)
    assert np.all(tr.final_logp[:, 0, 1:] == -np.inf)
    assert not np.any(np.isnan(tr.final_logp))


def test_bad_input(base: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="beta must be > 0"):
        srlm.run_self_rewarding(base, 0.0, 10, 1, rng)
    with pytest.raises(ValueError, match="reps must be >= 1"):
        srlm.run_self_rewarding(base, 1.0, 10, 1, rng, reps=0)
    with pytest.raises(ValueError, match="noise_scale must be >= 0"):
        srlm.run_self_rewarding(base, 1.0, 10, 1, rng, noise_scale=-1.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        srlm.run_self_rewarding(base, 1.0, 10, 1, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="logp must have shape"):
        srlm.sample_round_batch(base.logp, base.weights, 10, rng)
    with pytest.raises(ValueError, match="weights must be a probability vector"):
        srlm.sample_round_batch(base.logp[None], np.ones(3), 10, rng)
    with pytest.raises(TypeError, match="data must be a BatchRound"):
        srlm.fit_round_batch(base.logp[None], None, 1.0)  # type: ignore[arg-type]

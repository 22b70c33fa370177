from __future__ import annotations

import numpy as np
import pytest

import srlm


def test_seeded_rounds_are_reproducible(policy: srlm.TabularPolicy) -> None:
    a = srlm.sample_round(policy, 500, np.random.default_rng(7))
    b = srlm.sample_round(policy, 500, np.random.default_rng(7))
    for name in ("prompts", "first", "second", "reward_diff"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_labels_are_self_reward_differences(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    d = srlm.sample_round(policy, 300, rng)
    np.testing.assert_allclose(d.reward_diff, policy.logp[d.prompts, d.first] - policy.logp[d.prompts, d.second])
    noisy = srlm.sample_round(policy, 20_000, np.random.default_rng(1), noise_scale=0.5)
    resid = noisy.reward_diff - (policy.logp[noisy.prompts, noisy.first] - policy.logp[noisy.prompts, noisy.second])
    assert abs(resid.std() - 0.5) < 0.02  # sd of 20000 N(0, 0.25) draws: standard error ~0.0025


def test_frequencies_match_probabilities(policy: srlm.TabularPolicy) -> None:
    """Monte Carlo against the exact joint law of (x, y): 6-sigma binomial band per cell."""
    n = 200_000
    d = srlm.sample_round(policy, n, np.random.default_rng(99))
    joint = policy.weights[:, None] * policy.probs
    counts = np.zeros_like(joint)
    np.add.at(counts, (d.prompts, d.first), 1.0)
    sd = np.sqrt(joint * (1 - joint) / n)
    assert np.all(np.abs(counts / n - joint) <= 6 * sd + 1e-12)


def test_categorical_never_draws_zero_probability(rng: np.random.Generator) -> None:
    probs = np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    draws = srlm.sample_categorical(probs, np.repeat([0, 1], 5000), rng)
    assert np.all(draws[:5000] == 1)
    assert set(np.unique(draws[5000:])) == {0, 2}


def test_bad_input(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="n must be >= 1"):
        srlm.sample_round(policy, 0, rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        srlm.sample_round(policy, 5, 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="noise_scale must be >= 0"):
        srlm.sample_round(policy, 5, rng, noise_scale=-1.0)
    with pytest.raises(ValueError, match="reward must have shape"):
        srlm.sample_round(policy, 5, rng, reward=np.zeros((1, 1)))
    with pytest.raises(ValueError, match="equal lengths"):
        srlm.RoundData(np.array([0]), np.array([0, 1]), np.array([0]), np.array([0.0]))
    with pytest.raises(ValueError, match="reward_diff must be finite"):
        srlm.RoundData(np.array([0]), np.array([0]), np.array([0]), np.array([np.inf]))
    with pytest.raises(ValueError, match="rows must have entries"):
        srlm.sample_categorical([[1.0]], [1], rng)


def test_wide_rows_use_the_sort_and_give_the_direct_count() -> None:
    """The sort path (wide rows, many draws) against a direct per-draw count, with zeros and ties."""
    gen = np.random.default_rng(3)
    probs = gen.dirichlet(np.full(60, 0.3), size=7)
    probs[probs < 0.01] = 0.0
    rows = gen.integers(0, 7, 5000)
    draws = srlm.sample_categorical(probs, rows, np.random.default_rng(4))
    cdf = np.cumsum(probs, axis=1)
    u = np.random.default_rng(4).random(rows.size) * cdf[rows, -1]
    direct = np.minimum([(cdf[r] <= t).sum() for r, t in zip(rows, u, strict=True)], 59)
    np.testing.assert_array_equal(draws, direct)
    assert np.all(probs[rows, draws] > 0)
    # a threshold exactly equal to a table entry counts that entry (<=)
    from srlm.sampling import _count_at_most

    table = np.array([[0.25, 0.5, 0.5, 1.0]])
    np.testing.assert_array_equal(_count_at_most(table, np.zeros(4, dtype=np.intp), np.array([0.0, 0.25, 0.5, 0.99])),
                                  [0, 1, 3, 3])


def test_sample_categorical_refuses_bad_probabilities(rng: np.random.Generator) -> None:
    for bad, msg in (
        (np.array([[np.nan, 1.0]]), "probs must be finite"),
        (np.array([[-0.5, 1.5]]), "probs must be non-negative"),
        (np.array([[0.0, 0.0]]), "positive total mass"),
        (np.array([[0.5 + 0j, 0.5]]), "probs must be a real numeric array"),
    ):
        with pytest.raises((ValueError, TypeError), match=msg):
            srlm.sample_categorical(bad, [0], rng)
    assert srlm.sample_categorical(np.array([[0.5, 0.5]]), [], rng).shape == (0,)


def test_sample_round_caps_n_before_allocating(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="n must be at most"):
        srlm.sample_round(policy, 10**12, rng)

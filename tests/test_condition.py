from __future__ import annotations

import itertools

import numpy as np
import pytest

import srlm


def test_kappa_bounds_and_monte_carlo(policy: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    k = srlm.condition_number(policy)
    assert 1.0 <= k <= policy.n_responses
    # independent estimate: average of 1/pi(mode|x) over prompts drawn from D
    x = rng.choice(policy.n_prompts, size=400_000, p=policy.weights)
    inv = 1.0 / policy.probs.max(axis=1)
    mc = inv[x]
    assert abs(mc.mean() - k) < 5 * mc.std() / np.sqrt(x.size)
    assert srlm.condition_number_excess(policy) == pytest.approx(k - 1, rel=1e-10)


def test_kappa_special_cases() -> None:
    uniform = srlm.TabularPolicy.from_probs(np.full((3, 5), 0.2))
    assert srlm.condition_number(uniform) == pytest.approx(5.0)
    det = srlm.TabularPolicy.from_probs(np.eye(3))
    assert srlm.condition_number(det) == 1.0
    assert srlm.condition_number_excess(det) == 0.0


def test_kappa_excess_is_accurate_when_tiny() -> None:
    pol = srlm.TabularPolicy.from_logits([[0.0, -100.0, -120.0]])
    assert srlm.condition_number(pol) == 1.0  # the plain value has lost the excess
    assert srlm.condition_number_excess(pol) == pytest.approx(np.exp(-100.0) + np.exp(-120.0), rel=1e-12)


def test_log_kappa_matches(policy: srlm.TabularPolicy) -> None:
    assert srlm.log_condition_number(policy) == pytest.approx(np.log(srlm.condition_number(policy)))


def test_autoregressive_mode_and_enumeration(rng: np.random.Generator) -> None:
    ar = srlm.AutoregressivePolicy.random(rng, n_prompts=3, vocab=3, length=4)
    seq = ar.sequence_logprobs()
    np.testing.assert_allclose(np.exp(seq).sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(ar.mode_logprobs(), seq.max(axis=1), atol=1e-12)
    # brute force over all token tuples, independent of the vectorised enumeration
    for tokens in itertools.product(range(3), repeat=4):
        lp = sum(
            np.log(ar.tables[pos][0, srlm.sequence_index(list(tokens[:pos]), 3) if pos else 0, tokens[pos]])
            for pos in range(4)
        )
        assert lp == pytest.approx(seq[0, srlm.sequence_index(list(tokens), 3)])
    assert srlm.condition_number(ar) == pytest.approx(srlm.condition_number(ar.to_tabular()))


@pytest.mark.parametrize("alpha", [0.34, 0.5, 0.8])
def test_low_confidence_autoregressive_bound(alpha: float, rng: np.random.Generator) -> None:
    length = 5
    ar = srlm.AutoregressivePolicy.random(rng, n_prompts=4, vocab=3, length=length, max_prob=alpha)
    assert ar.max_conditional() <= alpha + 1e-12
    assert np.all(ar.mode_logprobs() <= length * np.log(alpha) + 1e-9)
    assert srlm.condition_number(ar) >= alpha ** (-length) * (1 - 1e-9)


def test_bad_input(rng: np.random.Generator) -> None:
    with pytest.raises(TypeError, match="policy must implement srlm.Policy"):
        srlm.condition_number(np.eye(2))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_prob must lie in"):
        srlm.AutoregressivePolicy.random(rng, 1, 4, 2, max_prob=0.2)
    with pytest.raises(ValueError, match="exceeds the limit"):
        srlm.AutoregressivePolicy.random(rng, 1, 50, 10)
    with pytest.raises(ValueError, match=r"tables\[1\] must have shape"):
        srlm.AutoregressivePolicy((np.full((1, 1, 2), 0.5), np.full((1, 1, 2), 0.5)), np.array([1.0]))
    with pytest.raises(ValueError, match=r"every row of tables\[0\] must sum to 1"):
        srlm.AutoregressivePolicy((np.full((1, 1, 2), 0.6),), np.array([1.0]))
    with pytest.raises(TypeError, match="tables must be a non-empty sequence"):
        srlm.AutoregressivePolicy(np.full((1, 1, 2), 0.5), np.array([1.0]))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tokens must lie in 0..2"):
        srlm.sequence_index([0, 3], 3)
    with pytest.raises(TypeError, match="policy must be a TabularPolicy or LinearSoftmaxPolicy"):
        srlm.condition_number_excess(np.eye(2))  # type: ignore[arg-type]


@pytest.mark.parametrize(("alpha", "vocab", "length"), [(0.5, 2, 6), (0.4, 3, 4), (0.25, 4, 3), (0.9, 3, 5)])
def test_autoregressive_bound_attained_by_the_flat_rows(alpha: float, vocab: int, length: int) -> None:
    """Every row (alpha, (1-alpha)/(V-1), ...) with alpha >= 1/V: kappa = alpha^{-L} exactly (sharpness)."""
    row = np.array([alpha] + [(1 - alpha) / (vocab - 1)] * (vocab - 1))
    tables = tuple(np.broadcast_to(row, (2, vocab**pos, vocab)).copy() for pos in range(length))
    ar = srlm.AutoregressivePolicy(tables, np.array([0.3, 0.7]))
    assert srlm.condition_number(ar) == pytest.approx(alpha ** (-length), rel=1e-12)


def test_dynamics_bound_attained_when_all_runners_up_tie() -> None:
    """p = (p1, p2, ..., p2): kappa(pi_T) - 1 = (M-1)(p2/p1)^{s^T} exactly, for every T (sharpness)."""
    p1, m, beta = 0.55, 5, 0.5
    p2 = (1 - p1) / (m - 1)
    pol = srlm.TabularPolicy.from_probs([[p1] + [p2] * (m - 1)])
    s = 1 + 1 / beta
    for t in range(5):
        excess = srlm.condition_number_excess(srlm.iterate_self_rewarding(pol, beta, t))
        assert excess == pytest.approx((m - 1) * (p2 / p1) ** (s**t), rel=1e-10)

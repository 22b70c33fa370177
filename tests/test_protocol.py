"""The policy protocol: every family implements srlm.Policy and code written once runs on all of them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import srlm
from srlm.ngram import MarkovPolicy, NGramModel, Vocabulary


def _families(rng: np.random.Generator) -> dict[str, srlm.Policy]:
    phi = srlm.random_unit_features(rng, 3, 4, 2)
    model = NGramModel.fit("abcabbacbcaabcbcbacbaccab" * 4, 2, 0.5, Vocabulary("abc"))
    return {
        "tabular": srlm.TabularPolicy.random(rng, 3, 5, 1.0, random_weights=True),
        "linear": srlm.LinearSoftmaxPolicy(phi, np.array([2.0, -1.0])),
        "autoregressive": srlm.AutoregressivePolicy.random(rng, 3, 3, 3),
        "markov": model.policy(3),
    }


def _chapter(pol: srlm.Policy, prompts: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """A 'chapter' written once against the module-level API; it must run unchanged on every family."""
    best, best_lp = srlm.mode(pol, prompts)
    np.testing.assert_allclose(srlm.log_prob(pol, prompts, best), best_lp, rtol=0, atol=1e-12)
    greedy, greedy_lp = srlm.greedy_decode(pol, prompts=prompts)
    np.testing.assert_allclose(srlm.log_prob(pol, prompts, greedy), greedy_lp, rtol=0, atol=1e-12)
    assert np.all(greedy_lp <= best_lp + 1e-12)
    drawn = srlm.sample(pol, prompts, rng)
    drawn_lp = srlm.log_prob(pol, prompts, drawn)
    assert np.all(np.isfinite(drawn_lp)) and np.all(drawn_lp <= best_lp + 1e-12)
    k0 = srlm.condition_number(pol, prompts)
    k1 = srlm.condition_number(srlm.temper(pol, 1.0), prompts)
    k_gibbs = srlm.condition_number(srlm.gibbs_step(pol, 1.0), prompts)
    assert k1 == k_gibbs
    assert 1.0 <= k1 <= k0 * (1 + 1e-12)  # the step sharpens: the mode's probability cannot fall
    lk = srlm.log_condition_number(pol, prompts)
    assert lk == pytest.approx(np.log(k0), rel=1e-13, abs=1e-15)
    return {"kappa0": k0, "kappa1": k1}


@pytest.mark.parametrize("family", ["tabular", "linear", "autoregressive", "markov"])
def test_swap_family(family: str, rng: np.random.Generator) -> None:
    pol = _families(rng)[family]
    assert isinstance(pol, srlm.Policy)
    out = _chapter(pol, np.array([0, 2, 1, 2]), np.random.default_rng(3))
    assert np.isfinite(out["kappa0"])


def test_condition_number_prompt_law(rng: np.random.Generator) -> None:
    tab = srlm.TabularPolicy.random(rng, 3, 4, 1.0, random_weights=True)
    inv = np.exp(-tab.mode_logprobs())
    # no prompts: the policy's own law; listed prompts: uniform over the entries; or explicit weights
    assert srlm.condition_number(tab) == pytest.approx(float(tab.weights @ inv), rel=1e-14)
    assert srlm.condition_number(tab, [0, 0, 2]) == pytest.approx((2 * inv[0] + inv[2]) / 3, rel=1e-14)
    assert srlm.condition_number(tab, [1, 2], [0.25, 0.75]) == pytest.approx(0.25 * inv[1] + 0.75 * inv[2], rel=1e-14)
    markov = NGramModel.fit("abab" * 5, 2, 0.5, Vocabulary("ab")).policy(2)
    with pytest.raises(ValueError, match="prompts must be given"):
        srlm.condition_number(markov)
    with pytest.raises(ValueError, match="prompts must not be empty"):
        srlm.condition_number(tab, [])
    with pytest.raises(ValueError, match="weights has 2 entries"):
        srlm.condition_number(tab, [0, 1, 2], [0.5, 0.5])


def test_the_one_kappa_kernel() -> None:
    lp = np.log(np.array([[0.5, 0.25], [1.0, 0.5]]))
    # batched over the leading axis; uniform and explicit weights; pinned values
    np.testing.assert_allclose(srlm.condition_number_from_mode_logprobs(lp), [3.0, 1.5], rtol=1e-15)
    assert srlm.condition_number_from_mode_logprobs(lp[0], [0.75, 0.25]) == pytest.approx(2.5, rel=1e-15)
    assert srlm.log_condition_number_from_mode_logprobs(np.array([-800.0, -800.0])) == pytest.approx(800.0)
    with pytest.raises(OverflowError, match="log_condition_number"):
        srlm.condition_number_from_mode_logprobs(np.array([-800.0]))
    for bad in ([np.nan], [0.5], [-np.inf]):
        with pytest.raises(ValueError, match="mode_logprobs"):
            srlm.condition_number_from_mode_logprobs(np.array(bad))
    with pytest.raises(TypeError, match="mode_logprobs"):
        srlm.condition_number_from_mode_logprobs(np.array([-1 + 0j]))


def test_families_agree_with_their_tabular_forms(rng: np.random.Generator) -> None:
    ar = srlm.AutoregressivePolicy.random(rng, 2, 3, 3)
    tab = ar.to_tabular()
    assert srlm.condition_number(ar) == pytest.approx(srlm.condition_number(tab), rel=1e-13)
    seq, _ = srlm.mode(ar)
    np.testing.assert_array_equal(srlm.sequence_index(seq, 3), srlm.mode(tab)[0])
    np.testing.assert_allclose(ar.temper(0.5).to_tabular().logp, srlm.temper(tab, 0.5).logp, atol=1e-12)
    # index_to_tokens inverts sequence_index
    idx = np.arange(27)
    np.testing.assert_array_equal(srlm.sequence_index(srlm.index_to_tokens(idx, 3, 3), 3), idx)
    lin = srlm.LinearSoftmaxPolicy(srlm.random_unit_features(rng, 2, 3, 2), np.array([1.0, 0.5]))
    np.testing.assert_allclose(lin.temper(0.25).to_tabular().logp, srlm.temper(lin.to_tabular(), 0.25).logp, atol=1e-13)
    assert srlm.condition_number_excess(lin) == pytest.approx(srlm.condition_number(lin) - 1, rel=1e-12)


def test_markov_sample_law(rng: np.random.Generator) -> None:
    """Sequences drawn by MarkovPolicy.sample follow pi(y|x): chi-square against the exact law."""
    pol = NGramModel.fit("aabab" * 6, 2, 0.5, Vocabulary("ab")).policy(3)
    seqs = np.array(list(itertools.product(range(2), repeat=3)))
    law = np.exp(pol.log_prob(np.zeros(8, dtype=int), seqs))
    draws = pol.sample(np.zeros(20000, dtype=int), rng)
    counts = np.bincount(srlm.sequence_index(draws, 2), minlength=8)
    chi2 = float(np.sum((counts - 20000 * law) ** 2 / (20000 * law)))
    assert chi2 < 24.3  # 99.9% quantile of chi-square with 7 degrees of freedom


def test_third_party_family_is_a_policy() -> None:
    class Coin:
        n_prompts = 1
        weights = np.array([1.0])

        def log_prob(self, prompts, responses):  # type: ignore[no-untyped-def]
            return np.log(np.where(np.asarray(responses) == 0, 0.75, 0.25))

        def mode(self, prompts=None):  # type: ignore[no-untyped-def]
            m = 1 if prompts is None else len(prompts)
            return np.zeros(m, dtype=np.intp), np.full(m, np.log(0.75))

        greedy = mode

        def temper(self, beta):  # type: ignore[no-untyped-def]
            return self

        def sample(self, prompts, rng):  # type: ignore[no-untyped-def]
            return (rng.random(len(prompts)) > 0.75).astype(np.intp)

        def condition_number(self, prompts=None, weights=None):  # type: ignore[no-untyped-def]
            return srlm.condition_number(self, prompts, weights)

    coin = Coin()
    assert isinstance(coin, srlm.Policy)
    assert coin.condition_number() == pytest.approx(4 / 3, rel=1e-15)
    assert not isinstance(np.eye(2), srlm.Policy)
    with pytest.raises(TypeError, match="policy must implement srlm.Policy"):
        srlm.mode(np.eye(2))  # type: ignore[arg-type]


def test_every_family_is_a_policy(rng: np.random.Generator) -> None:
    for pol in _families(rng).values():
        assert isinstance(pol, srlm.Policy)
    assert isinstance(NGramModel.fit("abab" * 3, 2, 0.5, Vocabulary("ab")).policy(2), MarkovPolicy)

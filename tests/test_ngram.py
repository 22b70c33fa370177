from __future__ import annotations

import itertools

import numpy as np
import pytest

from srlm.ngram import MarkovPolicy, NGramModel, Vocabulary, normalise_text

TEXT = "abcabbacbcaabcbcbacbaccab" * 4


@pytest.fixture
def small() -> tuple[NGramModel, MarkovPolicy, np.ndarray]:
    model = NGramModel.fit(TEXT, 3, 0.5, Vocabulary("abc"))
    return model, model.policy(5), np.array(list(itertools.product(range(3), repeat=5)))


def brute_logprob(model: NGramModel, q: int, seq: tuple[int, ...]) -> float:
    """Plain loops over the n-gram table, independent of MarkovPolicy."""
    v = model.vocab.size
    total = 0.0
    for tok in seq:
        total += np.log(model.probs[q, tok])
        q = (q * v + tok) % model.n_states
    return total


def test_probabilities_normalised_and_match_brute_force(small: tuple) -> None:
    model, pol, seqs = small
    for q in range(model.n_states):
        lp = pol.sequence_logprob(np.full(len(seqs), q), seqs)
        assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-12)
        assert lp[17] == pytest.approx(brute_logprob(model, q, tuple(seqs[17])))


def test_viterbi_and_greedy_against_enumeration(small: tuple) -> None:
    model, pol, seqs = small
    init = np.arange(model.n_states)
    tokens, logp = pol.viterbi(init)
    g_tokens, g_logp = pol.greedy(init)
    for q in init:
        lp = pol.sequence_logprob(np.full(len(seqs), q), seqs)
        assert logp[q] == pytest.approx(lp.max(), abs=1e-12)
        assert pol.sequence_logprob([q], tokens[q : q + 1])[0] == pytest.approx(lp.max(), abs=1e-12)
        assert g_logp[q] <= logp[q] + 1e-12


def brute_tempered(model: NGramModel, q: int, seqs: np.ndarray, power: float) -> np.ndarray:
    """log of pi^power / sum pi^power over the full sequence distribution, by enumeration."""
    lp = power * np.array([brute_logprob(model, q, tuple(y)) for y in seqs])
    top = lp.max()
    return lp - top - np.log(np.sum(np.exp(lp - top)))


@pytest.mark.parametrize("beta", [0.3, 0.5, 1.0, 2.0, 4.0])
def test_exact_step_equals_brute_force_tempering(small: tuple, beta: float) -> None:
    model, pol, seqs = small
    s = 1 + 1 / beta
    one, two = pol.temper(beta), pol.temper(beta).temper(beta)
    for q in range(model.n_states):
        init = np.full(len(seqs), q)
        np.testing.assert_allclose(one.sequence_logprob(init, seqs), brute_tempered(model, q, seqs, s), atol=1e-10)
        np.testing.assert_allclose(two.sequence_logprob(init, seqs), brute_tempered(model, q, seqs, s * s), atol=1e-10)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_dpo_step_with_much_data_matches_brute_force_tempering(small: tuple, beta: float) -> None:
    model, pol, seqs = small
    init = np.arange(model.n_states)
    fitted = pol.dpo_step(init, 40_000, beta, np.random.default_rng(0))
    for q in init:
        a = fitted.sequence_logprob(np.full(len(seqs), q), seqs)
        b = brute_tempered(model, q, seqs, 1 + 1 / beta)
        top = np.argsort(b)[-20:]  # well-sampled sequences
        np.testing.assert_allclose(a[top], b[top], atol=0.05)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_k_best_against_enumeration(small: tuple, k: int) -> None:
    model, pol, seqs = small
    init = np.arange(model.n_states)
    tokens, logp = pol.k_best(init, k)
    v_tok, v_lp = pol.viterbi(init)
    np.testing.assert_allclose(logp[:, 0], v_lp, atol=1e-12)
    for q in init:
        ref = np.array([brute_logprob(model, q, tuple(y)) for y in seqs])
        order = np.argsort(-ref, kind="stable")[:k]
        np.testing.assert_allclose(logp[q], ref[order], atol=1e-12)
        for r in range(k):  # the returned sequences have the returned log-probabilities and are distinct
            assert brute_logprob(model, q, tuple(tokens[q, r])) == pytest.approx(logp[q, r], abs=1e-12)
        assert len({tuple(t) for t in tokens[q]}) == k


def test_k_best_beyond_the_number_of_sequences() -> None:
    model = NGramModel.fit("abba" * 5, 2, 0.5, Vocabulary("ab"))
    tokens, logp = model.policy(2).k_best(np.array([0, 1]), 6)
    assert np.all(np.isfinite(logp[:, :4])) and np.all(np.isneginf(logp[:, 4:]))
    assert np.all(tokens[:, 4:] == -1)
    np.testing.assert_allclose(np.exp(logp[:, :4]).sum(axis=1), 1.0)


def test_margin_pinned_and_scaled_by_tempering(small: tuple) -> None:
    model, pol, seqs = small
    init = np.arange(model.n_states)
    gamma = pol.log_margin(init)
    for q in init:
        ref = np.sort([brute_logprob(model, q, tuple(y)) for y in seqs])[::-1]
        assert gamma[q] == pytest.approx(ref[0] - ref[1], abs=1e-12)
    # log pi_{t+1} = s log pi_t - log Z: every log-probability gap is multiplied by s = 1 + 1/beta
    np.testing.assert_allclose(pol.temper(0.5).log_margin(init), 3.0 * gamma, atol=1e-10)


def test_sampling_frequencies(small: tuple) -> None:
    model, pol, seqs = small
    draws = pol.sample(np.zeros(50_000, dtype=np.int64), np.random.default_rng(1))
    idx = (draws * 3 ** np.arange(4, -1, -1)).sum(axis=1)
    freq = np.bincount(idx, minlength=len(seqs)) / len(draws)
    p = np.exp(pol.sequence_logprob(np.zeros(len(seqs), dtype=np.int64), seqs))
    assert np.all(np.abs(freq - p) <= 6 * np.sqrt(p * (1 - p) / len(draws)) + 1e-12)


def test_condition_number(small: tuple) -> None:
    model, pol, _ = small
    init = np.arange(model.n_states)
    _, logp = pol.viterbi(init)
    assert pol.condition_number(init) == pytest.approx(np.mean(np.exp(-logp)))
    assert pol.temper(1.0).condition_number(init) < pol.condition_number(init)


def test_normalise_and_vocab() -> None:
    assert normalise_text("Hello, World!\n  x") == "hello world x"
    voc = Vocabulary("ab ")
    assert voc.decode(voc.encode("ab ba")) == "ab ba"


def test_bad_input(small: tuple) -> None:
    model, pol, _ = small
    with pytest.raises(ValueError, match="at least order"):
        NGramModel.fit("", 3)
    with pytest.raises(ValueError, match="unknown token 'z'"):
        NGramModel.fit("abcz", 2, vocab=Vocabulary("abc"))
    with pytest.raises(ValueError, match="length must be >= 1"):
        model.policy(0)
    with pytest.raises(ValueError, match="order must be >= 2"):
        NGramModel.fit("abc", 1, vocab=Vocabulary("abc"))
    with pytest.raises(ValueError, match="smoothing must be > 0"):
        NGramModel.fit("abcabc", 2, 0.0, Vocabulary("abc"))
    with pytest.raises(ValueError, match="unknown token"):
        model.state_of("xy")
    with pytest.raises(ValueError, match="init must have entries in"):
        pol.viterbi([99])
    with pytest.raises(ValueError, match="beta must be > 0"):
        pol.temper(0.0)
    with pytest.raises(ValueError, match="k must be >= 1"):
        pol.k_best([0], 0)
    with pytest.raises(TypeError, match="init must be an integer array"):
        pol.k_best([0.5], 2)
    with pytest.raises(ValueError, match="alphabet must be"):
        Vocabulary("aa")
    with pytest.raises(ValueError, match="log_trans must have shape"):
        MarkovPolicy(np.zeros((2, 3, 2)), 3)


@pytest.mark.parametrize("beta", [1e-3, 1e-8, 1e-10, 1e-12])
def test_temper_extreme_beta_against_mpmath(beta: float) -> None:
    """pi^(1+1/beta)/Z on sequences, against 60-digit enumeration from the same double inputs.

    Before the fix the result failed its own normalisation check for beta <= 1e-8.
    """
    import mpmath as mp

    mp.mp.dps = 60
    model = NGramModel.fit("abbaabab" * 3, 2, 0.5, Vocabulary("ab"))
    pol = model.policy(3)
    new = pol.temper(beta)  # validated: every row normalised within 1e-9
    seqs = np.array(list(itertools.product(range(2), repeat=3)))
    s = 1 + 1 / mp.mpf(beta)
    for q in range(pol.n_states):
        init = np.full(len(seqs), q)
        got = new.sequence_logprob(init, seqs)
        base = [mp.mpf(0)] * len(seqs)
        for i, y in enumerate(seqs):
            state = q
            for pos, v in enumerate(y):
                base[i] += mp.mpf(float(pol.log_trans[pos, state, v]))
                state = (state * 2 + int(v)) % pol.n_states
        z = mp.log(mp.fsum(mp.exp(s * b) for b in base))
        scale = float(s * max(abs(b) for b in base))  # the conditioning of s * log pi
        for i in range(len(seqs)):
            ref = float(s * base[i] - z)
            assert abs(got[i] - ref) <= 1e-15 * scale + 1e-15


def test_lsqr_matches_scipy_and_ignores_blas_threads() -> None:
    """dpo_step's solver is SciPy's LSQR without BLAS dot products; same answer, thread-independent bits.

    With scipy.sparse.linalg.lsqr (BLAS ddot norms) the two digests below differed at this size.
    """
    import os
    import subprocess
    import sys

    from scipy.sparse import random as sparse_random
    from scipy.sparse.linalg import lsqr

    from srlm.ngram import _lsqr

    a = sparse_random(300, 500, density=0.02, random_state=1, format="csr")
    b = np.random.default_rng(0).standard_normal(300)
    ref = lsqr(a, b, atol=1e-12, btol=1e-12, iter_lim=10_000)[0]
    np.testing.assert_allclose(_lsqr(a, b, 1e-12, 1e-12, 10_000), ref, atol=1e-10)
    code = (
        "import numpy as np, hashlib\n"
        "from srlm.ngram import NGramModel\n"
        "m = NGramModel.fit('the cat sat on the mat and the dog ate the hat ' * 40, 3, 0.1)\n"
        "p = m.policy(6).dpo_step(np.arange(50), 15000, 1.0, np.random.default_rng(0))\n"
        "print(hashlib.sha256(p.log_trans.tobytes()).hexdigest())\n"
    )
    digests = set()
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_protocol_members(small: tuple[NGramModel, MarkovPolicy, np.ndarray]) -> None:
    _, pol, _ = small
    init = np.arange(pol.n_states)
    assert pol.n_prompts == pol.n_states and pol.weights is None
    tok, lp = pol.mode(init)
    np.testing.assert_array_equal(pol.viterbi(init)[0], tok)
    np.testing.assert_allclose(pol.log_prob(init, tok), lp, atol=1e-12)
    g_small, _ = pol.greedy(init, "smallest")
    g_large, _ = pol.greedy(init, "largest")
    assert g_small.shape == g_large.shape == tok.shape
    with pytest.raises(ValueError, match="tie_break must be one of"):
        pol.greedy(init, "random")
    with pytest.raises(ValueError, match="prompts must be given"):
        pol.condition_number()


def test_model_validation() -> None:
    voc = Vocabulary("abc")
    good = NGramModel.fit("abcabc", 2, 0.1, voc)
    with pytest.raises(ValueError, match="probs must"):
        NGramModel(voc, 2, np.full((3, 3), np.nan))
    with pytest.raises(TypeError, match="probs must be a real array"):
        NGramModel(voc, 2, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"probs must have shape \(9, 3\)"):
        NGramModel(voc, 3, good.probs)
    with pytest.raises(TypeError, match="vocab must be a Vocabulary"):
        NGramModel("abc", 2, good.probs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exceeds the limit"):
        NGramModel.fit("abcabc", 40, 0.1, voc)
    with pytest.raises(TypeError, match="log_trans must be a real numeric array"):
        MarkovPolicy(good.policy(2).log_trans + 0j, 3)
    with pytest.raises(TypeError, match="ids must be an integer array"):
        voc.decode([0.5])


def test_k_best_caps_k(small: tuple[NGramModel, MarkovPolicy, np.ndarray]) -> None:
    _, pol, _ = small
    with pytest.raises(ValueError, match="k = 1000000000000 is too large"):
        pol.k_best([0], 10**12)

from __future__ import annotations

import itertools

import numpy as np
import pytest

import srlm


def brute_force(policy: srlm.AutoregressivePolicy, x: int) -> tuple[tuple[int, ...], float, tuple[int, ...]]:
    """Mode and greedy by plain Python loops over all sequences (independent of the vectorised code)."""
    v, ell = policy.vocab, policy.length
    best, best_p = None, -1.0
    for seq in itertools.product(range(v), repeat=ell):
        prob, prefix = 1.0, 0
        for pos, tok in enumerate(seq):
            prob *= policy.tables[pos][x, prefix, tok]
            prefix = prefix * v + tok
        if prob > best_p:
            best, best_p = seq, prob
    greedy, prefix = [], 0
    for pos in range(ell):
        row = policy.tables[pos][x, prefix]
        tok = int(np.argmax(row))
        greedy.append(tok)
        prefix = prefix * v + tok
    return best, best_p, tuple(greedy)


def test_greedy_and_mode_match_brute_force(rng: np.random.Generator) -> None:
    pol = srlm.AutoregressivePolicy.random(rng, n_prompts=6, vocab=3, length=4, concentration=0.4)
    g_tok, g_lp = srlm.greedy_decode(pol)
    m_tok, m_lp = srlm.mode(pol)
    for x in range(6):
        best, best_p, greedy = brute_force(pol, x)
        assert tuple(m_tok[x]) == best and np.exp(m_lp[x]) == pytest.approx(best_p)
        assert tuple(g_tok[x]) == greedy
    assert np.all(g_lp <= m_lp + 1e-12)


@pytest.mark.parametrize("p", [0.05, 0.2, 0.3, 0.45, 0.49])
@pytest.mark.parametrize("vocab", [2, 3, 4])
def test_trap_construction(p: float, vocab: int) -> None:
    for length in range(2, 8):
        eta = 1 - 2 * p if vocab == 2 else (1 - 2 * p) / 2
        if not all(srlm.trap_conditions(p, eta, vocab, length).values()):
            with pytest.raises(ValueError, match="trap construction impossible"):
                srlm.trap_construction(p, vocab, length)
            continue
        pol = srlm.trap_construction(p, vocab, length)
        seq = np.exp(pol.sequence_logprobs()[0])
        order = np.sort(seq)[::-1]
        assert order[0] == pytest.approx(p, abs=1e-12) and order[1] < p  # unique mode of probability p
        g_tok, _ = srlm.greedy_decode(pol)
        m_tok, _ = srlm.mode(pol)
        assert tuple(m_tok[0]) == (1,) + (0,) * (length - 1)
        assert not np.array_equal(g_tok, m_tok)


def test_binary_minimum_length() -> None:
    for p in (0.05, 0.1, 1 / 3, 0.3, 0.45):
        ell = srlm.min_length_binary(p)
        srlm.trap_construction(p, 2, ell)  # exists at the minimum length
        assert not srlm.trap_conditions(p, 1 - 2 * p, 2, ell - 1)["trap_continuations_small"]  # and not below


def test_converse_on_random_models(rng: np.random.Generator) -> None:
    pol = srlm.AutoregressivePolicy.random(rng, n_prompts=4000, vocab=3, length=3, concentration=0.1)
    g_tok, _ = srlm.greedy_decode(pol)
    m_tok, m_lp = srlm.mode(pol)
    confident = np.exp(m_lp) > 0.5
    assert confident.sum() > 500
    assert np.all((g_tok == m_tok).all(axis=1)[confident])


def test_half_depends_on_tie_break() -> None:
    pol = srlm.trap_construction(0.5, 2, 2, eta=0.0)
    g_tok, _ = srlm.greedy_decode(pol)
    assert tuple(g_tok[0]) == (0, 0)  # smallest-index tie-break picks the trap
    assert tuple(srlm.mode(pol)[0][0]) == (1, 0)
    assert tuple(srlm.greedy_decode(pol, "largest")[0][0]) == (1, 0)  # the other rule finds the mode


@pytest.mark.parametrize("rule", ["smallest", "largest"])
@pytest.mark.parametrize(("vocab", "length"), [(2, 2), (2, 4), (3, 3), (4, 2)])
def test_half_trap_for_each_fixed_rule(rule: str, vocab: int, length: int) -> None:
    """For each fixed rule the relabelled p = 1/2 trap defeats it (plain-Python enumeration), not the other rule."""
    pol = srlm.trap_construction(0.5, vocab, length, eta=0.0, tie_break=rule)
    best, best_p, _ = brute_force(pol, 0)
    seq = np.sort(np.exp(pol.sequence_logprobs()[0]))[::-1]
    assert best_p == 0.5 and seq[1] < 0.5  # unique mode of probability exactly 1/2
    assert best == ((1,) if rule == "smallest" else (0,)) + (0,) * (length - 1)
    other = "largest" if rule == "smallest" else "smallest"
    assert tuple(srlm.greedy_decode(pol, rule)[0][0]) != best
    assert tuple(srlm.greedy_decode(pol, other)[0][0]) == best


def test_largest_rule_matches_plain_python(rng: np.random.Generator) -> None:
    pol = srlm.AutoregressivePolicy.random(rng, n_prompts=5, vocab=3, length=3, concentration=0.5)
    tables = [np.round(t * 4) / 4 for t in pol.tables]  # quarter grid: exact ties are common
    tables = [np.where(t.sum(axis=-1, keepdims=True) == 1.0, t, 1 / 3) for t in tables]
    tied = srlm.AutoregressivePolicy(tuple(tables), pol.weights)
    g_tok, _ = srlm.greedy_decode(tied, "largest")
    for x in range(5):
        prefix, out = 0, []
        for pos in range(3):
            row = list(tied.tables[pos][x, prefix])
            tok = max(i for i in range(3) if row[i] == max(row))
            out.append(tok)
            prefix = prefix * 3 + tok
        assert tuple(g_tok[x]) == tuple(out)


def test_conditions_are_sufficient_not_necessary() -> None:
    """p = 0.2, eta = 0.01, |V| = 3, L = 3: rest_fits fails, yet greedy starts with token 2 and misses the mode."""
    cond = srlm.trap_conditions(0.2, 0.01, 3, 3)
    assert not cond["rest_fits"] and cond["p_below_half_room"] and cond["trap_continuations_small"]
    first = [0.21, 0.2, 0.59]
    seq = {(a, b, c): first[a] * (1.0 if a == 1 and (b, c) == (0, 0) else 0.0 if a == 1 else 1 / 9)
           for a, b, c in itertools.product(range(3), repeat=3)}
    order = sorted(seq.values(), reverse=True)
    assert order[0] == 0.2 and order[1] < 0.2 and max(seq, key=seq.get) == (1, 0, 0)
    assert int(np.argmax(first)) != 1  # greedy's first token is not the mode's


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"p must lie in \(0, 0.5\]"):
        srlm.trap_construction(0.6, 3, 3)
    with pytest.raises(ValueError, match="trap_beats_mode"):
        srlm.trap_construction(0.3, 3, 3, eta=0.0)
    with pytest.raises(ValueError, match="p_below_half_room"):
        srlm.trap_construction(0.4, 3, 3, eta=0.3)
    with pytest.raises(ValueError, match="rest_fits"):
        srlm.trap_construction(0.3, 2, 4, eta=0.1)
    with pytest.raises(ValueError, match="length must be >= 2"):
        srlm.trap_construction(0.3, 3, 1)
    with pytest.raises(TypeError, match="policy must implement srlm.Policy"):
        srlm.greedy_decode(np.eye(2))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tie_break must be one of"):
        srlm.greedy_decode(srlm.trap_construction(0.3, 2, 3), "random")
    with pytest.raises(ValueError, match="tie_break must be one of"):
        srlm.trap_construction(0.3, 2, 3, tie_break="first")
    with pytest.raises(ValueError, match="index must lie in 0..7"):
        srlm.index_to_tokens(np.array([8]), 2, 3)


def test_sizes_are_checked_before_any_power_is_built(rng: np.random.Generator) -> None:
    """These used to hang computing v**length on Python integers."""
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match="exceeds the limit"):
        srlm.trap_construction(0.2, 3, 10**9)
    with pytest.raises(ValueError, match="exceeds the limit"):
        srlm.index_to_tokens(np.array([0]), 3, 10**12)
    with pytest.raises(ValueError, match="exceeds the limit"):
        srlm.AutoregressivePolicy.random(rng, 1, 3, 10**12)
    with pytest.raises(ValueError, match="exceeds the limit"):
        srlm.sequence_index(np.zeros((1, 40), dtype=int), 3)  # 3**40 > int64: used to overflow silently
    assert srlm.trap_conditions(0.2, 0.1, 3, 10**12)["trap_continuations_small"]
    assert time.perf_counter() - start < 1.0


def test_greedy_decode_dispatches_on_the_protocol(rng: np.random.Generator) -> None:
    tab = srlm.TabularPolicy.from_probs(np.array([[0.4, 0.4, 0.2]]))
    assert srlm.greedy_decode(tab)[0][0] == 0
    assert srlm.greedy_decode(tab, "largest")[0][0] == 1
    ar = srlm.AutoregressivePolicy.random(rng, 3, 2, 3)
    tok, lp = srlm.greedy_decode(ar, prompts=[2, 0])
    full_tok, full_lp = srlm.greedy_decode(ar)
    np.testing.assert_array_equal(tok, full_tok[[2, 0]])
    np.testing.assert_array_equal(lp, full_lp[[2, 0]])

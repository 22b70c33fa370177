"""Property/fuzz tests over the policy API (protocol, families, Gibbs step, sampling, decoding, sizes).

Outcome classes asserted for arbitrary input: a finite result (log-probabilities may be ``-inf``
only where a probability is exactly zero), or :class:`ValueError`/:class:`TypeError` naming the
argument, or a documented :class:`OverflowError` — never NaN, never another exception, never a
hang (sizes are capped, so every call returns at once).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import srlm
from srlm.ngram import NGramModel, Vocabulary

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

floats_any = st.floats(allow_nan=True, allow_infinity=True, width=64)
scalars = st.one_of(
    floats_any,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.complex_numbers(max_magnitude=2.0),
)
sizes = st.one_of(st.integers(min_value=-3, max_value=6), st.sampled_from([10**6, 10**9, 10**12, 2**70]), scalars)


def _outcome(fn: Callable[[], Any], names: tuple[str, ...]) -> Any:
    """Call ``fn``; return its result, or None after an accepted exception (which must name an argument)."""
    try:
        return fn()
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        assert any(n in msg for n in names), f"message names none of {names}: {msg!r}"
        return None
    except OverflowError as exc:
        assert "overflow" in str(exc).lower()
        return None


def _no_nan(x: Any) -> None:
    if isinstance(x, (float, np.floating)):
        assert not np.isnan(x)
    elif isinstance(x, np.ndarray) and x.dtype.kind == "f":
        assert not np.any(np.isnan(x))
        assert not np.any(x == np.inf)
    elif isinstance(x, tuple):
        for v in x:
            _no_nan(v)


def _families() -> list[srlm.Policy]:
    rng = np.random.default_rng(0)
    model = NGramModel.fit("abcabbacbcaabcbcbacbaccab" * 2, 2, 0.5, Vocabulary("abc"))
    return [
        srlm.TabularPolicy.random(rng, 3, 4),
        srlm.LinearSoftmaxPolicy(srlm.random_unit_features(rng, 3, 4, 2), np.array([3.0, -1.0])),
        srlm.AutoregressivePolicy.random(rng, 3, 2, 3),
        model.policy(3),
    ]


FAMILIES = _families()

tables = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    elements=st.one_of(st.floats(-1, 2), st.sampled_from([0.0, 1.0, np.nan, np.inf, -np.inf, 0.25, 0.5])),
)


@FUZZ
@given(probs=st.one_of(tables, scalars))
def test_from_probs_and_sampling(probs: Any) -> None:
    pol = _outcome(lambda: srlm.TabularPolicy.from_probs(probs), ("probs",))
    if pol is not None:
        _no_nan(pol.logp)
        assert np.allclose(pol.probs.sum(axis=1), 1.0)
    draws = _outcome(lambda: srlm.sample_categorical(probs, [0, 0], np.random.default_rng(0)), ("probs", "rows"))
    if draws is not None:
        p = np.asarray(probs, dtype=float)
        assert np.all(p[0, draws] > 0)  # never a response of probability zero


@FUZZ
@given(beta=st.one_of(floats_any, st.sampled_from([1e-300, 5e-324, 1e-12, 1e300]), scalars), which=st.integers(0, 3))
def test_temper_every_family(beta: Any, which: int) -> None:
    pol = FAMILIES[which]
    new = _outcome(lambda: srlm.temper(pol, beta), ("beta",))
    if new is not None:
        y, lp = srlm.mode(new, [0, 1, 2])
        _no_nan(lp)
        assert np.all(lp <= 1e-12) and np.all(np.isfinite(lp))
        k = _outcome(lambda: srlm.condition_number(new, [0, 1, 2]), ("kappa",))
        if k is not None:
            assert 1.0 - 1e-12 <= k <= 3 * 4**3


@FUZZ
@given(prompts=st.one_of(st.lists(st.integers(-3, 12), max_size=5), scalars, tables), which=st.integers(0, 3))
def test_prompts_every_family(prompts: Any, which: int) -> None:
    pol = FAMILIES[which]
    names = ("prompts", "init")
    got = _outcome(lambda: srlm.mode(pol, prompts), names)
    if got is not None:
        y, lp = got
        _no_nan(lp)
        again = srlm.log_prob(pol, prompts, y)
        np.testing.assert_allclose(again, lp, atol=1e-12)
        drawn = srlm.sample(pol, prompts, np.random.default_rng(1))
        assert np.all(np.isfinite(srlm.log_prob(pol, prompts, drawn)))
        if len(y):
            k = _outcome(lambda: srlm.condition_number(pol, prompts), ("prompts",))
            assert k is None or np.isfinite(k)
    _outcome(lambda: srlm.greedy_decode(pol, prompts=prompts), names)


@FUZZ
@given(p=st.one_of(st.floats(0, 1), scalars), vocab=sizes, length=sizes)
def test_sizes_never_hang(p: Any, vocab: Any, length: Any) -> None:
    names = ("p", "vocab", "length", "eta", "trap")
    pol = _outcome(lambda: srlm.trap_construction(p, vocab, length), names)
    if pol is not None:
        g, _ = srlm.greedy_decode(pol)
        assert not np.array_equal(g, srlm.mode(pol)[0])
    _outcome(lambda: srlm.trap_conditions(p, 0.1, vocab, length), names)
    _outcome(lambda: srlm.index_to_tokens(np.array([0, 1]), vocab, length), ("index", "vocab", "length"))
    gen = np.random.default_rng(0)
    _outcome(lambda: srlm.AutoregressivePolicy.random(gen, 1, vocab, length), names + ("n_prompts",))
    _outcome(lambda: srlm.sequence_index(np.zeros((1, 3), dtype=int), vocab), ("tokens", "vocab"))


@FUZZ
@given(
    logits=st.one_of(tables, scalars),
    beta=st.one_of(st.floats(1e-6, 1e6), scalars),
    rounds=st.one_of(st.integers(0, 10**6), scalars),
)
def test_gibbs_and_closed_form(logits: Any, beta: Any, rounds: Any) -> None:
    pol = _outcome(lambda: srlm.TabularPolicy.from_logits(logits), ("logits",))
    if pol is None:
        return
    step = _outcome(lambda: srlm.gibbs_step(pol, beta), ("beta",))
    if step is not None:
        _no_nan(step.logp)
        assert srlm.condition_number(step) <= srlm.condition_number(pol) * (1 + 1e-9)
    it = _outcome(lambda: srlm.iterate_self_rewarding(pol, beta, rounds), ("beta", "rounds"))
    if it is not None:
        _no_nan(it.logp)
    _outcome(lambda: srlm.sharpening_exponent(beta, rounds), ("beta", "rounds"))


@FUZZ
@given(probs=st.one_of(tables, scalars), order=sizes)
def test_ngram_model_validation(probs: Any, order: Any) -> None:
    voc = Vocabulary("ab")
    model = _outcome(lambda: NGramModel(voc, order, probs), ("probs", "order", "|V|"))
    if model is not None:
        lt = model.policy(2).log_trans
        assert not np.any(np.isnan(lt))


def test_fuzz_module_is_quick() -> None:
    """Guard: the examples above are capped (40 each), so the module runs in a few seconds."""
    assert FUZZ.max_examples <= 50
    pytest.importorskip("hypothesis")

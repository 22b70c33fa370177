"""The GRU policy family (srlm.neural): exact enumeration identities, best-first search, DPO gradient, training."""

from __future__ import annotations

import hashlib
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from srlm import neural
from srlm.autoregressive import index_to_tokens, sequence_index
from srlm.protocol import Policy

ROOT = pathlib.Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "notebooks" / "data" / "gru_sympy.npy"
#: SHA-256 of the committed weights file (scripts/train_neural.py prints it); the chapter checks the same value.
WEIGHTS_SHA256 = "744340a56cfe6ee5a5e7a5e2885851bfd753a66555889e57891f51c00508d3e3"


def tiny(vocab: int = 3, hidden: int = 4, length: int = 3, prompts: int = 4, seed: int = 0, scale: float = 3.0):
    params = {k: scale * v for k, v in neural.init_params(vocab, hidden, seed).items()}
    params["b_out"] = np.random.default_rng(seed + 100).normal(size=vocab)
    ctx = np.random.default_rng(seed).integers(0, vocab, (prompts, 2))
    return neural.NeuralPolicy(params, ctx, length)


@pytest.mark.parametrize(("vocab", "length"), [(2, 1), (3, 3), (4, 4), (5, 3)])
def test_probabilities_sum_to_one_and_match_log_prob(vocab: int, length: int) -> None:
    pol = tiny(vocab, 5, length, seed=vocab)
    lp = pol.all_log_probs()
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0, rtol=0, atol=1e-12)
    toks = index_to_tokens(np.arange(vocab**length), vocab, length)
    for i in range(pol.n_prompts):
        ids = np.full(toks.shape[0], i)
        np.testing.assert_allclose(pol.log_prob(ids, toks), lp[i], rtol=0, atol=1e-12)


def test_protocol_and_lazy_import() -> None:
    assert isinstance(tiny(), Policy)
    code = "import sys, srlm; assert 'jax' not in sys.modules, 'import srlm imported jax'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("seed", range(6))
def test_best_first_equals_enumeration(seed: int) -> None:
    vocab, length = (3, 4) if seed % 2 else (5, 3)
    pol = tiny(vocab, 4, length, prompts=5, seed=seed, scale=1.0 + seed)
    lp = pol.all_log_probs()
    res = pol.top_k(None, 3)
    assert not res.budget_hit.any()
    assert np.all(res.expansions <= length * np.exp(-res.logp[:, 2]))  # work bound L / pi(y^(k))
    order = np.argsort(-lp, axis=1, kind="stable")[:, :3]
    np.testing.assert_allclose(res.logp, np.take_along_axis(lp, order, axis=1), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(sequence_index(res.tokens.reshape(-1, length), vocab).reshape(5, 3), order)
    tok, lp1 = pol.mode()
    np.testing.assert_array_equal(tok, res.tokens[:, 0])
    np.testing.assert_allclose(pol.margin(), lp.max(axis=1) - np.take_along_axis(lp, order[:, 1:2], 1)[:, 0],
                               atol=1e-12)
    # independent check: the srlm enumeration code on the exact per-prefix tables of the same law
    tab = pol.temper(1e12)  # (1 + 1e-12) * log pi: same order, tables built from the enumeration
    np.testing.assert_array_equal(tab.mode()[0], tok)
    np.testing.assert_allclose(pol.condition_number(np.arange(5)), np.mean(np.exp(-lp.max(axis=1))), rtol=1e-12)


def test_best_first_budget_is_reported() -> None:
    pol = tiny(4, 4, 4, prompts=3, seed=1, scale=0.3)  # nearly flat: many expansions needed
    res = pol.top_k(None, 1, budget=2)
    assert res.budget_hit.all() and np.all(res.expansions == 2) and np.all(res.tokens == -1)
    lp = pol.all_log_probs()
    assert np.all(res.upper >= lp.max(axis=1) - 1e-12)  # the frontier bounds every unfound response
    with pytest.raises(RuntimeError, match="budget"):
        pol.mode(budget=2)


def test_greedy_tie_breaks_and_sampling_law() -> None:
    pol = tiny(3, 4, 2, prompts=2, seed=3, scale=1.0)
    g, glp = pol.greedy()
    np.testing.assert_allclose(glp, pol.log_prob(np.arange(2), g), atol=1e-12)
    flat = pol.replace(params={**pol.params, "w_out": np.zeros_like(pol.params["w_out"]),
                               "b_out": np.zeros(3)})  # uniform: every step is a 3-way tie
    assert np.all(flat.greedy()[0] == 0) and np.all(flat.greedy(tie_break="largest")[0] == 2)
    with pytest.raises(ValueError, match="tie_break"):
        pol.greedy(tie_break="random")
    y = pol.sample(np.zeros(40_000, dtype=np.intp), np.random.default_rng(0))
    freq = np.bincount(sequence_index(y, 3), minlength=9) / y.shape[0]
    np.testing.assert_allclose(freq, np.exp(pol.all_log_probs()[0]), atol=0.01)


def test_temper_is_the_exact_step() -> None:
    pol = tiny(3, 4, 3, seed=2)
    lp = pol.all_log_probs()
    for beta in (0.5, 1.0, 3.0):
        s = 1 + 1 / beta
        want = s * lp - np.log(np.exp(s * lp).sum(axis=1, keepdims=True))
        np.testing.assert_allclose(pol.temper(beta).sequence_logprobs(), want, atol=1e-12)


def test_jax_log_prob_matches_numpy() -> None:
    jax = pytest.importorskip("jax")
    del jax
    import jax.numpy as jnp

    pol = tiny(4, 5, 3, prompts=3, seed=4)
    y = pol.sample(np.array([0, 1, 2, 2, 1]), np.random.default_rng(1))
    rows = np.array([0, 1, 2, 2, 1])
    got = neural._jax_log_prob(neural._jax_params(pol.params), jnp.asarray(pol.contexts), jnp.asarray(rows),
                               jnp.asarray(y))
    np.testing.assert_allclose(np.asarray(got), pol.log_prob(rows, y), atol=1e-12)


def test_dpo_gradient_matches_finite_differences() -> None:
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    pol = tiny(3, 4, 3, prompts=3, seed=5, scale=1.0)
    g = np.random.default_rng(2)
    rows = g.integers(0, 3, 6)
    y1, y2 = pol.sample(rows, g), pol.sample(rows, g)
    ref = pol.log_prob(rows, y1) - pol.log_prob(rows, y2)
    moved = {k: v + 0.3 * g.normal(size=v.shape) for k, v in pol.params.items()}  # away from the reference
    label = ref + g.normal(size=6)
    args = (jnp.asarray(pol.contexts), jnp.asarray(rows), jnp.asarray(y1), jnp.asarray(y2), jnp.asarray(ref),
            jnp.asarray(label), 0.7)
    loss = jax.jit(neural.dpo_loss)
    grad = jax.jit(jax.grad(neural.dpo_loss))(neural._jax_params(moved), *args)
    # the gradient formula of the docstring, from per-response gradients of log pi
    lp_grad = jax.jit(jax.jacrev(lambda p, y: neural._jax_log_prob(p, args[0], args[1], y)))
    p_j = neural._jax_params(moved)
    res = 0.7 * (neural._jax_log_prob(p_j, args[0], args[1], args[2]) - neural._jax_log_prob(p_j, args[0], args[1],
                                                                                              args[3]) - ref) - label
    j1, j2 = lp_grad(p_j, args[2]), lp_grad(p_j, args[3])
    for name in neural.PARAM_NAMES:
        formula = 2 * 0.7 / 6 * np.tensordot(np.asarray(res), np.asarray(j1[name]) - np.asarray(j2[name]), axes=1)
        # compiled (fused) and op-by-op XLA kernels of tanh/exp differ at ~1e-9 relative: not a formula error
        np.testing.assert_allclose(np.asarray(grad[name]), formula, rtol=1e-6, atol=1e-9)
        flat = moved[name].ravel()
        for idx in np.random.default_rng(7).choice(flat.size, min(2, flat.size), replace=False):
            eps = 1e-6
            plus, minus = flat.copy(), flat.copy()
            plus[idx] += eps
            minus[idx] -= eps
            f = [float(loss(neural._jax_params({**moved, name: v.reshape(moved[name].shape)}), *args))
                 for v in (plus, minus)]
            fd = (f[0] - f[1]) / (2 * eps)
            assert abs(fd - float(np.asarray(grad[name]).ravel()[idx])) < 1e-6 * max(1.0, abs(fd))


def test_dpo_step_reduces_the_loss_and_is_deterministic() -> None:
    pytest.importorskip("jax")
    pol = tiny(3, 4, 2, prompts=3, seed=6, scale=1.0)
    a = neural.dpo_step(pol, None, 20, 1.0, np.random.default_rng(0), steps=30, learning_rate=1e-2)
    b = neural.dpo_step(pol, None, 20, 1.0, np.random.default_rng(0), steps=30, learning_rate=1e-2)
    assert a.losses[-1] < 0.2 * a.losses[0]
    np.testing.assert_allclose(a.losses[0], np.mean(((1 + 1.0) * a.reward_diff - a.reward_diff) ** 2), rtol=1e-12)
    for k in neural.PARAM_NAMES:
        np.testing.assert_array_equal(a.policy.params[k], b.policy.params[k])


def test_flatten_roundtrip_and_weights_file(tmp_path: pathlib.Path) -> None:
    pol = tiny(4, 3, 2)
    vec = neural.flatten_params(pol.params)
    back = neural.unflatten_params(vec, 4, 3)
    for k in neural.PARAM_NAMES:
        np.testing.assert_array_equal(back[k], pol.params[k])
    data = neural.weights_bytes(np.stack([vec, 2 * vec]))
    assert data == neural.weights_bytes(np.stack([vec, 2 * vec]))  # deterministic bytes
    path = tmp_path / "w.npy"
    path.write_bytes(data)
    np.testing.assert_array_equal(neural.load_weights(path, hashlib.sha256(data).hexdigest())[1], 2 * vec)
    with pytest.raises(ValueError, match="sha256"):
        neural.load_weights(path, "0" * 64)


def test_committed_weights_hash() -> None:
    w = neural.load_weights(WEIGHTS, WEIGHTS_SHA256)
    assert WEIGHTS.stat().st_size <= 1_000_000 and w.shape[0] >= 5
    for row in w:
        neural.unflatten_params(row, 28, 64)


def test_training_script_reproduces_in_process_run(tmp_path: pathlib.Path) -> None:
    """The script, on a reduced setting (3 steps, one seed), writes exactly what an in-process run gives."""
    pytest.importorskip("jax")
    out = tmp_path / "w.npy"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_neural.py"), "--steps", "3", "--seeds", "1",
                           "--out", str(out)], check=True, capture_output=True, text=True)
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import train_neural
    finally:
        sys.path.pop(0)
    vecs, curves = train_neural.train_all((1,), 3)
    data = neural.weights_bytes(vecs)
    assert proc.stdout.strip() == hashlib.sha256(data).hexdigest()
    np.testing.assert_array_equal(np.load(out), vecs)
    assert curves.shape == (1, 3) and np.all(np.isfinite(curves))


def test_bad_input() -> None:
    pol = tiny()
    with pytest.raises(TypeError, match="params"):
        neural.NeuralPolicy({"w_x": np.zeros((2, 3))}, pol.contexts, 2)
    with pytest.raises(ValueError, match="length"):
        neural.NeuralPolicy(pol.params, pol.contexts, 0)
    with pytest.raises(TypeError, match="contexts"):
        neural.NeuralPolicy(pol.params, pol.contexts.astype(float), 2)
    with pytest.raises(ValueError, match="contexts"):
        neural.NeuralPolicy(pol.params, pol.contexts + 10, 2)
    with pytest.raises(ValueError, match="weights"):
        neural.NeuralPolicy(pol.params, pol.contexts, 2, weights=np.ones(pol.n_prompts))
    with pytest.raises(ValueError, match="prompts"):
        pol.log_prob(np.array([pol.n_prompts]), np.zeros((1, 3), dtype=int))
    with pytest.raises(ValueError, match="responses"):
        pol.log_prob(np.array([0]), np.zeros((1, 2), dtype=int))
    with pytest.raises(TypeError, match="responses"):
        pol.log_prob(np.array([0]), np.zeros((1, 3)))
    with pytest.raises(TypeError, match="rng"):
        pol.sample(np.array([0]), 0)
    with pytest.raises(ValueError, match="k"):
        pol.top_k(None, 0)
    with pytest.raises(ValueError, match="budget"):
        pol.top_k(None, 1, budget=0)
    with pytest.raises(ValueError, match="beta"):
        pol.temper(0.0)
    with pytest.raises(ValueError, match="enumeration limit"):
        pol.replace(length=40).all_log_probs()
    with pytest.raises(ValueError, match="vector"):
        neural.unflatten_params(np.zeros(3), 3, 4)
    with pytest.raises(ValueError, match="n"):
        neural.dpo_step(pol, None, 0, 1.0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="policy"):
        neural.dpo_step("pi", None, 5, 1.0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="ids"):
        neural.train_base(np.zeros(10), vocab=3, hidden=2, seed=0, steps=1)
    with pytest.raises(ValueError, match="ids"):
        neural.train_base(np.array([0, 5] * 50), vocab=3, hidden=2, seed=0, steps=1)

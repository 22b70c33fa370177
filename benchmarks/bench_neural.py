"""Benchmark: Chapter 11's GRU policy (srlm.neural).

1. Exact mode by best-first search over prefixes against enumerating all |V|^L responses, on the
   trained model (V = 28, L = 4: 614 656 responses per prompt). Asserts the same modes and
   log-probabilities; prints the speed ratio of this run.
2. One gradient-descent step of the square-loss DPO fit (as in the chapter), JIT-compiled against
   the same step run op by op (jax.jit off). Asserts the same parameters after a few steps; prints
   the ratio of this run.

Run: PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_neural.py (one run each; wall-clock ratios
depend on the machine and its load).
"""

from __future__ import annotations

import pathlib
import time

import numpy as np

from srlm import neural
from srlm.ngram import Vocabulary, normalise_text
from srlm.text import docstring_corpus

ROOT = pathlib.Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "notebooks" / "data" / "gru_sympy.npy"


def main() -> None:
    params = neural.unflatten_params(np.load(WEIGHTS)[0], 28, 64)
    corpus = docstring_corpus("sympy")
    held = [normalise_text(doc) for j, (_, doc) in enumerate(corpus) if j % 10 == 0]
    held = [h for h in held if len(h) > 40]
    g = np.random.default_rng(0)
    voc = Vocabulary()
    ctx = np.stack([voc.encode(held[i][p : p + 24]) for i in g.integers(0, len(held), 8)
                    for p in [int(g.integers(0, len(held[i]) - 24))]])
    pol = neural.NeuralPolicy(params, ctx, 4)

    t0 = time.perf_counter()
    res = pol.top_k(None, 1)
    t_search = time.perf_counter() - t0
    t0 = time.perf_counter()
    lp = pol.all_log_probs()
    best = np.argmax(lp, axis=1)
    t_enum = time.perf_counter() - t0
    from srlm.autoregressive import sequence_index

    assert np.array_equal(sequence_index(res.tokens[:, 0], 28), best)
    err = float(np.max(np.abs(res.logp[:, 0] - lp[np.arange(8), best])))
    assert err < 1e-12
    print(f"exact mode, 8 prompts, 28^4 = {28**4} responses each: best-first {t_search * 1e3:.0f} ms "
          f"({res.expansions.mean():.0f} expansions per prompt), enumeration {t_enum * 1e3:.0f} ms, "
          f"speed ratio {t_enum / t_search:.0f}x; same modes, max |log-prob difference| {err:.1e}")

    times = {}
    fits = {}
    for jit in (True, False):
        kw = dict(learning_rate=0.03, optimizer="gd", jit=jit)
        neural.dpo_step(pol, None, 64, 1.0, np.random.default_rng(0), steps=1, **kw)  # compile / warm up
        t0 = time.perf_counter()
        fits[jit] = neural.dpo_step(pol, None, 64, 1.0, np.random.default_rng(0), steps=5, **kw)
        times[jit] = (time.perf_counter() - t0) / 5
    diff = max(float(np.max(np.abs(fits[True].policy.params[k] - fits[False].policy.params[k])))
               for k in neural.PARAM_NAMES)
    assert diff < 1e-9
    print(f"DPO gradient step (64 pairs, L = 4, 24-character prompts): jit {times[True] * 1e3:.1f} ms, "
          f"op by op {times[False] * 1e3:.0f} ms, speed ratio {times[False] / times[True]:.0f}x; "
          f"max |parameter difference| after 5 steps {diff:.1e}")


if __name__ == "__main__":
    main()

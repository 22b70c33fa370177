"""Benchmark: the exact sequence-level self-rewarding step by dynamic programming against brute force.

The backward recursion (`MarkovPolicy.temper`) against enumerating all |V|^L sequences,
raising their probabilities to the power 1 + 1/beta and renormalising, on a tiny
vocabulary where enumeration is possible. Asserts both give the same distribution and
prints the speed ratio measured in this run.
"""

from __future__ import annotations

import itertools

import numpy as np
from _timing import best_of

from srlm.ngram import NGramModel, Vocabulary


def main() -> None:
    rng = np.random.default_rng(3)
    vocab = Vocabulary("abcd")
    text = "".join(rng.choice(list("abcd"), size=20_000, p=[0.4, 0.3, 0.2, 0.1]))
    model = NGramModel.fit(text, order=3, smoothing=0.5, vocab=vocab)
    length, beta = 9, 1.0
    policy = model.policy(length)
    seqs = np.array(list(itertools.product(range(vocab.size), repeat=length)))
    init = np.arange(model.n_states)

    def brute() -> np.ndarray:
        out = []
        for q in init:
            lp = policy.sequence_logprob(np.full(len(seqs), q), seqs)
            t = (1 + 1 / beta) * lp
            out.append(t - np.log(np.sum(np.exp(t - t.max()))) - t.max())
        return np.array(out)

    def exact_dp() -> object:
        return policy.temper(beta)

    dp = policy.temper(beta)
    via_dp = np.array([dp.sequence_logprob(np.full(len(seqs), q), seqs) for q in init])
    err = float(np.max(np.abs(via_dp - brute())))
    assert err < 1e-9, f"DP and enumeration differ by {err}"
    t_dp = best_of(exact_dp, 20)
    t_brute = best_of(brute, 3)
    print(f"exact step on {vocab.size}^{length} = {len(seqs)} sequences x {len(init)} prompts (states)")
    print(
        f"    backward recursion {t_dp * 1e3:.2f} ms, enumeration {t_brute * 1e3:.0f} ms, "
        f"speed ratio {t_brute / t_dp:.0f}x; max |log-prob difference| {err:.1e}"
    )


if __name__ == "__main__":
    main()

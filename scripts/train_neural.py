"""Train Chapter 11's base GRU language models and write their weights (deterministic).

    PYTHONHASHSEED=0 .venv/bin/python scripts/train_neural.py            # writes notebooks/data/gru_sympy.npy

The corpus is Chapter 10's: the docstrings of the pinned sympy, lower-cased and reduced to the
28-character alphabet of :mod:`srlm.ngram`, every tenth docstring held out.  One model per seed in
``SEEDS`` (same settings, different initialisation and batches) is trained by Adam on next-character
cross-entropy (:func:`srlm.neural.train_base`), and the parameter vectors are stored as one float64
``.npy`` array of shape ``(len(SEEDS), n_params)``.  The script prints the file's SHA-256, which the
chapter checks before using the weights; ``tests/test_neural.py`` re-runs a reduced setting of this
script and compares it with an in-process run.
"""

from __future__ import annotations

import argparse
import hashlib
import pathlib
import sys
import time

import numpy as np

from srlm.neural import flatten_params, train_base, weights_bytes
from srlm.ngram import Vocabulary, normalise_text
from srlm.text import corpus_sha256, docstring_corpus

SEEDS = (0, 1, 2, 3, 4)
HIDDEN, STEPS, BATCH, WINDOW, LEARNING_RATE = 64, 3000, 64, 64, 3e-3
OUT = pathlib.Path(__file__).resolve().parent.parent / "notebooks" / "data" / "gru_sympy.npy"


def training_ids() -> np.ndarray:
    """Token ids of Chapter 10's training text (docstrings j with j % 10 != 0)."""
    corpus = docstring_corpus("sympy")
    text = normalise_text(" ".join(doc for j, (_, doc) in enumerate(corpus) if j % 10))
    return Vocabulary().encode(text)


def train_all(seeds: tuple[int, ...], steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Parameter vectors ``(len(seeds), n_params)`` and loss curves ``(len(seeds), steps)``."""
    ids = training_ids()
    vecs, curves = [], []
    for s in seeds:
        t0 = time.perf_counter()
        params, losses = train_base(ids, vocab=Vocabulary().size, hidden=HIDDEN, seed=s, steps=steps, batch=BATCH,
                                    window=WINDOW, learning_rate=LEARNING_RATE)
        vecs.append(flatten_params(params))
        curves.append(losses)
        print(f"seed {s}: final loss (mean of last 100 steps) {losses[-100:].mean():.4f} nats/char "
              f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return np.stack(vecs), np.stack(curves)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    ap.add_argument("--out", type=pathlib.Path, default=OUT)
    args = ap.parse_args(argv)
    print(f"corpus sha256 {corpus_sha256(docstring_corpus('sympy'))}", file=sys.stderr)
    vecs, _ = train_all(tuple(args.seeds), args.steps)
    data = weights_bytes(vecs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(hashlib.sha256(data).hexdigest())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

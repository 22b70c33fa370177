r"""Small autoregressive policies given by per-prefix conditional tables.

A response is a sequence :math:`y = (y_1, \dots, y_L) \in V^L` and

.. math::

    \pi(y \mid x) = \prod_{l=1}^{L} \pi(y_l \mid x, y_{<l}).

The model stores one table per position: ``tables[l]`` has shape
``(prompts, |V|**l, |V|)`` and row ``k`` is the next-token distribution after the
prefix whose base-:math:`|V|` digits (first token most significant) spell ``k``.
Sequences are indexed the same way, so ``sequence_logprobs()[x, k]`` is the
log-probability of the sequence with index ``k``.  Everything is exact and
vectorised over prompts; sizes grow like :math:`|V|^L`, so this is for small
models (``|V|**L`` up to about a million).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from srlm._validate import (
    check_generator,
    check_in_interval,
    check_int,
    check_positive,
    check_probability_table,
    check_probability_vector,
)
from srlm.policies import TabularPolicy

__all__ = ["AutoregressivePolicy", "MAX_SEQUENCES", "sequence_index"]

#: Largest number of sequences :math:`|V|^L` the enumerating methods accept.
MAX_SEQUENCES = 2**22


@dataclass(frozen=True)
class AutoregressivePolicy:
    r"""An autoregressive policy over :math:`V^L` for each of several prompts.

    Parameters
    ----------
    tables
        Sequence of ``L`` arrays; ``tables[l]`` has shape ``(prompts, V**l, V)``
        with rows that are probability vectors (sum to one within ``1e-9``).
    weights
        Prompt distribution, shape ``(prompts,)``.
    """

    tables: tuple[NDArray[np.float64], ...]
    weights: NDArray[np.float64]

    def __post_init__(self) -> None:
        if isinstance(self.tables, np.ndarray) or not isinstance(self.tables, Sequence) or len(self.tables) == 0:
            raise TypeError("tables must be a non-empty sequence of arrays, one per position")
        first = np.asarray(self.tables[0])
        if first.ndim != 3 or first.shape[1] != 1:
            raise ValueError(f"tables[0] must have shape (prompts, 1, V), got {first.shape}")
        n_prompts, _, vocab = first.shape
        if vocab < 2:
            raise ValueError(f"the vocabulary needs at least 2 tokens, got {vocab}")
        checked = []
        for pos, tab in enumerate(self.tables):
            arr = np.asarray(tab, dtype=np.float64)
            want = (n_prompts, vocab**pos, vocab)
            if arr.shape != want:
                raise ValueError(f"tables[{pos}] must have shape {want}, got {arr.shape}")
            flat = check_probability_table(arr.reshape(-1, vocab), f"tables[{pos}]")
            out = flat.reshape(want).copy()
            out.flags.writeable = False
            checked.append(out)
        w = check_probability_vector(self.weights, "weights")
        if w.shape[0] != n_prompts:
            raise ValueError(f"weights has {w.shape[0]} entries but the tables have {n_prompts} prompts")
        w = w.copy()
        w.flags.writeable = False
        object.__setattr__(self, "tables", tuple(checked))
        object.__setattr__(self, "weights", w)

    # ---------------------------------------------------------------- builders
    @classmethod
    def random(
        cls,
        rng: np.random.Generator,
        n_prompts: int,
        vocab: int,
        length: int,
        concentration: float = 1.0,
        max_prob: float | None = None,
    ) -> AutoregressivePolicy:
        r"""Random conditionals: Dirichlet(``concentration``) rows, optionally capped.

        With ``max_prob`` :math:`= \alpha \in [1/|V|, 1]` each row ``d`` is mixed with the
        uniform row, :math:`(1-\lambda) u + \lambda d` with the largest
        :math:`\lambda \in [0, 1]` such that no entry exceeds :math:`\alpha` — a model in
        which every next-token probability is at most :math:`\alpha` (paper Remark 4.2).
        Prompts are uniform.
        """
        gen = check_generator(rng)
        xs = check_int(n_prompts, "n_prompts", minimum=1)
        v = check_int(vocab, "vocab", minimum=2)
        ell = check_int(length, "length", minimum=1)
        conc = check_positive(concentration, "concentration")
        _check_size(v, ell)
        cap = (
            None
            if max_prob is None
            else check_in_interval(max_prob, "max_prob", 1.0 / v, 1.0, closed_low=True, closed_high=True)
        )
        tables = []
        for pos in range(ell):
            d = gen.dirichlet(np.full(v, conc), size=(xs, v**pos))
            if cap is not None:
                top = d.max(axis=2, keepdims=True)
                with np.errstate(divide="ignore", invalid="ignore"):
                    lam = np.where(top > 1.0 / v, (cap - 1.0 / v) / (top - 1.0 / v), 1.0)
                lam = np.clip(lam, 0.0, 1.0)
                d = (1.0 - lam) / v + lam * d
                d /= d.sum(axis=2, keepdims=True)
            tables.append(d)
        return cls(tuple(tables), np.full(xs, 1.0 / xs))

    # -------------------------------------------------------------- properties
    @property
    def n_prompts(self) -> int:
        """Number of prompts."""
        return int(self.tables[0].shape[0])

    @property
    def vocab(self) -> int:
        """Vocabulary size :math:`|V|`."""
        return int(self.tables[0].shape[2])

    @property
    def length(self) -> int:
        """Response length :math:`L`."""
        return len(self.tables)

    def max_conditional(self) -> float:
        r"""The largest next-token probability anywhere, :math:`\max_{x, l, y_{<l}, v} \pi(v \mid x, y_{<l})`."""
        return float(max(t.max() for t in self.tables))

    # ------------------------------------------------------------------ exact
    def sequence_logprobs(self) -> NDArray[np.float64]:
        r"""All :math:`\log \pi(y \mid x)`, shape ``(prompts, V**L)`` (exhaustive enumeration)."""
        out = np.zeros((self.n_prompts, 1))
        with np.errstate(divide="ignore"):
            for tab in self.tables:
                out = (out[:, :, None] + np.log(tab)).reshape(self.n_prompts, -1)
        return out

    def mode_logprobs(self) -> NDArray[np.float64]:
        r""":math:`\max_y \log \pi(y \mid x)` by backward max-product recursion over the prefix tree.

        :math:`b_L \equiv 0`, :math:`b_l(y_{<l+1}) = \max_v [\log\pi(v \mid y_{\le l}) + b_{l+1}(y_{\le l} v)]`.
        """
        best = np.zeros((self.n_prompts, self.vocab**self.length))
        with np.errstate(divide="ignore"):
            for pos in range(self.length - 1, -1, -1):
                shaped = best.reshape(self.n_prompts, self.vocab**pos, self.vocab)
                best = (np.log(self.tables[pos]) + shaped).max(axis=2)
        out: NDArray[np.float64] = best[:, 0]
        return out

    def to_tabular(self) -> TabularPolicy:
        """The same policy as a :class:`TabularPolicy` over the ``V**L`` sequences."""
        return TabularPolicy(self.sequence_logprobs(), self.weights)


def _check_size(vocab: int, length: int) -> None:
    if vocab**length > MAX_SEQUENCES:
        raise ValueError(f"vocab**length = {vocab}**{length} exceeds the enumeration limit {MAX_SEQUENCES}")


def sequence_index(tokens: ArrayLike, vocab: int) -> NDArray[np.intp]:
    """Index of each token sequence (rows of ``tokens``) in base ``vocab``, first token most significant."""
    v = check_int(vocab, "vocab", minimum=2)
    t = np.asarray(tokens)
    if t.dtype == bool or not np.issubdtype(t.dtype, np.integer) or t.ndim not in (1, 2) or t.shape[-1] == 0:
        raise ValueError("tokens must be a non-empty 1-d or 2-d integer array (one sequence per row)")
    if t.min() < 0 or t.max() >= v:
        raise ValueError(f"tokens must lie in 0..{v - 1}")
    weights = v ** np.arange(t.shape[-1] - 1, -1, -1)
    out: NDArray[np.intp] = (t * weights).sum(axis=-1).astype(np.intp)
    return out

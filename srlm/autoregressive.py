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
from scipy.special import logsumexp

from srlm._validate import (
    as_float_array,
    check_generator,
    check_in_interval,
    check_int,
    check_positive,
    check_probability_table,
    check_probability_vector,
    check_size_power,
)
from srlm.policies import TabularPolicy
from srlm.protocol import check_beta, check_prompts, check_rng, check_tie_break

__all__ = ["MAX_SEQUENCES", "AutoregressivePolicy", "index_to_tokens", "sequence_index"]

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
        first = as_float_array(self.tables[0], "tables[0]")
        if first.ndim != 3 or first.shape[1] != 1:
            raise ValueError(f"tables[0] must have shape (prompts, 1, V), got {first.shape}")
        n_prompts, _, vocab = first.shape
        if vocab < 2:
            raise ValueError(f"the vocabulary needs at least 2 tokens, got {vocab}")
        check_size_power(vocab, len(self.tables), MAX_SEQUENCES, "V**L (the number of sequences)")
        checked = []
        for pos, tab in enumerate(self.tables):
            arr = as_float_array(tab, f"tables[{pos}]")
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
        if xs * v**ell > MAX_SEQUENCES:
            raise ValueError(f"n_prompts * vocab**length = {xs * v**ell} exceeds the limit {MAX_SEQUENCES}")
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
        r""":math:`\max_y \log \pi(y \mid x)` by backward max-product recursion over the prefix tree (:meth:`mode`).

        :math:`b_L \equiv 0`, :math:`b_l(y_{<l+1}) = \max_v [\log\pi(v \mid y_{\le l}) + b_{l+1}(y_{\le l} v)]`.
        """
        return self.mode()[1]

    def to_tabular(self) -> TabularPolicy:
        """The same policy as a :class:`TabularPolicy` over the ``V**L`` sequences."""
        return TabularPolicy(self.sequence_logprobs(), self.weights)

    # ------------------------------------------------------------ the protocol (srlm.Policy)
    def _tokens(self, responses: ArrayLike, m: int) -> NDArray[np.intp]:
        y = np.asarray(responses) if not isinstance(responses, (str, bytes)) else None
        if y is None or y.dtype == bool or not (np.issubdtype(y.dtype, np.integer) or y.size == 0):
            raise TypeError("responses must be a 2-d integer array of tokens, one row per prompt")
        if y.shape != (m, self.length):
            raise ValueError(f"responses must have shape ({m}, {self.length}), got {y.shape}")
        if y.size and (y.min() < 0 or y.max() >= self.vocab):
            raise ValueError(f"responses must have tokens in 0..{self.vocab - 1}")
        return y.astype(np.intp)

    def log_prob(self, prompts: ArrayLike, responses: ArrayLike) -> NDArray[np.float64]:
        r""":math:`\log\pi(y_i \mid x_i) = \sum_l \log\pi(y_{i,l} \mid x_i, y_{i,<l})`; ``responses`` ``(m, L)``."""
        x = check_prompts(prompts, self.n_prompts)
        y = self._tokens(responses, x.size)
        out = np.zeros(x.size)
        prefix = np.zeros(x.size, dtype=np.intp)
        with np.errstate(divide="ignore"):
            for pos, tab in enumerate(self.tables):
                out += np.log(tab[x, prefix, y[:, pos]])
                prefix = prefix * self.vocab + y[:, pos]
        return out

    def mode(self, prompts: ArrayLike | None = None) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        r"""The exact mode by backward max-product recursion (as :meth:`mode_logprobs`) and its log-probability.

        Ties go to the lexicographically smallest sequence (smallest sequence index).
        """
        x = check_prompts(prompts, self.n_prompts)
        choices = []
        with np.errstate(divide="ignore"):
            best = np.zeros((x.size, self.vocab**self.length))
            for pos in range(self.length - 1, -1, -1):
                shaped = best.reshape(x.size, self.vocab**pos, self.vocab)
                cand = np.log(self.tables[pos][x]) + shaped
                arg = np.argmax(cand, axis=2)
                choices.append(arg)
                best = np.take_along_axis(cand, arg[:, :, None], axis=2)[:, :, 0]
        choices.reverse()
        tokens = np.zeros((x.size, self.length), dtype=np.intp)
        prefix = np.zeros(x.size, dtype=np.intp)
        rows = np.arange(x.size)
        for pos in range(self.length):
            tokens[:, pos] = choices[pos][rows, prefix]
            prefix = prefix * self.vocab + tokens[:, pos]
        out: NDArray[np.float64] = best[:, 0]
        return tokens, out

    def greedy(
        self, prompts: ArrayLike | None = None, tie_break: str = "smallest"
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        r"""Greedy sequences and their log-probabilities, vectorised over prompts.

        At each step the most likely next token is taken; exact ties go to the smallest token index
        (``tie_break="smallest"``) or to the largest (``tie_break="largest"``).
        """
        x = check_prompts(prompts, self.n_prompts)
        rule = check_tie_break(tie_break)
        rows = np.arange(x.size)
        prefix = np.zeros(x.size, dtype=np.intp)
        tokens = np.zeros((x.size, self.length), dtype=np.intp)
        logprob = np.zeros(x.size)
        for pos, tab in enumerate(self.tables):
            cond = tab[x, prefix]
            nxt = np.argmax(cond, axis=1) if rule == "smallest" else self.vocab - 1 - np.argmax(cond[:, ::-1], axis=1)
            tokens[:, pos] = nxt
            with np.errstate(divide="ignore"):
                logprob += np.log(cond[rows, nxt])
            prefix = prefix * self.vocab + nxt
        return tokens, logprob

    def temper(self, beta: float) -> AutoregressivePolicy:
        r"""The exact sequence-level step :math:`\pi^{s}/Z`, :math:`s = 1 + 1/\beta`, by backward recursion.

        :math:`\log b_L \equiv 0`, :math:`\log b_l(y_{<l}) = \operatorname{logsumexp}_v [s \log\pi(v|y_{<l}) +
        \log b_{l+1}(y_{<l} v)]`, and the new conditional is the summand minus :math:`\log b_l`.  Each summand row
        is shifted by its maximum before scaling (accurate at tiny :math:`\beta`).
        """
        s = 1.0 + 1.0 / check_beta(beta)
        with np.errstate(divide="ignore"):
            worst = max(float(np.max(np.abs(np.log(t[t > 0])))) for t in self.tables)
        if s * worst * self.length > 1e300:
            raise OverflowError(f"beta = {beta!r} is too small: (1 + 1/beta) log pi overflows float64")
        log_b = np.zeros((self.n_prompts, self.vocab**self.length))
        new: list[NDArray[np.float64]] = []
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for pos in range(self.length - 1, -1, -1):
                logt = np.log(self.tables[pos])
                d = logt - logt.max(axis=2, keepdims=True)
                scaled = np.where(d == 0.0, 0.0, s * d)
                joint = scaled + log_b.reshape(self.n_prompts, self.vocab**pos, self.vocab)
                lse = logsumexp(joint, axis=2)
                log_b = lse + s * logt.max(axis=2)
                new.append(np.exp(joint - lse[:, :, None]))
        new.reverse()
        return AutoregressivePolicy(tuple(new), self.weights)

    def sample(self, prompts: ArrayLike, rng: np.random.Generator) -> NDArray[np.intp]:
        """One sequence per listed prompt, token by token (:func:`srlm.sampling.sample_categorical`)."""
        from srlm.sampling import sample_categorical

        x = check_prompts(prompts, self.n_prompts)
        gen = check_rng(rng)
        tokens = np.zeros((x.size, self.length), dtype=np.intp)
        prefix = np.zeros(x.size, dtype=np.intp)
        for pos, tab in enumerate(self.tables):
            flat = tab.reshape(-1, self.vocab)
            tokens[:, pos] = sample_categorical(flat, x * self.vocab**pos + prefix, gen)
            prefix = prefix * self.vocab + tokens[:, pos]
        return tokens

    def condition_number(self, prompts: ArrayLike | None = None, weights: ArrayLike | None = None) -> float:
        r""":math:`\kappa` (paper Eq. 5); see :func:`srlm.condition.condition_number`."""
        from srlm.condition import condition_number

        return condition_number(self, prompts, weights)


def _check_size(vocab: int, length: int) -> None:
    check_size_power(vocab, length, MAX_SEQUENCES, "vocab**length")


#: Largest sequence index representable (int64).
_INDEX_MAX = int(np.iinfo(np.int64).max)


def sequence_index(tokens: ArrayLike, vocab: int) -> NDArray[np.intp]:
    """Index of each token sequence (rows of ``tokens``) in base ``vocab``, first token most significant.

    Raises :class:`ValueError` when ``vocab**L`` exceeds the int64 range (the index would overflow).
    Inverse: :func:`index_to_tokens`.
    """
    v = check_int(vocab, "vocab", minimum=2)
    if tokens is None or isinstance(tokens, (str, bytes)):
        raise TypeError(f"tokens must be an integer array, got {type(tokens).__name__}")
    t = np.asarray(tokens)
    if t.dtype == bool or not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"tokens must be an integer array, got dtype {t.dtype}")
    if t.ndim not in (1, 2) or t.shape[-1] == 0 or t.size == 0:
        raise ValueError("tokens must be a non-empty 1-d or 2-d integer array (one sequence per row)")
    if t.min() < 0 or t.max() >= v:
        raise ValueError(f"tokens must lie in 0..{v - 1} (vocab = {v})")
    check_size_power(v, t.shape[-1], _INDEX_MAX, f"vocab**length for tokens of length {t.shape[-1]}")
    weights = np.array([v**k for k in range(t.shape[-1] - 1, -1, -1)], dtype=np.int64)
    out: NDArray[np.intp] = (t.astype(np.int64) * weights).sum(axis=-1).astype(np.intp)
    return out


def index_to_tokens(index: ArrayLike, vocab: int, length: int) -> NDArray[np.intp]:
    """Base-``vocab`` digits of sequence indices (first token most significant), shape ``(..., length)``.

    Inverse of :func:`sequence_index`; ``vocab**length`` must fit in int64.
    """
    v = check_int(vocab, "vocab", minimum=2)
    ell = check_int(length, "length", minimum=1)
    size = check_size_power(v, ell, _INDEX_MAX, "vocab**length (sequence indices)")
    if index is None or isinstance(index, (str, bytes)):
        raise TypeError(f"index must be an integer array, got {type(index).__name__}")
    idx = np.asarray(index)
    if idx.dtype == bool or not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"index must be an integer array, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise ValueError(f"index must lie in 0..{size - 1}")
    powers = np.array([v**k for k in range(ell - 1, -1, -1)], dtype=np.int64)
    out: NDArray[np.intp] = ((idx.astype(np.int64)[..., None] // powers) % v).astype(np.intp)
    return out

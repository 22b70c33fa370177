r"""Character n-gram language models as autoregressive policies, with exact sequence-level dynamics.

An order-:math:`k` model predicts a character from the previous :math:`k-1`, its *state*.
Given a prompt (whose last :math:`k-1` characters fix the initial state), a response
:math:`y \in V^L` has probability :math:`\pi(y|x) = \prod_l T_l(y_l \mid s_l)` with the state
updated deterministically, :math:`s_{l+1} = (s_l, y_l)` minus its oldest character.

The self-rewarding step :math:`\pi^{s}/Z` (:math:`s = 1 + 1/\beta`) is again such a model, with
*time-dependent* transitions obtained by a backward recursion:

.. math::

    b_L &\equiv 1, \\
    b_l(q) &= \sum_v T_l(v|q)^s\, b_{l+1}(q v), \\
    T'_l(v|q) &= T_l(v|q)^s\, b_{l+1}(q v) / b_l(q),

so the population dynamics of paper §3 (:math:`\pi_{t+1} \propto \pi_t^{1+1/\beta}`) run exactly
on sequences without enumerating :math:`|V|^L` responses.  The mode is found by Viterbi
(max-product) recursion, the :math:`k` most likely sequences by its :math:`k`-best variant (which
gives the margin :math:`\gamma(x) = \log\pi(\hat y|x) - \max_{y \ne \hat y}\log\pi(y|x)` of paper
Def. 5.2).  All recursions run in log space and are vectorised over states (hence over prompts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix

from srlm._validate import (
    as_float_array,
    check_generator,
    check_int,
    check_log_probabilities,
    check_positive,
    check_probability_table,
    check_scalar,
    check_size_power,
)
from srlm.protocol import check_beta, check_prompts, check_rng, check_tie_break
from srlm.text import DEFAULT_ALPHABET, normalise_text

__all__ = ["MarkovPolicy", "NGramModel", "Vocabulary", "normalise_text"]

#: Largest table (entries) an n-gram model or Markov policy may allocate.
MAX_TABLE_ENTRIES = 2**26


@dataclass(frozen=True)
class Vocabulary:
    """A fixed character alphabet with encoding that rejects unknown characters."""

    alphabet: str = DEFAULT_ALPHABET

    def __post_init__(self) -> None:
        if (
            not isinstance(self.alphabet, str)
            or len(self.alphabet) < 2
            or len(set(self.alphabet)) != len(self.alphabet)
        ):
            raise ValueError("alphabet must be a string of at least 2 distinct characters")

    @property
    def size(self) -> int:
        """Number of tokens :math:`|V|`."""
        return len(self.alphabet)

    def encode(self, text: str) -> NDArray[np.intp]:
        """Token ids of ``text``; :class:`ValueError` names the first unknown character."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        index = {ch: i for i, ch in enumerate(self.alphabet)}
        bad = next((ch for ch in text if ch not in index), None)
        if bad is not None:
            raise ValueError(f"text contains the unknown token {bad!r} (alphabet {self.alphabet!r})")
        return np.array([index[ch] for ch in text], dtype=np.intp)

    def decode(self, ids: ArrayLike) -> str:
        """Characters of token ids."""
        if ids is None or isinstance(ids, (str, bytes)):
            raise TypeError(f"ids must be an integer array, got {type(ids).__name__}")
        arr = np.asarray(ids)
        if arr.size and (arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"ids must be an integer array, got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= self.size):
            raise ValueError(f"ids must lie in 0..{self.size - 1}")
        return "".join(self.alphabet[int(i)] for i in arr.ravel())


@dataclass(frozen=True)
class NGramModel:
    r"""An order-``k`` character model with add-:math:`\alpha` smoothing.

    ``probs[q, v]`` is :math:`P(v \mid q)` for the state :math:`q` (the previous :math:`k-1` tokens as a
    base-:math:`|V|` number, oldest most significant); shape ``(|V|**(k-1), |V|)``.
    """

    vocab: Vocabulary
    order: int
    probs: NDArray[np.float64]

    def __post_init__(self) -> None:
        if not isinstance(self.vocab, Vocabulary):
            raise TypeError(f"vocab must be a Vocabulary, got {type(self.vocab).__name__}")
        k = check_int(self.order, "order", minimum=2)
        n_states = check_size_power(self.vocab.size, k - 1, MAX_TABLE_ENTRIES // self.vocab.size, "|V|**(order-1)")
        probs = check_probability_table(self.probs, "probs")
        if probs.shape != (n_states, self.vocab.size):
            raise ValueError(f"probs must have shape ({n_states}, {self.vocab.size}), got {probs.shape}")
        probs = probs.copy()
        probs.flags.writeable = False
        object.__setattr__(self, "order", k)
        object.__setattr__(self, "probs", probs)

    @classmethod
    def fit(cls, text: str, order: int, smoothing: float = 0.1, vocab: Vocabulary | None = None) -> NGramModel:
        r""":math:`P(v|q) = (c(q, v) + \alpha)/(c(q) + \alpha|V|)` from the counts of ``text`` (already normalised).

        Raises :class:`ValueError` for an empty corpus, an order below 2, a non-positive
        smoothing, or characters outside the vocabulary.
        """
        voc = vocab if vocab is not None else Vocabulary()
        if not isinstance(voc, Vocabulary):
            raise TypeError(f"vocab must be a Vocabulary, got {type(voc).__name__}")
        k = check_int(order, "order", minimum=2)
        a = check_positive(smoothing, "smoothing")
        check_size_power(voc.size, k - 1, MAX_TABLE_ENTRIES // voc.size, "|V|**(order-1)")
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        if len(text) < k:
            raise ValueError(f"text must be a corpus of at least order = {k} characters (got an empty or short one)")
        ids = voc.encode(text)
        v = voc.size
        n_states = v ** (k - 1)
        state = np.zeros(ids.size - k + 1, dtype=np.int64)
        for j in range(k - 1):
            state = state * v + ids[j : ids.size - k + 1 + j]
        nxt = ids[k - 1 :]
        counts = np.bincount(state * v + nxt, minlength=n_states * v).reshape(n_states, v).astype(np.float64)
        probs = (counts + a) / (counts.sum(axis=1, keepdims=True) + a * v)
        return cls(voc, k, probs)

    @property
    def n_states(self) -> int:
        """Number of states :math:`|V|^{k-1}`."""
        return int(self.probs.shape[0])

    def state_of(self, context: str) -> int:
        """The state given by the last ``k - 1`` characters of ``context`` (which must be that long)."""
        ids = self.vocab.encode(context)
        if ids.size < self.order - 1:
            raise ValueError(f"context must have at least {self.order - 1} characters")
        q = 0
        for t in ids[ids.size - (self.order - 1) :]:
            q = q * self.vocab.size + int(t)
        return q

    def policy(self, length: int) -> MarkovPolicy:
        """The autoregressive policy over responses of ``length`` tokens (the same table at every step)."""
        ell = check_int(length, "length", minimum=1)
        if ell * self.probs.size > MAX_TABLE_ENTRIES:
            raise ValueError(f"length * |V|**order = {ell * self.probs.size} exceeds the limit {MAX_TABLE_ENTRIES}")
        logt = np.log(self.probs)
        return MarkovPolicy(np.broadcast_to(logt, (ell, *logt.shape)).copy(), self.vocab.size)


@dataclass(frozen=True)
class MarkovPolicy:
    r"""A time-inhomogeneous Markov policy: ``log_trans[l, q, v]`` :math:`= \log T_l(v \mid q)`.

    States are base-:math:`|V|` numbers of the previous tokens; the next state after token
    :math:`v` is :math:`(q|V| + v) \bmod S` with :math:`S` the number of states.
    """

    log_trans: NDArray[np.float64]
    vocab_size: int

    def __post_init__(self) -> None:
        lt = as_float_array(self.log_trans, "log_trans")
        v = check_int(self.vocab_size, "vocab_size", minimum=2)
        if lt.ndim != 3 or lt.shape[2] != v or lt.shape[1] % v != 0:
            raise ValueError(
                f"log_trans must have shape (L, S, V) with V = vocab_size = {v} dividing S, got {lt.shape}"
            )
        lt = check_log_probabilities(lt, "log_trans", ndim=3).copy()
        lt.flags.writeable = False
        object.__setattr__(self, "log_trans", lt)
        object.__setattr__(self, "vocab_size", v)

    @property
    def length(self) -> int:
        """Response length :math:`L`."""
        return int(self.log_trans.shape[0])

    @property
    def n_states(self) -> int:
        """Number of states :math:`S`."""
        return int(self.log_trans.shape[1])

    def _next(self, q: NDArray[np.int64], v: NDArray[np.int64]) -> NDArray[np.int64]:
        out: NDArray[np.int64] = (q * self.vocab_size + v) % self.n_states
        return out

    @property
    def n_prompts(self) -> int:
        """Prompt ids of the protocol are the initial states: :math:`S` of them."""
        return self.n_states

    @property
    def weights(self) -> None:
        """A Markov policy has no prompt law of its own (pass ``prompts`` to :meth:`condition_number`)."""
        return None

    def _states(self, init: ArrayLike | None, name: str = "init") -> NDArray[np.int64]:
        return check_prompts(init, self.n_states, name).astype(np.int64)

    def sequence_logprob(self, init: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
        r""":math:`\log\pi(y|x)` for token sequences ``tokens`` ``(m, L)`` from initial states ``init`` ``(m,)``."""
        return self._sequence_logprob(init, tokens, "init", "tokens")

    def _sequence_logprob(self, init: ArrayLike, tokens: ArrayLike, iname: str, tname: str) -> NDArray[np.float64]:
        q = self._states(init, iname)
        if tokens is None or isinstance(tokens, (str, bytes)):
            raise TypeError(f"{tname} must be an integer array, got {type(tokens).__name__}")
        y = np.asarray(tokens)
        if y.size and (y.dtype == bool or not np.issubdtype(y.dtype, np.integer)):
            raise TypeError(f"{tname} must be an integer array, got dtype {y.dtype}")
        y = y.astype(np.int64)
        if y.shape != (q.size, self.length):
            raise ValueError(f"{tname} must have shape ({q.size}, {self.length}), got {y.shape}")
        if y.size and (y.min() < 0 or y.max() >= self.vocab_size):
            raise ValueError(f"{tname} must lie in 0..{self.vocab_size - 1}")
        out = np.zeros(q.size)
        for pos in range(self.length):
            out += self.log_trans[pos, q, y[:, pos]]
            q = self._next(q, y[:, pos])
        return out

    def log_prob(self, prompts: ArrayLike, responses: ArrayLike) -> NDArray[np.float64]:
        r"""The protocol's :math:`\log\pi(y_i \mid x_i)`: :meth:`sequence_logprob` (prompts are initial states)."""
        return self._sequence_logprob(prompts, responses, "prompts", "responses")

    def viterbi(self, init: ArrayLike | None = None) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The exact mode by Viterbi recursion from initial states ``init`` (the same as :meth:`mode`)."""
        return self._viterbi(self._states(init))

    def mode(self, prompts: ArrayLike | None = None) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The protocol's exact mode; ``prompts`` are initial states (:meth:`viterbi`)."""
        return self._viterbi(self._states(prompts, "prompts"))

    def _viterbi(self, q: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        r"""Exact mode :math:`\arg\max_y \pi(y|x)` and its log-probability by max-product dynamic programming.

        :math:`m_L \equiv 0`, :math:`m_l(q) = \max_v [\log T_l(v|q) + m_{l+1}(qv)]`, vectorised over all
        states; the sequence is recovered by following the arg-max (ties: smallest token).
        """
        nxt = self._next(np.arange(self.n_states)[:, None], np.arange(self.vocab_size)[None, :])
        best = np.zeros(self.n_states)
        choice = np.empty((self.length, self.n_states), dtype=np.int64)
        for pos in range(self.length - 1, -1, -1):
            cand = self.log_trans[pos] + best[nxt]
            choice[pos] = np.argmax(cand, axis=1)
            best = cand[np.arange(self.n_states), choice[pos]]
        logp = best[q]
        tokens = np.empty((q.size, self.length), dtype=np.int64)
        for pos in range(self.length):
            tokens[:, pos] = choice[pos, q]
            q = self._next(q, tokens[:, pos])
        return tokens, logp

    def k_best(self, init: ArrayLike, k: int = 2) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        r"""The ``k`` most likely sequences and their log-probabilities, exactly (``k``-best max-product DP).

        Let :math:`m_l^{(1)}(q) \ge \dots \ge m_l^{(k)}(q)` be the ``k`` largest suffix log-probabilities
        :math:`\sum_{j \ge l}\log T_j(y_j|s_j)` over suffixes from state :math:`q` at position :math:`l`
        (:math:`m_L^{(1)} = 0`, :math:`m_L^{(r)} = -\infty` for :math:`r > 1`).  Distinct pairs (first token
        :math:`v`, rank :math:`j` of the rest) give distinct suffixes, so

        .. math::

            \{m_l^{(r)}(q)\}_{r \le k} = \text{top-}k\,\{\log T_l(v|q) + m_{l+1}^{(j)}(qv) : v \in V, j \le k\}.

        Returns tokens of shape ``(m, k, L)`` and log-probabilities ``(m, k)``, sorted decreasingly
        (ties: smaller first token, then smaller rank).  Ranks beyond :math:`|V|^L` get
        :math:`-\infty` and token id ``-1``.  ``k = 1`` is :meth:`viterbi`.
        """
        q = self._states(init)
        kk = check_int(k, "k", minimum=1)
        if kk * self.n_states * self.vocab_size > MAX_TABLE_ENTRIES:
            raise ValueError(f"k = {kk} is too large: k * S * V exceeds the limit {MAX_TABLE_ENTRIES}")
        s_, v_ = self.n_states, self.vocab_size
        nxt = self._next(np.arange(s_)[:, None], np.arange(v_)[None, :])
        best = np.full((s_, kk), -np.inf)
        best[:, 0] = 0.0
        choice = np.empty((self.length, s_, kk), dtype=np.int64)
        for pos in range(self.length - 1, -1, -1):
            cand = (self.log_trans[pos][:, :, None] + best[nxt]).reshape(s_, v_ * kk)  # index v * k + j
            order = np.argsort(-cand, axis=1, kind="stable")[:, :kk]
            choice[pos] = order
            best = np.take_along_axis(cand, order, axis=1)
        logp = best[q]
        tokens = np.full((q.size, kk, self.length), -1, dtype=np.int64)
        state = np.repeat(q[:, None], kk, axis=1)
        rank = np.repeat(np.arange(kk)[None, :], q.size, axis=0)
        alive = np.isfinite(logp)
        for pos in range(self.length):
            c = choice[pos][state, rank]
            v, rank = c // kk, c % kk
            tokens[:, :, pos] = np.where(alive, v, -1)
            state = self._next(state, v)
        return tokens, logp

    def log_margin(self, init: ArrayLike) -> NDArray[np.float64]:
        r"""Margin :math:`\gamma(x) = \log\pi(\hat y|x) - \max_{y \ne \hat y}\log\pi(y|x)` per prompt (paper Def. 5.2).

        Exact, from the two most likely sequences (:meth:`k_best` with ``k = 2``); zero on a tie.
        """
        _, logp = self.k_best(init, 2)
        out: NDArray[np.float64] = logp[:, 0] - logp[:, 1]
        return out

    def greedy(
        self, prompts: ArrayLike | None = None, tie_break: str = "smallest"
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Greedy decoding (most likely next token; ties to the smallest or largest) and its log-probability.

        ``prompts`` are initial states.
        """
        q = self._states(prompts, "prompts")
        rule = check_tie_break(tie_break)
        tokens = np.empty((q.size, self.length), dtype=np.int64)
        logp = np.zeros(q.size)
        for pos in range(self.length):
            row = self.log_trans[pos, q]
            if rule == "smallest":
                tokens[:, pos] = np.argmax(row, axis=1)
            else:
                tokens[:, pos] = self.vocab_size - 1 - np.argmax(row[:, ::-1], axis=1)
            logp += row[np.arange(q.size), tokens[:, pos]]
            q = self._next(q, tokens[:, pos])
        return tokens, logp

    def sample(self, prompts: ArrayLike, rng: np.random.Generator) -> NDArray[np.int64]:
        """One response per initial state, sampled token by token (vectorised over prompts)."""
        from srlm.sampling import sample_categorical

        q = self._states(prompts, "prompts")
        gen = check_rng(rng)
        tokens = np.empty((q.size, self.length), dtype=np.int64)
        for pos in range(self.length):
            tokens[:, pos] = sample_categorical(np.exp(self.log_trans[pos]), q, gen)
            q = self._next(q, tokens[:, pos])
        return tokens

    def condition_number(self, prompts: ArrayLike | None = None, weights: ArrayLike | None = None) -> float:
        r""":math:`\kappa = \sum_x D(x)/\pi(\hat y(x)|x)` over prompts with initial states ``prompts``.

        The prompt law :math:`D` is uniform over the listed states unless ``weights`` is given
        (:func:`srlm.condition.condition_number`).
        """
        from srlm.condition import condition_number

        if prompts is None:
            raise ValueError("prompts must be given: a MarkovPolicy has no prompt law of its own")
        q = self._states(prompts, "prompts")
        if q.size == 0:
            raise ValueError("prompts must not be empty")
        return condition_number(self, q, weights)

    def reweight(self, log_weights: NDArray[np.float64]) -> MarkovPolicy:
        r"""The Markov policy proportional to :math:`\prod_l W_l(y_l|s_l)`, for log-weights of shape ``(L, S, V)``.

        Backward recursion: :math:`\log b_l(q) = \operatorname{logsumexp}_v[\log W_l(v|q) + \log b_{l+1}(qv)]`.
        """
        lw = as_float_array(log_weights, "log_weights")
        if lw.shape != self.log_trans.shape:
            raise ValueError(f"log_weights must have shape {self.log_trans.shape}, got {lw.shape}")
        if np.any(np.isnan(lw)) or np.any(lw == np.inf):
            raise ValueError("log_weights must not contain NaN or +inf")
        nxt = self._next(np.arange(self.n_states)[:, None], np.arange(self.vocab_size)[None, :])
        log_b = np.zeros(self.n_states)
        new = np.empty_like(lw)
        with np.errstate(invalid="ignore"):
            for pos in range(self.length - 1, -1, -1):
                joint = lw[pos] + log_b[nxt]
                top = joint.max(axis=1, keepdims=True)
                if not np.all(np.isfinite(top)):
                    raise ValueError("log_weights give a state with no positive-weight continuation")
                shifted = joint - top  # shift first: each new row is normalised to rounding
                lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                new[pos] = shifted - lse
                log_b = (top + lse)[:, 0]
        return MarkovPolicy(new, self.vocab_size)

    def temper(self, beta: float) -> MarkovPolicy:
        r"""The exact self-rewarding step :math:`\pi^{1+1/\beta}/Z` as a Markov policy.

        The log-weights :math:`s \log T_l`, :math:`s = 1 + 1/\beta`, are formed as
        :math:`s(\log T_l - \max_v \log T_l) + s \max_v \log T_l` (row maximum subtracted before
        scaling), and :meth:`reweight` shifts each row by its maximum before normalising, so the
        result is normalised to rounding even at :math:`\beta \le 10^{-8}`.
        """
        s = 1.0 + 1.0 / check_beta(beta)
        top = self.log_trans.max(axis=2, keepdims=True)
        d = self.log_trans - top
        with np.errstate(invalid="ignore", over="ignore"):
            scaled = np.where(d == 0.0, 0.0, s * d) + s * top
        finite = self.log_trans[np.isfinite(self.log_trans)]
        if s * float(np.max(np.abs(finite))) * self.length > 1e300:
            raise OverflowError(f"beta = {beta!r} is too small: (1 + 1/beta) log T overflows float64")
        return self.reweight(scaled)

    def dpo_step(
        self, init: ArrayLike, n: int, beta: float, rng: np.random.Generator, noise_scale: float = 0.0
    ) -> MarkovPolicy:
        r"""Finite-sample step: ``n`` triples, square-loss DPO on transition log-ratios, then renormalise.

        Prompts are drawn uniformly from ``init``; two responses are sampled per prompt and labelled
        with :math:`\Delta r = \log\pi(y) - \log\pi(y')` (+ Gaussian noise).  With free log-ratios
        :math:`h_l(q, v)`, :math:`\log\pi_h(y) - \log\pi(y) = \sum_l h_l(s_l, y_l)` up to normalisation,
        so the loss is linear least squares in :math:`h`; the minimum-norm solution (LSQR from 0)
        gives weights :math:`T_l e^{h_l}`, renormalised by :meth:`reweight`.  With exact labels and enough
        triples it equals :meth:`temper` (:math:`h = \log T/\beta` up to the normalisation gauge).
        """
        q0 = self._states(init)
        if q0.size == 0:
            raise ValueError("init must not be empty")
        m = check_int(n, "n", minimum=1)
        if m > MAX_TABLE_ENTRIES:
            raise ValueError(f"n must be at most {MAX_TABLE_ENTRIES}, got {m}")
        b = check_positive(beta, "beta")
        gen = check_generator(rng)
        sigma = check_scalar(noise_scale, "noise_scale")
        if sigma < 0:
            raise ValueError(f"noise_scale must be >= 0, got {sigma}")
        start = q0[gen.integers(0, q0.size, m)]
        y1, y2 = self.sample(start, gen), self.sample(start, gen)
        diff = self.sequence_logprob(start, y1) - self.sequence_logprob(start, y2)
        if sigma > 0:
            diff = diff + sigma * gen.standard_normal(m)
        design = (self._path_features(start, y1) - self._path_features(start, y2)).tocsr()
        design.eliminate_zeros()
        # The minimum-norm solution vanishes on transitions no triple uses: solve on the used columns only.
        used, local = np.unique(design.indices, return_inverse=True)
        sub = csr_matrix((b * design.data, local.ravel(), design.indptr), shape=(m, used.size))
        h = np.zeros(design.shape[1])
        if used.size:
            h[used] = _lsqr(sub, diff, atol=1e-12, btol=1e-12, iter_lim=10_000)
        return self.reweight(self.log_trans + h.reshape(self.log_trans.shape))

    def _path_features(self, init: NDArray[np.int64], tokens: NDArray[np.int64]) -> csr_matrix:
        rows, cols = [], []
        q = init.copy()
        stride = self.n_states * self.vocab_size
        for pos in range(self.length):
            rows.append(np.arange(q.size))
            cols.append(pos * stride + q * self.vocab_size + tokens[:, pos])
            q = self._next(q, tokens[:, pos])
        r, c = np.concatenate(rows), np.concatenate(cols)
        return csr_matrix((np.ones(r.size), (r, c)), shape=(init.size, self.length * stride))


def _norm(x: NDArray[np.float64]) -> float:
    """Euclidean norm by numpy's pairwise summation (no BLAS: the same bits for any thread count)."""
    return math.sqrt(float(np.add.reduce(x * x)))


def _sym_ortho(a: float, b: float) -> tuple[float, float, float]:
    """Stable Givens rotation (c, s, r) with ``c a + s b = r`` (as in SciPy's LSQR)."""
    if b == 0:
        return float(np.sign(a)), 0.0, abs(a)
    if a == 0:
        return 0.0, float(np.sign(b)), abs(b)
    if abs(b) > abs(a):
        tau = a / b
        s = float(np.sign(b)) / math.sqrt(1 + tau * tau)
        return s * tau, s, b / s
    tau = b / a
    c = float(np.sign(a)) / math.sqrt(1 + tau * tau)
    return c, c * tau, a / c


def _lsqr(a: csr_matrix, b: NDArray[np.float64], atol: float, btol: float, iter_lim: int) -> NDArray[np.float64]:
    """Minimum-norm least squares from 0 by LSQR (Paige & Saunders 1982; SciPy's algorithm, damp = 0).

    The same iteration and stopping rules as :func:`scipy.sparse.linalg.lsqr` (``conlim = 1e8``), but the
    vector norms are summed by numpy instead of BLAS ``ddot``, whose result depends on the number of
    BLAS threads: the solution is bit-for-bit independent of ``OPENBLAS_NUM_THREADS``.
    """
    eps = float(np.finfo(np.float64).eps)
    ctol = 1e-8
    at = a.T
    n = a.shape[1]
    x = np.zeros(n)
    bnorm = _norm(b)
    beta = bnorm
    u = b.copy()
    v: NDArray[np.float64]
    if beta > 0:
        u = (1 / beta) * u
        v = np.asarray(at @ u, dtype=np.float64)
        alfa = _norm(v)
    else:
        v = x.copy()
        alfa = 0.0
    if alfa > 0:
        v = (1 / alfa) * v
    w = v.copy()
    rhobar, phibar = alfa, beta
    if alfa * beta == 0:
        return x
    anorm = ddnorm = xxnorm = z = 0.0
    cs2, sn2 = -1.0, 0.0
    for _ in range(iter_lim):
        u = a @ v - alfa * u
        beta = _norm(u)
        if beta > 0:
            u = (1 / beta) * u
            anorm = math.sqrt(anorm**2 + alfa**2 + beta**2)
            v = at @ u - beta * v
            alfa = _norm(v)
            if alfa > 0:
                v = (1 / alfa) * v
        cs, sn, rho = _sym_ortho(rhobar, beta)
        theta = sn * alfa
        rhobar = -cs * alfa
        phi = cs * phibar
        phibar = sn * phibar
        tau = sn * phi
        t1, t2 = phi / rho, -theta / rho
        dk = (1 / rho) * w
        x = x + t1 * w
        w = v + t2 * w
        ddnorm = ddnorm + _norm(dk) ** 2
        delta = sn2 * rho
        gambar = -cs2 * rho
        rhs = phi - delta * z
        zbar = rhs / gambar
        xnorm = math.sqrt(xxnorm + zbar**2)
        gamma = math.sqrt(gambar**2 + theta**2)
        cs2, sn2 = gambar / gamma, theta / gamma
        z = rhs / gamma
        xxnorm = xxnorm + z**2
        acond = anorm * math.sqrt(ddnorm)
        rnorm = abs(phibar)
        arnorm = alfa * abs(tau)
        test1 = rnorm / bnorm
        test2 = arnorm / (anorm * rnorm + eps)
        test3 = 1 / (acond + eps)
        t1 = test1 / (1 + anorm * xnorm / bnorm)
        rtol = btol + atol * anorm * xnorm / bnorm
        if 1 + test3 <= 1 or 1 + test2 <= 1 or 1 + t1 <= 1 or test3 <= ctol or test2 <= atol or test1 <= rtol:
            break
    return x

r"""Character n-gram language models as autoregressive policies, with exact sequence-level dynamics.

An order-:math:`k` model predicts a character from the previous :math:`k-1`, its *state*.
Given a prompt (whose last :math:`k-1` characters fix the initial state), a response
:math:`y \in V^L` has probability :math:`\pi(y|x) = \prod_l T_l(y_l \mid s_l)` with the state
updated deterministically, :math:`s_{l+1} = (s_l, y_l)` minus its oldest character.

The self-rewarding step :math:`\pi^{s}/Z` (:math:`s = 1 + 1/\beta`) is again such a model, with
*time-dependent* transitions obtained by a backward recursion:

.. math::

    b_L \equiv 1,\qquad b_l(q) = \sum_v T_l(v|q)^s\, b_{l+1}(q v),\qquad
    T'_l(v|q) = T_l(v|q)^s\, b_{l+1}(q v) / b_l(q),

so the population dynamics of paper §3 (:math:`\pi_{t+1} \propto \pi_t^{1+1/\beta}`) run exactly
on sequences without enumerating :math:`|V|^L` responses.  The mode is found by Viterbi
(max-product) recursion, the :math:`k` most likely sequences by its :math:`k`-best variant (which
gives the margin :math:`\gamma(x) = \log\pi(\hat y|x) - \max_{y \ne \hat y}\log\pi(y|x)` of paper
Def. 5.2).  All recursions run in log space and are vectorised over states (hence over prompts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import lsqr
from scipy.special import logsumexp

from srlm._validate import check_generator, check_int, check_positive, check_scalar
from srlm.policies import check_log_probabilities

__all__ = ["Vocabulary", "NGramModel", "MarkovPolicy", "normalise_text"]

DEFAULT_ALPHABET = "abcdefghijklmnopqrstuvwxyz ."


def normalise_text(text: str, alphabet: str = DEFAULT_ALPHABET) -> str:
    """Lower-case ``text``, map characters outside ``alphabet`` to a space, collapse runs of spaces."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    allowed = set(alphabet)
    out = "".join(ch if ch in allowed else " " for ch in text.lower())
    return " ".join(out.split())


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
        arr = np.asarray(ids)
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

    @classmethod
    def fit(cls, text: str, order: int, smoothing: float = 0.1, vocab: Vocabulary | None = None) -> NGramModel:
        r""":math:`P(v|q) = (c(q, v) + \alpha)/(c(q) + \alpha|V|)` from the counts of ``text`` (already normalised).

        Raises :class:`ValueError` for an empty corpus, an order below 2, a non-positive
        smoothing, or characters outside the vocabulary.
        """
        voc = vocab if vocab is not None else Vocabulary()
        k = check_int(order, "order", minimum=2)
        a = check_positive(smoothing, "smoothing")
        if not isinstance(text, str) or len(text) < k:
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
        lt = np.asarray(self.log_trans, dtype=np.float64)
        v = check_int(self.vocab_size, "vocab_size", minimum=2)
        if lt.ndim != 3 or lt.shape[2] != v or lt.shape[1] % v != 0:
            raise ValueError(f"log_trans must have shape (L, S, V) with V = {v} dividing S, got {lt.shape}")
        object.__setattr__(self, "log_trans", check_log_probabilities(lt, "log_trans", ndim=3))

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

    def _states(self, init: ArrayLike) -> NDArray[np.int64]:
        q = np.asarray(init)
        if q.dtype == bool or not np.issubdtype(q.dtype, np.integer) or q.ndim != 1:
            raise TypeError("initial states must be a 1-d integer array")
        if q.size and (q.min() < 0 or q.max() >= self.n_states):
            raise ValueError(f"initial states must lie in 0..{self.n_states - 1}")
        return q.astype(np.int64)

    def sequence_logprob(self, init: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
        r""":math:`\log\pi(y|x)` for token sequences ``tokens`` ``(m, L)`` from initial states ``init`` ``(m,)``."""
        q = self._states(init)
        y = np.asarray(tokens, dtype=np.int64)
        if y.shape != (q.size, self.length):
            raise ValueError(f"tokens must have shape ({q.size}, {self.length}), got {y.shape}")
        if y.size and (y.min() < 0 or y.max() >= self.vocab_size):
            raise ValueError(f"tokens must lie in 0..{self.vocab_size - 1}")
        out = np.zeros(q.size)
        for pos in range(self.length):
            out += self.log_trans[pos, q, y[:, pos]]
            q = self._next(q, y[:, pos])
        return out

    def viterbi(self, init: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        r"""Exact mode :math:`\arg\max_y \pi(y|x)` and its log-probability by max-product dynamic programming.

        :math:`m_L \equiv 0`, :math:`m_l(q) = \max_v [\log T_l(v|q) + m_{l+1}(qv)]`, vectorised over all
        states; the sequence is recovered by following the arg-max (ties: smallest token).
        """
        q = self._states(init)
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

    def greedy(self, init: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Greedy decoding (most likely next token, ties to the smallest) and its log-probability."""
        q = self._states(init)
        tokens = np.empty((q.size, self.length), dtype=np.int64)
        logp = np.zeros(q.size)
        for pos in range(self.length):
            row = self.log_trans[pos, q]
            tokens[:, pos] = np.argmax(row, axis=1)
            logp += row[np.arange(q.size), tokens[:, pos]]
            q = self._next(q, tokens[:, pos])
        return tokens, logp

    def sample(self, init: ArrayLike, rng: np.random.Generator) -> NDArray[np.int64]:
        """One response per initial state, sampled token by token (vectorised over prompts)."""
        q = self._states(init)
        gen = check_generator(rng)
        tokens = np.empty((q.size, self.length), dtype=np.int64)
        for pos in range(self.length):
            cdf = np.cumsum(np.exp(self.log_trans[pos, q]), axis=1)
            u = gen.random(q.size)[:, None] * cdf[:, -1:]
            tokens[:, pos] = np.minimum((cdf <= u).sum(axis=1), self.vocab_size - 1)
            q = self._next(q, tokens[:, pos])
        return tokens

    def condition_number(self, init: ArrayLike, weights: ArrayLike | None = None) -> float:
        r""":math:`\kappa = \sum_x D(x)/\pi(\hat y(x)|x)` over prompts with initial states ``init``.

        The prompt law :math:`D` is uniform unless ``weights`` is given.
        """
        q = self._states(init)
        w = np.full(q.size, 1.0 / q.size) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != q.shape or np.any(w < 0) or abs(w.sum() - 1) > 1e-9:
            raise ValueError("weights must be a probability vector with one entry per prompt")
        _, logp = self.viterbi(q)
        with np.errstate(divide="ignore"):
            return float(np.exp(logsumexp(np.log(w) - logp)))

    def reweight(self, log_weights: NDArray[np.float64]) -> MarkovPolicy:
        r"""The Markov policy proportional to :math:`\prod_l W_l(y_l|s_l)`, for log-weights of shape ``(L, S, V)``.

        Backward recursion: :math:`\log b_l(q) = \operatorname{logsumexp}_v[\log W_l(v|q) + \log b_{l+1}(qv)]`.
        """
        lw = np.asarray(log_weights, dtype=np.float64)
        if lw.shape != self.log_trans.shape:
            raise ValueError(f"log_weights must have shape {self.log_trans.shape}, got {lw.shape}")
        if np.any(np.isnan(lw)) or np.any(lw == np.inf):
            raise ValueError("log_weights must not contain NaN or +inf")
        nxt = self._next(np.arange(self.n_states)[:, None], np.arange(self.vocab_size)[None, :])
        log_b = np.zeros(self.n_states)
        new = np.empty_like(lw)
        for pos in range(self.length - 1, -1, -1):
            joint = lw[pos] + log_b[nxt]
            log_b = logsumexp(joint, axis=1)
            new[pos] = joint - log_b[:, None]
        return MarkovPolicy(new, self.vocab_size)

    def temper(self, beta: float) -> MarkovPolicy:
        r"""The exact self-rewarding step :math:`\pi^{1+1/\beta}/Z` as a Markov policy."""
        return self.reweight((1.0 + 1.0 / check_positive(beta, "beta")) * self.log_trans)

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
        m = check_int(n, "n", minimum=1)
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
            h[used] = lsqr(sub, diff, atol=1e-12, btol=1e-12, iter_lim=10_000)[0]
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

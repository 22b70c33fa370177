r"""A small causal character GRU language model as a policy family, trained with JAX.

A response :math:`y = (y_1, \dots, y_L) \in V^L` to a prompt :math:`x = (x_1, \dots, x_P)` has probability

.. math::

    \pi_\theta(y \mid x) = \prod_{l=1}^{L} \operatorname{softmax}(W h_{P+l-1} + c)_{y_l},
    \qquad h_0 = 0,\quad h_{j} = \mathrm{GRU}_\theta(h_{j-1}, u_j),

where :math:`u = (x, y)` is the prompt followed by the response.  One GRU step is

.. math::

    z &= \operatorname{sig}(A_z u + U_z h + b_z), \\
    r &= \operatorname{sig}(A_r u + U_r h + b_r), \\
    n &= \tanh(A_n u + r \odot U_n h + b_n), \\
    h' &= (1 - z) \odot n + z \odot h,

with :math:`A u` the row of the input matrix for token :math:`u` (a one-hot input).  Why a GRU and not
a transformer: the state after a prefix is one vector, so extending a prefix by one token costs one
step whatever the prefix length (a transformer needs a key/value cache), which is what best-first search
over prefixes needs; and at this size (about 20 000 parameters) a GRU trains in seconds on a CPU.

Inference (log-probabilities, sampling, greedy decoding, exact mode by best-first search, enumeration)
runs in numpy float64; training (next-character cross-entropy, and the square-loss DPO step of the
self-rewarding loop) runs in JAX float64, with the same formulas.  JAX is imported lazily (``import srlm``
does not import it); install it with the ``neural`` extra.

Prompts and responses are 2-d integer arrays of token ids, one row per prompt (all prompts of a call have
the same length).  Every public function validates its arguments and raises :class:`ValueError` /
:class:`TypeError` naming the argument.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import importlib
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from srlm._validate import check_generator, check_int, check_positive, check_probability_vector
from srlm.autoregressive import AutoregressivePolicy
from srlm.protocol import check_prompts, check_tie_break
from srlm.sampling import sample_categorical

__all__ = [
    "PARAM_NAMES",
    "NeuralPolicy",
    "SearchResult",
    "DPOFit",
    "char_log_loss",
    "dpo_loss",
    "dpo_step",
    "flatten_params",
    "init_params",
    "load_weights",
    "train_base",
    "unflatten_params",
    "weights_bytes",
]

#: Parameter arrays of the GRU, in a fixed order (used for saving and hashing).
PARAM_NAMES = ("w_x", "w_h", "b", "w_out", "b_out")

#: Largest number of responses :math:`|V|^L` that :meth:`NeuralPolicy.all_log_probs` enumerates.
MAX_ENUMERATION = 2**21


def _jax() -> tuple[Any, Any]:
    """Import JAX with float64 enabled (lazily: ``import srlm`` must not import JAX)."""
    try:
        import jax
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("srlm.neural needs JAX: pip install 'srlm[neural]'") from exc
    config: Any = jax.config
    config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jax, jnp


# ----------------------------------------------------------------------------------------------------------------
# The model, written once for numpy and jax.numpy (``xp``)


def _sigmoid(x: Any, xp: Any) -> Any:
    return 0.5 * (1.0 + xp.tanh(0.5 * x))  # overflow-free logistic function


def _gru_step(params: dict[str, Any], h: Any, tok: Any, xp: Any) -> Any:
    hid = h.shape[-1]
    gx = params["w_x"][tok] + params["b"]
    gh = h @ params["w_h"]
    z = _sigmoid(gx[..., :hid] + gh[..., :hid], xp)
    r = _sigmoid(gx[..., hid : 2 * hid] + gh[..., hid : 2 * hid], xp)
    n = xp.tanh(gx[..., 2 * hid :] + r * gh[..., 2 * hid :])
    return (1.0 - z) * n + z * h


def _gru_expand(params: dict[str, NDArray[np.float64]], h: NDArray[np.float64]) -> NDArray[np.float64]:
    """States after each of the V tokens from states ``h`` ``(..., H)``, shape ``(..., V, H)`` (one ``h @ U`` each)."""
    hid = h.shape[-1]
    gx = params["w_x"] + params["b"]  # (V, 3H)
    gh = (h @ params["w_h"])[..., None, :]  # (..., 1, 3H)
    z = _sigmoid(gx[:, :hid] + gh[..., :hid], np)
    r = _sigmoid(gx[:, hid : 2 * hid] + gh[..., hid : 2 * hid], np)
    n = np.tanh(gx[:, 2 * hid :] + r * gh[..., 2 * hid :])
    out: NDArray[np.float64] = (1.0 - z) * n + z * h[..., None, :]
    return out


def _log_softmax_np(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    m = logits.max(axis=-1, keepdims=True)
    s = logits - m
    out: NDArray[np.float64] = s - np.log(np.exp(s).sum(axis=-1, keepdims=True))
    return out


def init_params(vocab: int, hidden: int, seed: int) -> dict[str, NDArray[np.float64]]:
    r"""Initial parameters: uniform on :math:`[-1/\sqrt H, 1/\sqrt H]` (numpy ``default_rng(seed)``), zero biases."""
    v = check_int(vocab, "vocab", minimum=2)
    hid = check_int(hidden, "hidden", minimum=1)
    s = check_int(seed, "seed", minimum=0)
    g = np.random.default_rng(s)
    a = 1.0 / np.sqrt(hid)
    return {
        "w_x": g.uniform(-a, a, (v, 3 * hid)),
        "w_h": g.uniform(-a, a, (hid, 3 * hid)),
        "b": np.zeros(3 * hid),
        "w_out": g.uniform(-a, a, (hid, v)),
        "b_out": np.zeros(v),
    }


def _check_params(params: Any) -> dict[str, NDArray[np.float64]]:
    if not isinstance(params, dict) or set(params) != set(PARAM_NAMES):
        raise TypeError(f"params must be a dict with exactly the keys {PARAM_NAMES}")
    out = {k: np.asarray(params[k], dtype=np.float64) for k in PARAM_NAMES}
    v, h3 = out["w_x"].shape if out["w_x"].ndim == 2 else (0, 0)
    hid = h3 // 3
    shapes = {"w_x": (v, 3 * hid), "w_h": (hid, 3 * hid), "b": (3 * hid,), "w_out": (hid, v), "b_out": (v,)}
    if v < 2 or hid < 1 or h3 % 3:
        raise ValueError(f"params['w_x'] must have shape (V, 3H) with V >= 2, H >= 1, got {out['w_x'].shape}")
    for k, shp in shapes.items():
        if out[k].shape != shp:
            raise ValueError(f"params[{k!r}] must have shape {shp}, got {out[k].shape}")
        if not np.all(np.isfinite(out[k])):
            raise ValueError(f"params[{k!r}] must be finite")
    return out


def flatten_params(params: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
    """All parameters as one float64 vector, in :data:`PARAM_NAMES` order (row-major)."""
    p = _check_params(params)
    return np.concatenate([p[k].ravel() for k in PARAM_NAMES])


def unflatten_params(vector: ArrayLike, vocab: int, hidden: int) -> dict[str, NDArray[np.float64]]:
    """Inverse of :func:`flatten_params` for a model with ``vocab`` tokens and ``hidden`` units."""
    v = check_int(vocab, "vocab", minimum=2)
    hid = check_int(hidden, "hidden", minimum=1)
    vec = np.asarray(vector, dtype=np.float64)
    shapes = {"w_x": (v, 3 * hid), "w_h": (hid, 3 * hid), "b": (3 * hid,), "w_out": (hid, v), "b_out": (v,)}
    total = sum(int(np.prod(s)) for s in shapes.values())
    if vec.shape != (total,):
        raise ValueError(f"vector must have shape ({total},) for vocab = {v}, hidden = {hid}, got {vec.shape}")
    out, at = {}, 0
    for k in PARAM_NAMES:
        size = int(np.prod(shapes[k]))
        out[k] = vec[at : at + size].reshape(shapes[k]).copy()
        at += size
    return _check_params(out)


def weights_bytes(vectors: ArrayLike) -> bytes:
    """Bytes of the ``.npy`` file holding parameter vectors ``(models, n_params)`` (float64; deterministic)."""
    arr = np.ascontiguousarray(np.asarray(vectors, dtype="<f8"))
    if arr.ndim != 2 or not np.all(np.isfinite(arr)):
        raise ValueError(f"vectors must be a finite 2-d array (one parameter vector per row), got shape {arr.shape}")
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def load_weights(path: Any, sha256: str) -> NDArray[np.float64]:
    """Read a weights file written from :func:`weights_bytes`, after checking the SHA-256 of its bytes."""
    if not isinstance(sha256, str) or len(sha256) != 64:
        raise TypeError("sha256 must be a 64-character hexadecimal string")
    with open(path, "rb") as f:
        data = f.read()
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        raise ValueError(f"weights file {path} has SHA-256 {got}, expected sha256 = {sha256}")
    out: NDArray[np.float64] = np.load(io.BytesIO(data), allow_pickle=False)
    return out


def char_log_loss(params: dict[str, NDArray[np.float64]], windows: ArrayLike, skip: int = 1) -> NDArray[np.float64]:
    r"""Per-window mean of :math:`-\log\pi(u_j \mid u_{<j})` over positions :math:`j \ge` ``skip`` (nats per character).

    ``windows`` ``(B, W)`` are token ids; each window starts from the zero state (numpy float64).
    """
    p = _check_params(params)
    w = _token_array(windows, "windows", p["w_x"].shape[0])
    k = check_int(skip, "skip", minimum=1)
    if k >= w.shape[1]:
        raise ValueError(f"skip must be < the window width {w.shape[1]}, got {k}")
    h = np.zeros((w.shape[0], p["w_h"].shape[0]))
    total = np.zeros(w.shape[0])
    rows = np.arange(w.shape[0])
    for j in range(w.shape[1] - 1):
        h = _gru_step(p, h, w[:, j], np)
        if j + 1 >= k:
            total -= _log_softmax_np(h @ p["w_out"] + p["b_out"])[rows, w[:, j + 1]]
    out: NDArray[np.float64] = total / (w.shape[1] - k)
    return out


# ----------------------------------------------------------------------------------------------------------------
# The policy


@dataclass(frozen=True)
class SearchResult:
    r"""Output of best-first search: the ``k`` most likely responses per prompt, certified unless the budget ran out.

    ``tokens`` ``(m, k, L)`` and ``logp`` ``(m, k)`` (decreasing; ``-1`` / ``nan`` where not found),
    ``expansions`` ``(m,)`` prefixes expanded, ``budget_hit`` ``(m,)``, and ``upper`` ``(m,)``: an upper bound
    on the log-probability of every response not returned (the best prefix left on the frontier,
    ``-inf`` when the frontier is empty).
    """

    tokens: NDArray[np.int64]
    logp: NDArray[np.float64]
    expansions: NDArray[np.int64]
    budget_hit: NDArray[np.bool_]
    upper: NDArray[np.float64]


@dataclass(frozen=True)
class NeuralPolicy:
    r"""The GRU policy :math:`\pi_\theta(\cdot \mid x)` over responses of ``length`` tokens, on a stored prompt set.

    Parameters
    ----------
    params
        ``w_x`` ``(V, 3H)``, ``w_h`` ``(H, 3H)``, ``b`` ``(3H,)``, ``w_out`` ``(H, V)``, ``b_out`` ``(V,)``.
    contexts
        Token ids of the prompts, ``(n_prompts, P)``; prompt id ``i`` is row ``i`` (srlm's policy protocol).
    length
        Response length :math:`L`.
    weights
        Prompt law over the ids, or ``None`` (then :meth:`condition_number` needs explicit prompts).
    """

    params: dict[str, NDArray[np.float64]]
    contexts: NDArray[np.int64]
    length: int
    weights: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", _check_params(self.params))
        object.__setattr__(self, "length", check_int(self.length, "length", minimum=1))
        object.__setattr__(self, "contexts", _token_array(self.contexts, "contexts", self.vocab_size))
        if self.weights is not None:
            w = check_probability_vector(self.weights, "weights")
            if w.shape[0] != self.n_prompts:
                raise ValueError(f"weights must have one entry per prompt ({self.n_prompts}), got {w.shape[0]}")
            object.__setattr__(self, "weights", w)

    @property
    def n_prompts(self) -> int:
        """Number of prompt ids."""
        return int(self.contexts.shape[0])

    @property
    def vocab_size(self) -> int:
        """Number of tokens :math:`|V|`."""
        return int(self.params["w_x"].shape[0])

    @property
    def hidden(self) -> int:
        """Hidden size :math:`H`."""
        return int(self.params["w_h"].shape[0])

    @property
    def n_params(self) -> int:
        """Number of parameters."""
        return int(sum(a.size for a in self.params.values()))

    def replace(self, **changes: Any) -> NeuralPolicy:
        """A copy with some fields changed (e.g. ``length``, ``contexts``, ``params``)."""
        fields: dict[str, Any] = {"params": self.params, "contexts": self.contexts, "length": self.length,
                                  "weights": self.weights}
        bad = set(changes) - set(fields)
        if bad:
            raise TypeError(f"unknown field(s) {sorted(bad)}")
        fields.update(changes)
        if "contexts" in changes and "weights" not in changes:
            fields["weights"] = None
        return NeuralPolicy(**fields)

    # -- prompts and responses
    def _ids(self, prompts: ArrayLike | None) -> NDArray[np.intp]:
        return check_prompts(prompts, self.n_prompts)

    def _responses(self, responses: ArrayLike, m: int) -> NDArray[np.int64]:
        y = _token_array(responses, "responses", self.vocab_size)
        if y.shape != (m, self.length):
            raise ValueError(f"responses must have shape ({m}, {self.length}), got {y.shape}")
        return y

    def encode(self, prompts: ArrayLike | None = None) -> NDArray[np.float64]:
        """Hidden state after reading each prompt, shape ``(m, H)``."""
        x = self.contexts[self._ids(prompts)]
        h = np.zeros((x.shape[0], self.hidden))
        for j in range(x.shape[1]):
            h = _gru_step(self.params, h, x[:, j], np)
        return h

    def next_log_probs(self, h: NDArray[np.float64]) -> NDArray[np.float64]:
        """Log next-token distribution from hidden states ``h`` ``(..., H)``."""
        return _log_softmax_np(h @ self.params["w_out"] + self.params["b_out"])

    # -- the protocol
    def log_prob(self, prompts: ArrayLike, responses: ArrayLike) -> NDArray[np.float64]:
        r""":math:`\log\pi(y|x)` for prompt ids ``prompts`` ``(m,)`` and responses ``(m, L)``."""
        h = self.encode(prompts)
        y = self._responses(responses, h.shape[0])
        out = np.zeros(h.shape[0])
        rows = np.arange(h.shape[0])
        for pos in range(self.length):
            out += self.next_log_probs(h)[rows, y[:, pos]]
            if pos + 1 < self.length:
                h = _gru_step(self.params, h, y[:, pos], np)
        return out

    def sample(self, prompts: ArrayLike, rng: np.random.Generator) -> NDArray[np.intp]:
        """One response per prompt id, token by token (:func:`srlm.sampling.sample_categorical` per position)."""
        gen = check_generator(rng)
        h = self.encode(prompts)
        rows = np.arange(h.shape[0])
        out = np.empty((h.shape[0], self.length), dtype=np.intp)
        for pos in range(self.length):
            out[:, pos] = sample_categorical(np.exp(self.next_log_probs(h)), rows, gen)
            h = _gru_step(self.params, h, out[:, pos], np)
        return out

    def greedy(
        self, prompts: ArrayLike | None = None, tie_break: str = "smallest"
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Greedy decoding (most likely next token; exact ties to the smallest or largest) and its log-probability."""
        rule = check_tie_break(tie_break)
        h = self.encode(prompts)
        out = np.empty((h.shape[0], self.length), dtype=np.intp)
        logp = np.zeros(h.shape[0])
        rows = np.arange(h.shape[0])
        v = self.vocab_size
        for pos in range(self.length):
            lp = self.next_log_probs(h)
            out[:, pos] = np.argmax(lp, axis=1) if rule == "smallest" else v - 1 - np.argmax(lp[:, ::-1], axis=1)
            logp += lp[rows, out[:, pos]]
            h = _gru_step(self.params, h, out[:, pos], np)
        return out, logp

    def mode(
        self, prompts: ArrayLike | None = None, budget: int = 100_000
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        r"""Exact mode :math:`\arg\max_y\pi(y|x)` and its log-probability (:meth:`top_k` with ``k = 1``).

        Raises :class:`RuntimeError` if the budget is hit on some prompt (use :meth:`top_k` to inspect).
        """
        res = self.top_k(prompts, 1, budget)
        if res.budget_hit.any():
            raise RuntimeError(f"best-first search hit budget = {budget} on {int(res.budget_hit.sum())} prompt(s)")
        return res.tokens[:, 0].astype(np.intp), res.logp[:, 0]

    def condition_number(self, prompts: ArrayLike | None = None, weights: ArrayLike | None = None) -> float:
        r""":math:`\kappa = \sum_x D(x)/\pi(\hat y(x)|x)` (:func:`srlm.condition.condition_number`)."""
        from srlm.condition import condition_number

        return condition_number(self, prompts, weights)

    def temper(self, beta: float) -> AutoregressivePolicy:
        r"""The exact self-rewarding step :math:`\pi^{1+1/\beta}/Z` on every stored prompt, by enumeration.

        The tempered law of a GRU is not a GRU, so it is returned as an
        :class:`~srlm.autoregressive.AutoregressivePolicy` (per-prefix tables, exact, with this policy's
        prompt law, uniform if it has none); only for :math:`|V|^L \le` :data:`MAX_ENUMERATION`.
        """
        b = check_positive(beta, "beta")
        lp = self.all_log_probs()
        scaled = (1.0 + 1.0 / b) * (lp - lp.max(axis=1, keepdims=True))
        return _tables_from_sequence_logprobs(scaled, self.vocab_size, self.length,
                                              self.weights if self.weights is not None
                                              else np.full(self.n_prompts, 1.0 / self.n_prompts))

    # -- exact computations beyond the protocol
    def all_log_probs(self, prompts: ArrayLike | None = None) -> NDArray[np.float64]:
        r"""Log-probabilities of all :math:`|V|^L` responses, ``(m, V**L)``, first token most significant.

        By expanding the prefix tree level by level (:math:`\sum_{l<L} |V|^l` GRU steps per prompt); refuses
        :math:`|V|^L >` :data:`MAX_ENUMERATION`.
        """
        v, ell = self.vocab_size, self.length
        if v**ell > MAX_ENUMERATION:
            raise ValueError(f"vocab_size**length = {v}**{ell} exceeds the enumeration limit {MAX_ENUMERATION}")
        h = self.encode(prompts)[:, None, :]  # (m, prefixes, H)
        lp = np.zeros((h.shape[0], 1))
        for pos in range(ell):
            step = self.next_log_probs(h)  # (m, prefixes, V)
            lp = (lp[:, :, None] + step).reshape(h.shape[0], -1)
            if pos + 1 < ell:
                h = _gru_expand(self.params, h).reshape(h.shape[0], -1, self.hidden)
        return lp

    def top_k(self, prompts: ArrayLike | None = None, k: int = 1, budget: int = 100_000) -> SearchResult:
        r"""The ``k`` most likely responses per prompt, exactly, by best-first (uniform-cost) search over prefixes.

        The frontier is a max-heap of prefixes keyed by their log-probability
        :math:`\log\pi(y_{1:l}|x) = \sum_{j \le l}\log\pi(y_j|x, y_{<j})`; each term is :math:`\le 0`, so
        extending a prefix never increases the key.  Popping a complete response whose key is the
        largest on the frontier certifies it: every response not yet popped has an ancestor on the frontier
        (the frontier always covers the unpopped part of the tree), whose key bounds its log-probability.
        The ``r``-th complete response popped is thus the ``r``-th most likely (ties: lexicographically
        smaller first).  Expanding a prefix pushes its :math:`|V|` children, except that of the complete
        children only the ``k`` best are kept (the others are beaten by ``k`` siblings).  ``budget`` caps
        the number of prefixes expanded per prompt; where it is hit, the missing ranks are ``-1`` / ``nan``
        and ``SearchResult.upper`` bounds them.
        """
        kk = check_int(k, "k", minimum=1)
        b = check_int(budget, "budget", minimum=1)
        h0 = self.encode(prompts)
        m, ell, v = h0.shape[0], self.length, self.vocab_size
        tokens = np.full((m, kk, ell), -1, dtype=np.int64)
        logp = np.full((m, kk), np.nan)
        expansions = np.zeros(m, dtype=np.int64)
        hit = np.zeros(m, dtype=bool)
        upper = np.full(m, -np.inf)
        found = np.zeros(m, dtype=np.int64)
        # one heap per prompt, entries (-log-probability, prefix, hidden state after the prefix or None);
        # the searches run in lockstep so that each round of expansions is one batched GRU step
        heaps: list[list[tuple[float, tuple[int, ...], Any]]] = [[(0.0, (), h0[i])] for i in range(m)]
        active = list(range(m))
        while active:
            todo: list[tuple[int, float, tuple[int, ...], Any]] = []
            still = []
            for i in active:
                heap = heaps[i]
                while heap and found[i] < kk and len(heap[0][1]) == ell:  # certified: pop complete responses
                    neg, prefix, _ = heapq.heappop(heap)
                    tokens[i, found[i]], logp[i, found[i]] = prefix, -neg
                    found[i] += 1
                if not heap or found[i] == kk:
                    continue
                if expansions[i] >= b:
                    hit[i] = True
                    continue
                neg, prefix, h = heapq.heappop(heap)
                expansions[i] += 1
                todo.append((i, neg, prefix, h))
                still.append(i)
            if todo:
                # a heap entry holds (parent state, last token); its own state is computed only now
                parents = [t[3] for t in todo]
                roots = [j for j, t in enumerate(todo) if not t[2]]
                hs = np.empty((len(todo), self.hidden))
                inner = [j for j, t in enumerate(todo) if t[2]]
                if roots:
                    hs[roots] = np.stack([parents[j] for j in roots])
                if inner:
                    hs[inner] = _gru_step(self.params, np.stack([parents[j][0] for j in inner]),
                                          np.array([todo[j][2][-1] for j in inner]), np)
                child = (np.array([-t[1] for t in todo])[:, None] + self.next_log_probs(hs)).tolist()
                for j, (i, _, prefix, _) in enumerate(todo):
                    row = child[j]
                    if len(prefix) + 1 < ell:
                        state = (hs[j],)
                        for c in range(v):
                            heapq.heappush(heaps[i], (-row[c], (*prefix, c), state))
                    else:  # complete children: only the kk best can be among the kk best responses
                        for c in sorted(range(v), key=lambda c: -row[c])[:kk]:
                            heapq.heappush(heaps[i], (-row[c], (*prefix, c), None))
            active = still
        for i in range(m):
            if heaps[i] and found[i] < kk:
                upper[i] = -heaps[i][0][0]
        return SearchResult(tokens, logp, expansions, hit, upper)

    def margin(self, prompts: ArrayLike | None = None, budget: int = 100_000) -> NDArray[np.float64]:
        r""":math:`\gamma(x) = \log\pi(\hat y|x) - \max_{y \ne \hat y}\log\pi(y|x)` per prompt (top-2 search)."""
        res = self.top_k(prompts, 2, budget)
        if res.budget_hit.any():
            raise RuntimeError(f"best-first search hit budget = {budget} on {int(res.budget_hit.sum())} prompt(s)")
        out: NDArray[np.float64] = res.logp[:, 0] - res.logp[:, 1]
        return out


def _token_array(value: ArrayLike, name: str, vocab: int) -> NDArray[np.int64]:
    arr = np.asarray(value)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array of token ids, got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a 2-d array with one row per prompt, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= vocab):
        raise ValueError(f"{name} must have entries in 0..{vocab - 1}")
    return arr.astype(np.int64)


def _tables_from_sequence_logprobs(
    seq_logp: NDArray[np.float64], vocab: int, length: int, weights: NDArray[np.float64]
) -> AutoregressivePolicy:
    """Per-prefix conditional tables of the normalised law proportional to ``exp(seq_logp)`` ``(m, V**L)``."""
    m = seq_logp.shape[0]
    log_b = seq_logp.reshape(m, -1)  # log mass below each prefix, deepest level first
    tables = []
    for _ in range(length):
        grouped = log_b.reshape(m, -1, vocab)
        top = grouped.max(axis=2, keepdims=True)
        log_parent = top[:, :, 0] + np.log(np.exp(grouped - top).sum(axis=2))
        tables.append(np.exp(grouped - log_parent[:, :, None]))
        log_b = log_parent
    return AutoregressivePolicy(tuple(reversed(tables)), weights)


# ----------------------------------------------------------------------------------------------------------------
# JAX: training


def _jax_params(params: dict[str, NDArray[np.float64]]) -> dict[str, Any]:
    _, jnp = _jax()
    return {k: jnp.asarray(v, dtype=jnp.float64) for k, v in params.items()}


def _jax_log_prob(params: dict[str, Any], contexts: Any, rows: Any, responses: Any) -> Any:
    r""":math:`\log\pi_\theta(y_i|x_{r_i})` in JAX, ``(m,)``, differentiable in ``params``.

    ``contexts`` ``(u, P)`` are the distinct prompts (each encoded once), ``rows`` ``(m,)`` maps each
    response ``responses[i]`` ``(m, L)`` to its prompt.
    """
    jax, jnp = _jax()

    def step(h: Any, tok: Any) -> tuple[Any, Any]:
        h2 = _gru_step(params, h, tok, jnp)
        return h2, h2

    h_prompt, _ = jax.lax.scan(step, jnp.zeros((contexts.shape[0], params["w_h"].shape[0])), contexts.T)
    h0 = h_prompt[rows]
    _, hs = jax.lax.scan(step, h0, responses[:, :-1].T)  # states after y_1 .. y_{L-1}
    hs = jnp.concatenate([h0[None], hs], axis=0)  # (L, m, H): the state that predicts y_l
    lp = jax.nn.log_softmax(hs @ params["w_out"] + params["b_out"], axis=-1)
    return jnp.take_along_axis(lp, responses.T[:, :, None], axis=2)[:, :, 0].sum(axis=0)


def _next_char_loss(params: dict[str, Any], windows: Any) -> Any:
    """Mean next-character cross-entropy (nats) over windows ``(B, W)``, predicting tokens 1..W-1."""
    jax, jnp = _jax()

    def step(h: Any, tok: Any) -> tuple[Any, Any]:
        h2 = _gru_step(params, h, tok, jnp)
        return h2, h2

    h0 = jnp.zeros((windows.shape[0], params["w_h"].shape[0]))
    _, hs = jax.lax.scan(step, h0, windows[:, :-1].T)
    lp = jax.nn.log_softmax(hs @ params["w_out"] + params["b_out"], axis=-1)
    tgt = windows[:, 1:].T
    return -jnp.take_along_axis(lp, tgt[:, :, None], axis=2).mean()


#: Optimisers of :func:`dpo_step`: Adam, or plain gradient descent (``"gd"``).
OPTIMIZERS = ("adam", "gd")


@functools.lru_cache(maxsize=16)
def _adam_update(loss_fn: Any, learning_rate: float, jit: bool, optimizer: str = "adam") -> tuple[Any, Any]:
    """One optimiser step on ``loss_fn(params, *data)``, compiled once per loss, rate and data shapes."""
    jax, _ = _jax()
    optax: Any = importlib.import_module("optax")

    opt = optax.adam(learning_rate) if optimizer == "adam" else optax.sgd(learning_rate)

    def update(p: Any, s: Any, *data: Any) -> tuple[Any, Any, Any]:
        loss, grad = jax.value_and_grad(loss_fn)(p, *data)
        upd, s2 = opt.update(grad, s, p)
        return optax.apply_updates(p, upd), s2, loss

    return (jax.jit(update) if jit else update), opt


def train_base(
    ids: ArrayLike,
    *,
    vocab: int,
    hidden: int,
    seed: int,
    steps: int,
    batch: int = 32,
    window: int = 64,
    learning_rate: float = 3e-3,
    jit: bool = True,
) -> tuple[dict[str, NDArray[np.float64]], NDArray[np.float64]]:
    r"""Train the base model by Adam on next-character cross-entropy; deterministic given its arguments.

    Each step draws ``batch`` windows of ``window`` consecutive tokens of ``ids`` at uniformly random starts
    (numpy ``default_rng([seed, 1])``); parameters start from :func:`init_params` ``(vocab, hidden, seed)``.
    Returns the parameters and the loss per step (nats per character).  ``jit=False`` runs the same update
    without compiling it (for the benchmark).
    """
    jax, jnp = _jax()

    arr = np.asarray(ids)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer) or arr.ndim != 1:
        raise TypeError("ids must be a 1-d integer array of token ids")
    w = check_int(window, "window", minimum=2)
    v = check_int(vocab, "vocab", minimum=2)
    if arr.size < w + 1 or arr.min() < 0 or arr.max() >= v:
        raise ValueError(f"ids must hold token ids in 0..{v - 1} and be longer than window = {w}")
    n_steps = check_int(steps, "steps", minimum=1)
    bsz = check_int(batch, "batch", minimum=1)
    lr = check_positive(learning_rate, "learning_rate")
    params = _jax_params(init_params(v, hidden, seed))
    upd_fn, opt = _adam_update(_next_char_loss, lr, jit)
    state = opt.init(params)
    g = np.random.default_rng([seed, 1])
    data = jnp.asarray(arr.astype(np.int64))
    losses = np.empty(n_steps)
    offsets = np.arange(w)
    for t in range(n_steps):
        starts = g.integers(0, arr.size - w, bsz)
        params, state, loss = upd_fn(params, state, data[starts[:, None] + offsets[None, :]])
        losses[t] = float(loss)
    return {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}, losses


# ----------------------------------------------------------------------------------------------------------------
# JAX: the square-loss DPO step of the self-rewarding loop


def dpo_loss(
    params: Any, contexts: Any, rows: Any, first: Any, second: Any, ref_diff: Any, reward_diff: Any, beta: Any
) -> Any:
    r"""Mean square DPO loss :math:`\frac1n\sum_i (\beta h_i - \beta h'_i - \Delta r_i)^2` (JAX, differentiable).

    :math:`h_i = \log\pi_\theta(y_i|x_i) - \log\pi_{\mathrm{ref}}(y_i|x_i)` and :math:`h'_i` the same for
    :math:`y'_i`; ``ref_diff`` is :math:`\log\pi_{\mathrm{ref}}(y_i|x_i) - \log\pi_{\mathrm{ref}}(y'_i|x_i)`
    (a constant of the fit).  Pairs ``(first[i], second[i])`` answer prompt ``contexts[rows[i]]``.  With
    :math:`\rho_i` the residual and :math:`g(y) = \nabla_\theta\log\pi_\theta(y|x_i)`, the gradient is
    :math:`\frac{2\beta}{n}\sum_i \rho_i\,(g(y_i) - g(y'_i))`.
    """
    _, jnp = _jax()
    n = first.shape[0]
    lp = _jax_log_prob(params, contexts, jnp.concatenate([rows, rows]), jnp.concatenate([first, second]))
    lp_diff = lp[:n] - lp[n:]
    res = beta * (lp_diff - ref_diff) - reward_diff
    return (res**2).mean()


@dataclass(frozen=True)
class DPOFit:
    """Result of :func:`dpo_step`: the new policy, the loss per optimisation step, the sampled data, snapshots."""

    policy: NeuralPolicy
    losses: NDArray[np.float64]
    prompts: NDArray[np.intp]
    first: NDArray[np.int64]
    second: NDArray[np.int64]
    reward_diff: NDArray[np.float64]
    snapshots: dict[int, NeuralPolicy]


def dpo_step(
    policy: NeuralPolicy,
    prompts: ArrayLike,
    n: int,
    beta: float,
    rng: np.random.Generator,
    *,
    steps: int = 100,
    learning_rate: float = 1e-2,
    checkpoints: tuple[int, ...] = (),
    optimizer: str = "adam",
    jit: bool = True,
) -> DPOFit:
    r"""One round of the self-rewarding loop on the network's parameters.

    ``n`` prompt ids are drawn uniformly (with replacement) from ``prompts``; two responses
    :math:`y, y'` are sampled from :math:`\pi_t` for each, labelled with the self-reward difference
    :math:`\Delta r = \log\pi_t(y|x) - \log\pi_t(y'|x)`, and the square DPO loss (:func:`dpo_loss`, reference
    :math:`\pi_t`, so ``ref_diff`` equals the label) is minimised by ``steps`` full-batch steps of ``optimizer``
    (Adam, or plain gradient descent ``"gd"``) starting from
    :math:`\theta_t`; the policies after the step counts in ``checkpoints`` are kept in ``DPOFit.snapshots``.
    Its zero set is :math:`\log\pi_\theta(y) - \log\pi_\theta(y') = (1 + 1/\beta)\Delta r` on every
    sampled pair: the exact step :math:`\pi_t^{1+1/\beta}/Z` restricted to the sample.
    """
    jax, jnp = _jax()

    if not isinstance(policy, NeuralPolicy):
        raise TypeError(f"policy must be a NeuralPolicy, got {type(policy).__name__}")
    ids = check_prompts(prompts, policy.n_prompts)
    if ids.size == 0:
        raise ValueError("prompts must not be empty")
    m = check_int(n, "n", minimum=1)
    b = check_positive(beta, "beta")
    gen = check_generator(rng)
    n_steps = check_int(steps, "steps", minimum=0)
    lr = check_positive(learning_rate, "learning_rate")
    x = ids[gen.integers(0, ids.size, m)]
    y1, y2 = policy.sample(x, gen), policy.sample(x, gen)
    diff = policy.log_prob(x, y1) - policy.log_prob(x, y2)
    params = _jax_params(policy.params)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    upd_fn, opt = _adam_update(dpo_loss, lr, bool(jit), optimizer)
    state = opt.init(params)
    # every stored prompt is encoded (fixed shapes: one compilation per (n_prompts, n, L))
    data = (jnp.asarray(policy.contexts), jnp.asarray(x), jnp.asarray(y1), jnp.asarray(y2),
            jnp.asarray(diff), jnp.asarray(diff), jnp.float64(b))
    marks = tuple(check_int(c, "checkpoints", minimum=0) for c in checkpoints)
    if any(c > n_steps for c in marks):
        raise ValueError(f"checkpoints must be <= steps = {n_steps}")

    def snapshot(p: Any) -> NeuralPolicy:
        return policy.replace(params={k: np.asarray(v, dtype=np.float64) for k, v in p.items()})

    snaps = {0: policy} if 0 in marks else {}
    losses = np.empty(n_steps)
    for t in range(n_steps):
        params, state, loss = upd_fn(params, state, *data)
        losses[t] = float(loss)
        if t + 1 in marks:
            snaps[t + 1] = snapshot(params)
    new = snapshot(params)
    return DPOFit(new, losses, x, y1, y2, diff, snaps)

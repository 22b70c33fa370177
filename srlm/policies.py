r"""Tabular policies :math:`\pi(y \mid x)` on finitely many prompts and responses.

A :class:`TabularPolicy` stores log-probabilities ``logp`` of shape
``(prompts, responses)`` and the prompt distribution :math:`D` as ``weights``.
Log space is the primary representation: the self-reward is
:math:`r(x, y) = \log \pi(y \mid x)` and the iterated self-rewarding step raises
probabilities to powers :math:`(1 + 1/\beta)^T` that under- or overflow in
linear space.  A zero probability is stored as ``-inf``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from srlm._validate import (
    as_float_array,
    check_finite,
    check_generator,
    check_index_array,
    check_int,
    check_log_probabilities,
    check_positive,
    check_probability_table,
    check_probability_vector,
)
from srlm.protocol import check_beta, check_prompts, check_rng, check_tie_break

__all__ = [
    "LinearSoftmaxPolicy",
    "TabularPolicy",
    "check_finite_or_neginf",
    "check_log_probabilities",
    "check_policy",
    "log_normalize",
]


def log_normalize(logits: ArrayLike, name: str = "logits") -> NDArray[np.float64]:
    r"""Row-wise log-softmax: :math:`\ell_{xy} - \log \sum_{y'} e^{\ell_{xy'}}`.

    Entries may be ``-inf`` (probability zero), but every row needs at least one
    finite entry; NaN and ``+inf`` are rejected.
    """
    arr = as_float_array(logits, name, ndim=2)
    if np.any(np.isnan(arr)) or np.any(arr == np.inf):
        raise ValueError(f"{name} must not contain NaN or +inf")
    if np.any(np.all(arr == -np.inf, axis=1)):
        raise ValueError(f"every row of {name} needs at least one finite entry")
    return _log_softmax_rows(arr)


#: Largest table (entries) :meth:`TabularPolicy.random` allocates.
MAX_RANDOM_ENTRIES = 2**26

#: Rows per block in :func:`_log_softmax_rows`, sized so a block of a wide table stays in cache.
_BLOCK_BYTES = 1 << 20


def _blocked_rows(arr: NDArray[np.float64], scale: float, subtract: bool) -> NDArray[np.float64]:
    """Row-wise log-sum-exp of ``scale * arr`` (``subtract=False``, shape ``(X, 1)``) or
    ``scale * arr`` minus it (``subtract=True``), computed block by block in cache.

    Per block it takes the row maxima of ``arr``, forms ``scale * (arr - max)`` (the maximum is
    subtracted *before* scaling, so near-ties keep their digits at large ``scale``), exponentiates
    into a scratch buffer and sums.  ``-inf`` entries contribute 0; rows must have a finite entry.
    """
    out = np.empty_like(arr) if subtract else np.empty((arr.shape[0], 1))
    rows = max(1, _BLOCK_BYTES // max(1, arr.shape[1] * arr.itemsize))
    work = np.empty((min(rows, arr.shape[0]), arr.shape[1]))
    scratch = np.empty_like(work)
    for start in range(0, arr.shape[0], rows):
        stop = min(start + rows, arr.shape[0])
        block = out[start:stop] if subtract else work[: stop - start]
        top = arr[start:stop].max(axis=1, keepdims=True)
        np.subtract(arr[start:stop], top, out=block)  # subtract the row maximum first: near-ties stay exact
        if scale != 1.0:
            with np.errstate(invalid="ignore", over="ignore"):
                np.multiply(block, scale, out=block)
            if not np.isfinite(scale):  # inf * 0 at the modes: the limit keeps them at 0
                block[np.isnan(block)] = 0.0
            top = top * scale
        tmp = scratch[: stop - start]
        np.exp(block, out=tmp)
        lse = np.log(tmp.sum(axis=1, keepdims=True))
        if subtract:
            np.subtract(block, lse, out=block)
        else:
            out[start:stop] = top + lse
    return out


def _log_softmax_rows(arr: NDArray[np.float64], scale: float = 1.0) -> NDArray[np.float64]:
    """``scale * arr`` minus its row-wise log-sum-exp (reads the table once, writes it once)."""
    return _blocked_rows(arr, scale, subtract=True)


@dataclass(frozen=True)
class TabularPolicy:
    r"""A conditional distribution :math:`\pi(y \mid x)` with a prompt law :math:`D`.

    Parameters
    ----------
    logp
        Array of shape ``(n_prompts, n_responses)``; row :math:`x` holds
        :math:`\log \pi(\cdot \mid x)` and must satisfy
        :math:`|\log\sum_y e^{\mathrm{logp}_{xy}}| \le 10^{-9}`.
    weights
        Prompt distribution :math:`D(x)`, shape ``(n_prompts,)``, non-negative,
        summing to one within ``1e-9``.

    Use :meth:`from_probs` or :meth:`from_logits` to build one.  The arrays are
    copied and made read-only.
    """

    logp: NDArray[np.float64]
    weights: NDArray[np.float64]

    def __post_init__(self) -> None:
        logp = check_log_probabilities(self.logp, "logp", ndim=2)
        weights = check_probability_vector(self.weights, "weights")
        if weights.shape[0] != logp.shape[0]:
            raise ValueError(f"weights has {weights.shape[0]} entries but logp has {logp.shape[0]} prompts")
        logp = np.minimum(logp, 0.0)  # a fresh array: clips rounding above 0
        weights = weights.copy()
        logp.flags.writeable = False
        weights.flags.writeable = False
        object.__setattr__(self, "logp", logp)
        object.__setattr__(self, "weights", weights)

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_probs(cls, probs: ArrayLike, weights: ArrayLike | None = None) -> TabularPolicy:
        """Build from a table of probabilities (rows sum to one within ``1e-9``).

        ``weights`` defaults to the uniform prompt distribution.
        """
        p = check_probability_table(probs, "probs")
        with np.errstate(divide="ignore"):
            logp = np.log(p)
        logp = _log_softmax_rows(logp)
        return cls(logp, _default_weights(weights, p.shape[0]))

    @classmethod
    def from_logits(cls, logits: ArrayLike, weights: ArrayLike | None = None) -> TabularPolicy:
        r"""Build from unnormalised logits: :math:`\pi(y|x) \propto e^{\ell_{xy}}`."""
        logp = log_normalize(logits)
        return cls(logp, _default_weights(weights, logp.shape[0]))

    @classmethod
    def random(
        cls,
        rng: np.random.Generator,
        n_prompts: int,
        n_responses: int,
        concentration: float = 1.0,
        random_weights: bool = False,
    ) -> TabularPolicy:
        r"""Rows drawn from :math:`\mathrm{Dirichlet}(\alpha, \dots, \alpha)` with :math:`\alpha` = ``concentration``.

        Small :math:`\alpha` gives peaked rows (small :math:`\kappa`), large :math:`\alpha` nearly uniform ones.
        The prompt law is uniform, or :math:`\mathrm{Dirichlet}(1, \dots, 1)` with ``random_weights``
        (drawn after the rows, from the same generator).
        """
        gen = check_generator(rng)
        xs = check_int(n_prompts, "n_prompts", minimum=1)
        ys = check_int(n_responses, "n_responses", minimum=2)
        alpha = check_positive(concentration, "concentration")
        if not isinstance(random_weights, bool):
            raise TypeError(f"random_weights must be a bool, got {type(random_weights).__name__}")
        if xs * ys > MAX_RANDOM_ENTRIES:
            raise ValueError(f"n_prompts * n_responses = {xs * ys} exceeds the limit {MAX_RANDOM_ENTRIES}")
        probs = gen.dirichlet(np.full(ys, alpha), size=xs)
        weights = gen.dirichlet(np.ones(xs)) if random_weights else None
        return cls.from_probs(probs, weights)

    # ---------------------------------------------------------------- properties
    @property
    def n_prompts(self) -> int:
        """Number of prompts :math:`|X|`."""
        return int(self.logp.shape[0])

    @property
    def n_responses(self) -> int:
        """Number of responses :math:`|Y|`."""
        return int(self.logp.shape[1])

    @property
    def probs(self) -> NDArray[np.float64]:
        r"""The table :math:`\pi(y \mid x)` (a fresh array)."""
        out: NDArray[np.float64] = np.exp(self.logp)
        return out

    def modes(self) -> NDArray[np.intp]:
        r"""The mode :math:`\hat y_\pi(x) = \arg\max_y \pi(y \mid x)` of every prompt.

        Ties are broken towards the smallest response index; see
        :meth:`has_unique_modes`.
        """
        out: NDArray[np.intp] = np.argmax(self.logp, axis=1)
        return out

    def mode_logprobs(self) -> NDArray[np.float64]:
        r""":math:`\log \pi(\hat y_\pi(x) \mid x)` for every prompt."""
        out: NDArray[np.float64] = self.logp.max(axis=1)
        return out

    def has_unique_modes(self) -> bool:
        """True when every prompt's largest probability is attained exactly once."""
        top = self.logp.max(axis=1, keepdims=True)
        return bool(np.all((self.logp == top).sum(axis=1) == 1))

    # ------------------------------------------------------------ the protocol (srlm.Policy)
    def log_prob(self, prompts: ArrayLike, responses: ArrayLike) -> NDArray[np.float64]:
        r""":math:`\log\pi(y_i \mid x_i)` for prompt ids ``prompts`` and response ids ``responses`` (both ``(m,)``)."""
        x = check_prompts(prompts, self.n_prompts)
        y = check_index_array(responses, "responses", self.n_responses)
        if y.shape != x.shape:
            raise ValueError(f"responses must have one entry per prompt ({x.size}), got {y.size}")
        out: NDArray[np.float64] = self.logp[x, y]
        return out

    def mode(self, prompts: ArrayLike | None = None) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        r"""The mode of each listed prompt (ties: smallest response id) and its log-probability."""
        return self.greedy(prompts, "smallest")

    def greedy(
        self, prompts: ArrayLike | None = None, tie_break: str = "smallest"
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """One-step greedy decoding: the mode, ties to the smallest or the largest response id."""
        x = check_prompts(prompts, self.n_prompts)
        rule = check_tie_break(tie_break)
        rows = self.logp[x]
        if rule == "smallest":
            y = np.argmax(rows, axis=1).astype(np.intp)
        else:
            y = (self.n_responses - 1 - np.argmax(rows[:, ::-1], axis=1)).astype(np.intp)
        out: NDArray[np.float64] = rows[np.arange(x.size), y]
        return y, out

    def temper(self, beta: float) -> TabularPolicy:
        r"""The exact self-rewarding step :math:`\pi^{1+1/\beta}/Z` (one fused pass; row maximum subtracted first)."""
        b = check_beta(beta)
        return self.with_logp(_log_softmax_rows(self.logp, 1.0 + 1.0 / b))

    def sample(self, prompts: ArrayLike, rng: np.random.Generator) -> NDArray[np.intp]:
        """One response id per listed prompt (inverse CDF, :func:`srlm.sampling.sample_categorical`)."""
        from srlm.sampling import sample_categorical

        x = check_prompts(prompts, self.n_prompts)
        return sample_categorical(self.probs, x, check_rng(rng))

    def condition_number(self, prompts: ArrayLike | None = None, weights: ArrayLike | None = None) -> float:
        r""":math:`\kappa` (paper Eq. 5); see :func:`srlm.condition.condition_number`."""
        from srlm.condition import condition_number

        return condition_number(self, prompts, weights)

    def with_logp(self, logp: ArrayLike) -> TabularPolicy:
        """The same prompt law with new (validated) log-probabilities."""
        arr = check_finite_or_neginf(logp, "logp")
        if arr.shape != self.logp.shape:
            raise ValueError(f"logp must have shape {self.logp.shape}, got {arr.shape}")
        return TabularPolicy(arr, self.weights)


def check_finite_or_neginf(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """A 2-d float array whose entries are finite or ``-inf``."""
    arr = as_float_array(value, name, ndim=2)
    if np.any(np.isnan(arr)) or np.any(arr == np.inf):
        raise ValueError(f"{name} must not contain NaN or +inf")
    return arr


def check_policy(policy: object, name: str = "policy") -> TabularPolicy:
    """Raise :class:`TypeError` unless ``policy`` is a :class:`TabularPolicy`."""
    if not isinstance(policy, TabularPolicy):
        raise TypeError(f"{name} must be a TabularPolicy, got {type(policy).__name__}")
    return policy


def _default_weights(weights: ArrayLike | None, n_prompts: int) -> NDArray[np.float64]:
    if weights is None:
        return np.full(n_prompts, 1.0 / n_prompts)
    return check_finite(as_float_array(weights, "weights", ndim=1), "weights")


@dataclass(frozen=True)
class LinearSoftmaxPolicy:
    r"""The linear-softmax policy :math:`\pi_\theta(y|x) \propto e^{\langle\phi(x, y), \theta\rangle}` (paper §6).

    Parameters
    ----------
    features
        :math:`\phi`, shape ``(prompts, responses, d)``, with :math:`\|\phi(x, y)\| \le 1`.
    theta
        Parameter :math:`\theta`, shape ``(d,)``, finite.
    weights
        Prompt law; uniform when ``None``.

    The class is closed under the self-rewarding step:
    :math:`\pi_\theta^{1+1/\beta}/Z = \pi_{(1+1/\beta)\theta}` (:meth:`temper`).
    """

    features: NDArray[np.float64]
    theta: NDArray[np.float64]
    weights: NDArray[np.float64] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        from srlm.linear import check_features

        phi = check_features(self.features).copy()
        th = check_finite(as_float_array(self.theta, "theta", ndim=1), "theta").copy()
        if th.shape[0] != phi.shape[2]:
            raise ValueError(f"theta has dimension {th.shape[0]}, features have d = {phi.shape[2]}")
        if phi.shape[1] < 2:
            raise ValueError(f"features need at least 2 responses per prompt, got {phi.shape[1]}")
        w = (
            np.full(phi.shape[0], 1.0 / phi.shape[0])
            if self.weights is None
            else check_probability_vector(self.weights, "weights").copy()
        )
        if w.shape[0] != phi.shape[0]:
            raise ValueError(f"weights has {w.shape[0]} entries but features have {phi.shape[0]} prompts")
        for arr in (phi, th, w):
            arr.flags.writeable = False
        object.__setattr__(self, "features", phi)
        object.__setattr__(self, "theta", th)
        object.__setattr__(self, "weights", w)

    @property
    def n_prompts(self) -> int:
        """Number of prompts."""
        return int(self.features.shape[0])

    @property
    def n_responses(self) -> int:
        """Number of responses per prompt."""
        return int(self.features.shape[1])

    def to_tabular(self) -> TabularPolicy:
        """The same policy as a :class:`TabularPolicy`."""
        from srlm.linear import linear_softmax_logp

        return TabularPolicy(linear_softmax_logp(self.features, self.theta), self.weights)

    def log_prob(self, prompts: ArrayLike, responses: ArrayLike) -> NDArray[np.float64]:
        r""":math:`\log\pi_\theta(y_i \mid x_i)`, shape ``(m,)``."""
        return self.to_tabular().log_prob(prompts, responses)

    def mode(self, prompts: ArrayLike | None = None) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The mode of each listed prompt (ties: smallest id) and its log-probability."""
        return self.to_tabular().mode(prompts)

    def greedy(
        self, prompts: ArrayLike | None = None, tie_break: str = "smallest"
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """One-step greedy decoding (the mode with the given tie-break rule)."""
        return self.to_tabular().greedy(prompts, tie_break)

    def temper(self, beta: float) -> LinearSoftmaxPolicy:
        r"""The exact self-rewarding step: :math:`\theta \mapsto (1 + 1/\beta)\theta`."""
        b = check_beta(beta)
        with np.errstate(over="ignore", invalid="ignore"):
            theta = np.where(self.theta == 0.0, 0.0, (1.0 + 1.0 / b) * self.theta)
        if not np.all(np.isfinite(theta)) or float(np.max(np.abs(theta))) * theta.size > 1e300:
            raise OverflowError(f"beta = {beta!r} is too small: (1 + 1/beta) * theta overflows float64")
        return LinearSoftmaxPolicy(self.features, theta, self.weights)

    def sample(self, prompts: ArrayLike, rng: np.random.Generator) -> NDArray[np.intp]:
        """One response id per listed prompt."""
        return self.to_tabular().sample(prompts, rng)

    def condition_number(self, prompts: ArrayLike | None = None, weights: ArrayLike | None = None) -> float:
        r""":math:`\kappa` (paper Eq. 5)."""
        from srlm.condition import condition_number

        return condition_number(self, prompts, weights)

r"""Round data of the self-rewarding loop (paper §3).

One round draws :math:`n` triples :math:`(x_i, y_i, y'_i)` with :math:`x_i \sim D` and
:math:`y_i, y'_i \sim \pi_t(\cdot \mid x_i)` independently, and labels each with the
reward difference :math:`\Delta r_i = r(x_i, y_i) - r(x_i, y'_i)` (a real number,
not a binary preference).  All randomness comes from a caller-supplied, seeded
:class:`numpy.random.Generator`.
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
    check_scalar,
)
from srlm.kl_step import reward_differences
from srlm.policies import TabularPolicy, check_finite_or_neginf, check_policy

__all__ = ["MAX_DRAWS", "RoundData", "sample_categorical", "sample_round"]

#: Largest number of triples :func:`sample_round` draws in one call.
MAX_DRAWS = 2**26


@dataclass(frozen=True)
class RoundData:
    r"""The :math:`n` labelled triples of one round.

    Attributes
    ----------
    prompts, first, second
        Integer arrays :math:`x_i, y_i, y'_i` of length :math:`n`.
    reward_diff
        Float array :math:`\Delta r_i` of length :math:`n`.
    """

    prompts: NDArray[np.intp]
    first: NDArray[np.intp]
    second: NDArray[np.intp]
    reward_diff: NDArray[np.float64]

    def __post_init__(self) -> None:
        lengths = {np.size(self.prompts), np.size(self.first), np.size(self.second), np.size(self.reward_diff)}
        if len(lengths) != 1:
            raise ValueError("prompts, first, second and reward_diff must have equal lengths")
        big = np.iinfo(np.intp).max
        for name in ("prompts", "first", "second"):
            object.__setattr__(self, name, check_index_array(getattr(self, name), name, big))
        diff = check_finite(as_float_array(self.reward_diff, "reward_diff", ndim=1), "reward_diff")
        object.__setattr__(self, "reward_diff", diff)

    @property
    def n(self) -> int:
        """Number of triples."""
        return int(self.prompts.size)

    def check_fits(self, n_prompts: int, n_responses: int) -> None:
        """Raise :class:`ValueError` if an index exceeds the given table shape."""
        if self.prompts.max() >= n_prompts:
            raise ValueError(f"data.prompts has an index >= n_prompts = {n_prompts}")
        if max(self.first.max(), self.second.max()) >= n_responses:
            raise ValueError(f"data has a response index >= n_responses = {n_responses}")


def sample_categorical(probs: ArrayLike, rows: ArrayLike, rng: np.random.Generator) -> NDArray[np.intp]:
    r"""Draw one index from each requested row of a probability table.

    Inverse-CDF sampling, vectorised: for draw :math:`i` with row :math:`x_i` and
    :math:`U_i \sim \mathrm{U}[0, 1)`, return
    :math:`\#\{y : F_{x_i}(y) \le U_i F_{x_i}(|Y|-1)\}` (at most :math:`|Y| - 1`) where
    :math:`F` is the row's cumulative sum (normalising by the last entry absorbs rounding).

    For wide rows the count is taken by one exact lexicographic sort of the table's
    cumulative sums together with the thresholds (no per-draw copy of a row); for narrow
    rows by direct comparison.  Both give the same integers: the comparisons are exact.
    """
    p = check_finite(as_float_array(probs, "probs", ndim=2), "probs")
    x = check_index_array(rows, "rows", p.shape[0])
    gen = check_generator(rng)
    if np.any(p < 0):
        raise ValueError("probs must be non-negative")
    n_rows, n_cols = p.shape
    cdf = np.cumsum(p, axis=1)  # row-wise sequential sums: the same bits as the cumsum of gathered rows
    if x.size and not np.all(cdf[x, -1] > 0):
        raise ValueError("every sampled row of probs needs positive total mass")
    u = gen.random(x.size) * cdf[x, -1]
    if x.size * n_cols <= 16 * (cdf.size + x.size):
        counts = (cdf[x] <= u[:, None]).sum(axis=1)
    else:
        counts = _count_at_most(cdf, x, u)
    out: NDArray[np.intp] = np.minimum(counts, n_cols - 1).astype(np.intp)
    return out


def _count_at_most(cdf: NDArray[np.float64], x: NDArray[np.intp], u: NDArray[np.float64]) -> NDArray[np.intp]:
    r""":math:`\#\{y : \mathrm{cdf}[x_i, y] \le u_i\}` for every draw, by one sort keyed (row, value, kind).

    Table entries sort before equal thresholds (kind 0 < 1), so ties count as :math:`\le`;
    the number of table entries before a threshold, minus :math:`x_i |Y|` (the entries of
    earlier rows), is the count.
    """
    n_rows, n_cols = cdf.shape
    values = np.concatenate([cdf.ravel(), u])
    row_key = np.concatenate([np.repeat(np.arange(n_rows), n_cols), x])
    kind = np.concatenate([np.zeros(cdf.size, dtype=np.int8), np.ones(x.size, dtype=np.int8)])
    order = np.lexsort((kind, values, row_key))
    entries_so_far = np.cumsum(kind[order] == 0)
    position = np.empty(order.size, dtype=np.intp)
    position[order] = np.arange(order.size)
    out: NDArray[np.intp] = (entries_so_far[position[cdf.size :]] - x * n_cols).astype(np.intp)
    return out


def sample_round(
    policy: TabularPolicy,
    n: int,
    rng: np.random.Generator,
    reward: ArrayLike | None = None,
    noise_scale: float = 0.0,
) -> RoundData:
    r"""Sample one round of self-rewarding data from :math:`\pi_t`.

    Parameters
    ----------
    policy
        The sampling policy :math:`\pi_t` (with its prompt law :math:`D`).
    n
        Number of triples, :math:`n \ge 1`.
    rng
        A seeded :class:`numpy.random.Generator`.
    reward
        Reward table; defaults to the self-reward :math:`\log \pi_t`.
    noise_scale
        Standard deviation :math:`\sigma \ge 0` of Gaussian noise added to each
        label (a noisy judge); ``0`` gives exact labels.
    """
    check_policy(policy)
    m = check_int(n, "n", minimum=1)
    if m > MAX_DRAWS:
        raise ValueError(f"n must be at most {MAX_DRAWS} triples per round, got {m}")
    gen = check_generator(rng)
    sigma = check_scalar(noise_scale, "noise_scale")
    if sigma < 0:
        raise ValueError(f"noise_scale must be >= 0, got {sigma}")
    r = policy.logp if reward is None else check_finite_or_neginf(reward, "reward")
    if r.shape != policy.logp.shape:
        raise ValueError(f"reward must have shape {policy.logp.shape}, got {r.shape}")
    x = gen.choice(policy.n_prompts, size=m, p=policy.weights).astype(np.intp)
    probs = policy.probs
    y = sample_categorical(probs, x, gen)
    y2 = sample_categorical(probs, x, gen)
    diff = reward_differences(r, x, y, y2)
    if sigma > 0:
        diff = diff + sigma * gen.standard_normal(m)
    return RoundData(x, y, y2, diff)

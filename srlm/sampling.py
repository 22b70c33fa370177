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

__all__ = ["RoundData", "sample_categorical", "sample_round"]


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
    :math:`\#\{y : F_{x_i}(y) \le U_i F_{x_i}(|Y|-1)\}` where :math:`F` is the row's
    cumulative sum (normalising by the last entry absorbs rounding).
    """
    p = as_float_array(probs, "probs", ndim=2)
    x = check_index_array(rows, "rows", p.shape[0])
    gen = check_generator(rng)
    cdf = np.cumsum(p[x], axis=1)
    u = gen.random(x.size)[:, None] * cdf[:, -1:]
    out: NDArray[np.intp] = np.minimum((cdf <= u).sum(axis=1), p.shape[1] - 1).astype(np.intp)
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

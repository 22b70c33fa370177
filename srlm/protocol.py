r"""One protocol for every policy family, and the module-level functions that dispatch on it.

A *policy* is a conditional law :math:`\pi(y \mid x)` over prompts :math:`x` and responses
:math:`y`.  Every family of :mod:`srlm` — :class:`~srlm.policies.TabularPolicy`,
:class:`~srlm.policies.LinearSoftmaxPolicy`, :class:`~srlm.autoregressive.AutoregressivePolicy`
and the n-gram :class:`~srlm.ngram.MarkovPolicy` — implements :class:`Policy`, so code written
against the functions below runs unchanged on any of them (and on third-party families that
implement the same members).

Conventions
-----------
prompts
    A 1-d integer array of prompt ids in ``0 .. n_prompts - 1`` (duplicates allowed); ``None``
    means every id.  A family that conditions on text stores its prompt set and maps an id to a
    context (for :class:`~srlm.ngram.MarkovPolicy` the id is the initial state).
responses
    Flat families (tabular, linear softmax): a 1-d integer array of response ids, one per prompt.
    Sequence families (autoregressive, Markov): a 2-d integer array ``(m, L)`` of token ids.
    Responses returned by :func:`mode`, :func:`~srlm.decoding.greedy_decode` and :func:`sample`
    are accepted by :func:`log_prob` for the same policy.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from srlm._validate import check_generator, check_index_array, check_positive

__all__ = [
    "TIE_BREAKS",
    "Policy",
    "check_policy_protocol",
    "check_prompts",
    "check_tie_break",
    "log_prob",
    "mode",
    "sample",
    "temper",
]

#: The deterministic tie-break rules of greedy decoding.
TIE_BREAKS = ("smallest", "largest")


@runtime_checkable
class Policy(Protocol):
    r"""What every policy family implements (see the module docstring for the conventions).

    ``weights`` is the prompt law :math:`D` over the ids, or ``None`` when the family has none
    (then :func:`~srlm.condition.condition_number` needs explicit ``prompts``).
    """

    @property
    def n_prompts(self) -> int:
        """Number of prompt ids."""
        ...

    @property
    def weights(self) -> NDArray[np.float64] | None:
        """The prompt law :math:`D` (shape ``(n_prompts,)``) or ``None``."""
        ...

    def log_prob(self, prompts: ArrayLike, responses: ArrayLike) -> NDArray[np.float64]:
        r""":math:`\log\pi(y_i \mid x_i)` per pair, shape ``(m,)`` (``-inf`` for probability zero)."""
        ...

    def mode(self, prompts: ArrayLike | None = None) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        r"""The exact mode :math:`\arg\max_y\pi(y \mid x)` (ties: smallest id) and its log-probability."""
        ...

    def greedy(
        self, prompts: ArrayLike | None = None, tie_break: str = "smallest"
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Greedy (token-by-token arg-max) decoding and its log-probability."""
        ...

    def temper(self, beta: float) -> Policy:
        r"""The exact self-rewarding step :math:`\pi^{1+1/\beta}/Z`, in the same family."""
        ...

    def sample(self, prompts: ArrayLike, rng: np.random.Generator) -> NDArray[np.intp]:
        """One response per entry of ``prompts``."""
        ...

    def condition_number(self, prompts: ArrayLike | None = None, weights: ArrayLike | None = None) -> float:
        r"""The condition number :math:`\kappa` (paper Eq. 5)."""
        ...


def check_policy_protocol(policy: object, name: str = "policy") -> Policy:
    """Raise :class:`TypeError` unless ``policy`` implements :class:`Policy`."""
    if not isinstance(policy, Policy):
        raise TypeError(
            f"{name} must implement srlm.Policy (e.g. a TabularPolicy, AutoregressivePolicy or MarkovPolicy), "
            f"got {type(policy).__name__}"
        )
    return policy


def check_prompts(prompts: ArrayLike | None, n_prompts: int, name: str = "prompts") -> NDArray[np.intp]:
    """Prompt ids as a 1-d ``intp`` array in ``0 .. n_prompts - 1``; ``None`` gives every id."""
    if prompts is None:
        return np.arange(n_prompts, dtype=np.intp)
    return check_index_array(prompts, name, n_prompts)


def check_tie_break(tie_break: object, name: str = "tie_break") -> str:
    """One of :data:`TIE_BREAKS`."""
    if not isinstance(tie_break, str):
        raise TypeError(f"{name} must be one of {TIE_BREAKS}, got {type(tie_break).__name__}")
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"{name} must be one of {TIE_BREAKS}, got {tie_break!r}")
    return tie_break


def check_beta(beta: Any, name: str = "beta") -> float:
    r"""The KL weight :math:`\beta > 0` (finite)."""
    return check_positive(beta, name)


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """A seeded :class:`numpy.random.Generator`."""
    return check_generator(rng, name)


def log_prob(policy: Policy, prompts: ArrayLike, responses: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\log\pi(y_i \mid x_i)` for each pair (prompt id, response) of any :class:`Policy`."""
    return check_policy_protocol(policy).log_prob(prompts, responses)


def mode(policy: Policy, prompts: ArrayLike | None = None) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    r"""The exact mode :math:`\hat y_\pi(x) = \arg\max_y \pi(y \mid x)` and :math:`\log\pi(\hat y \mid x)`.

    Ties go to the smallest response id (lexicographically smallest sequence).  ``prompts=None``
    means every prompt id.
    """
    return check_policy_protocol(policy).mode(prompts)


def temper(policy: Policy, beta: float) -> Policy:
    r"""The exact self-rewarding step (paper §3, Eq. 4): :math:`\pi^{1+1/\beta}/Z`, in the policy's own family.

    For sequence families the power is taken of the whole sequence probability
    :math:`\pi(y \mid x)` (exactly, by backward recursion), not of each next-token factor.
    """
    return check_policy_protocol(policy).temper(beta)


def sample(policy: Policy, prompts: ArrayLike, rng: np.random.Generator) -> NDArray[np.intp]:
    """One response of ``policy`` per entry of ``prompts`` (inverse-CDF sampling from a seeded generator)."""
    return check_policy_protocol(policy).sample(prompts, rng)

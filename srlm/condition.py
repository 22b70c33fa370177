r"""The policy condition number (paper §4, Eq. 5).

.. math:: \kappa(\pi) = \mathbb{E}_{x\sim D}\big[1/\pi(\hat y_\pi(x) \mid x)\big].


:math:`\kappa \ge 1`, with equality exactly when :math:`\pi` is deterministic on the
support of :math:`D`, and :math:`\kappa \le \mathbb{E}_x |\mathrm{supp}\, \pi(\cdot|x)|`
since the mode has probability at least one over the support size.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import logsumexp

from srlm.autoregressive import AutoregressivePolicy
from srlm.policies import TabularPolicy

__all__ = ["condition_number", "condition_number_excess", "log_condition_number", "mode_logprobs"]


def mode_logprobs(policy: TabularPolicy | AutoregressivePolicy) -> NDArray[np.float64]:
    r""":math:`\log \pi(\hat y_\pi(x) \mid x)` per prompt (exact; a DP for autoregressive policies)."""
    if isinstance(policy, TabularPolicy):
        return policy.mode_logprobs()
    if isinstance(policy, AutoregressivePolicy):
        return policy.mode_logprobs()
    raise TypeError(f"policy must be a TabularPolicy or AutoregressivePolicy, got {type(policy).__name__}")


def log_condition_number(policy: TabularPolicy | AutoregressivePolicy) -> float:
    r""":math:`\log \kappa(\pi) = \log \sum_x D(x)\, e^{-\log \pi(\hat y(x) \mid x)}`, computed stably."""
    modes = mode_logprobs(policy)
    with np.errstate(divide="ignore"):
        logw = np.log(policy.weights)
    return float(logsumexp(logw - modes))


def condition_number(policy: TabularPolicy | AutoregressivePolicy) -> float:
    r"""The condition number :math:`\kappa(\pi) = \sum_x D(x) / \pi(\hat y_\pi(x) \mid x)`.

    Raises
    ------
    ValueError
        If :math:`\kappa` exceeds the float range (use :func:`log_condition_number`).
    """
    log_k = log_condition_number(policy)
    if log_k > np.log(np.finfo(np.float64).max):
        raise ValueError(f"kappa overflows a float (log kappa = {log_k:.6g}); use log_condition_number")
    return float(np.exp(log_k))


def condition_number_excess(policy: TabularPolicy) -> float:
    r""":math:`\kappa(\pi) - 1 = \sum_x D(x) \sum_{y \ne \hat y(x)} \pi(y|x)/\pi(\hat y(x)|x)`, accurate when tiny.

    Subtracting 1 from :func:`condition_number` loses all digits once
    :math:`\kappa - 1 < 10^{-16}`; this sums the ratios directly from log-probabilities.
    """
    if not isinstance(policy, TabularPolicy):
        raise TypeError(f"policy must be a TabularPolicy, got {type(policy).__name__}")
    top = policy.logp.max(axis=1, keepdims=True)
    ratios = np.exp(policy.logp - top)
    ratios[np.arange(policy.n_prompts), policy.modes()] = 0.0
    return float(np.dot(policy.weights, ratios.sum(axis=1)))

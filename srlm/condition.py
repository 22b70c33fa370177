r"""The policy condition number (paper §4, Eq. 5).

.. math:: \kappa(\pi) = \mathbb{E}_{x\sim D}\big[1/\pi(\hat y_\pi(x) \mid x)\big].


:math:`\kappa \ge 1`, with equality exactly when :math:`\pi` is deterministic on the
support of :math:`D`, and :math:`\kappa \le \mathbb{E}_x |\mathrm{supp}\, \pi(\cdot|x)|`
since the mode has probability at least one over the support size.

The one implementation: :func:`log_condition_number_from_mode_logprobs` (from modal
log-probabilities, batched over leading axes); every policy family and every other module
computes :math:`\kappa` through it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp

from srlm._validate import as_float_array, check_probability_vector
from srlm.protocol import Policy, check_policy_protocol, check_prompts

__all__ = [
    "condition_number",
    "condition_number_excess",
    "condition_number_from_mode_logprobs",
    "log_condition_number",
    "log_condition_number_from_mode_logprobs",
    "mode_logprobs",
]

_LOG_FLOAT_MAX = float(np.log(np.finfo(np.float64).max))


def _log_kappa(mode_logp: ArrayLike, weights: ArrayLike | None) -> NDArray[np.float64]:
    lp = as_float_array(mode_logp, "mode_logprobs")
    if lp.ndim == 0:
        raise ValueError("mode_logprobs must have at least one dimension (one entry per prompt)")
    if np.any(np.isnan(lp)) or np.any(lp == np.inf) or np.any(lp > 1e-9):
        raise ValueError("mode_logprobs must be log-probabilities (<= 0, no NaN)")
    if np.any(lp == -np.inf):
        raise ValueError("mode_logprobs must be finite (a mode has positive probability)")
    m = lp.shape[-1]
    if weights is None:
        log_w = np.full(m, -np.log(m))
    else:
        w = check_probability_vector(weights, "weights")
        if w.shape[0] != m:
            raise ValueError(f"weights has {w.shape[0]} entries but there are {m} prompts")
        with np.errstate(divide="ignore"):
            log_w = np.log(w)
    out: NDArray[np.float64] = np.asarray(logsumexp(log_w - lp, axis=-1), dtype=np.float64)
    return out


def log_condition_number_from_mode_logprobs(
    mode_logprobs: ArrayLike, weights: ArrayLike | None = None
) -> float | NDArray[np.float64]:
    r""":math:`\log\kappa = \log\sum_x D(x)\, e^{-\ell_x}` from modal log-probabilities.

    :math:`\ell_x = \log\pi(\hat y(x)|x)`.

    ``mode_logprobs`` has shape ``(..., m)`` (leading axes are batch axes, e.g. repetitions);
    ``weights`` is the prompt law, a probability vector of length ``m`` (uniform if ``None``).
    Returns a float for 1-d input, else an array of the leading shape.  Stable (log-sum-exp).
    """
    out = _log_kappa(mode_logprobs, weights)
    return float(out) if out.ndim == 0 else out


def condition_number_from_mode_logprobs(
    mode_logprobs: ArrayLike, weights: ArrayLike | None = None
) -> float | NDArray[np.float64]:
    r""":math:`\kappa = \sum_x D(x) / \pi(\hat y(x) \mid x)` from modal log-probabilities (see
    :func:`log_condition_number_from_mode_logprobs`).

    Raises
    ------
    OverflowError
        If :math:`\kappa` exceeds the float64 range (use the log version).
    """
    log_k = _log_kappa(mode_logprobs, weights)
    if np.any(log_k > _LOG_FLOAT_MAX):
        raise OverflowError(
            f"kappa overflows float64 (log kappa = {float(np.max(log_k)):.6g}); use log_condition_number"
        )
    out = np.exp(log_k)
    return float(out) if out.ndim == 0 else out


def _law(policy: Policy, prompts: ArrayLike | None, weights: ArrayLike | None) -> tuple[ArrayLike | None, ArrayLike]:
    pol = check_policy_protocol(policy)
    if prompts is None:
        if weights is not None:
            return None, weights
        if pol.weights is None:
            raise ValueError(f"prompts must be given: a {type(pol).__name__} has no prompt law of its own")
        return None, pol.weights
    p = check_prompts(prompts, pol.n_prompts)
    if p.size == 0:
        raise ValueError("prompts must not be empty")
    return p, (np.full(p.size, 1.0 / p.size) if weights is None else weights)


def mode_logprobs(policy: Policy, prompts: ArrayLike | None = None) -> NDArray[np.float64]:
    r""":math:`\log \pi(\hat y_\pi(x) \mid x)` per prompt id (exact; a recursion for sequence policies)."""
    return check_policy_protocol(policy).mode(prompts)[1]


def log_condition_number(
    policy: Policy, prompts: ArrayLike | None = None, weights: ArrayLike | None = None
) -> float:
    r""":math:`\log \kappa(\pi) = \log \sum_x D(x)\, e^{-\log \pi(\hat y(x) \mid x)}`, computed stably.

    ``prompts=None``: every prompt id with the policy's own law (or ``weights``, one per id);
    given ``prompts``: the uniform law over the listed entries unless ``weights`` (one per entry).
    """
    p, w = _law(policy, prompts, weights)
    return float(log_condition_number_from_mode_logprobs(policy.mode(p)[1], w))


def condition_number(policy: Policy, prompts: ArrayLike | None = None, weights: ArrayLike | None = None) -> float:
    r"""The condition number :math:`\kappa(\pi) = \sum_x D(x) / \pi(\hat y_\pi(x) \mid x)` of any policy.

    Prompts and weights as in :func:`log_condition_number`.

    Raises
    ------
    OverflowError
        If :math:`\kappa` exceeds the float range (use :func:`log_condition_number`).
    """
    p, w = _law(policy, prompts, weights)
    return float(condition_number_from_mode_logprobs(policy.mode(p)[1], w))


def condition_number_excess(policy: Policy) -> float:
    r""":math:`\kappa(\pi) - 1 = \sum_x D(x) \sum_{y \ne \hat y(x)} \pi(y|x)/\pi(\hat y(x)|x)`, accurate when tiny.

    Subtracting 1 from :func:`condition_number` loses all digits once
    :math:`\kappa - 1 < 10^{-16}`; this sums the ratios directly from log-probabilities.
    For flat policies (tabular, linear softmax).
    """
    from srlm.policies import LinearSoftmaxPolicy, TabularPolicy

    if isinstance(policy, LinearSoftmaxPolicy):
        policy = policy.to_tabular()
    if not isinstance(policy, TabularPolicy):
        raise TypeError(f"policy must be a TabularPolicy or LinearSoftmaxPolicy, got {type(policy).__name__}")
    top = policy.logp.max(axis=1, keepdims=True)
    ratios = np.exp(policy.logp - top)
    ratios[np.arange(policy.n_prompts), policy.modes()] = 0.0
    return float(np.dot(policy.weights, ratios.sum(axis=1)))

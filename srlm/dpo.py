r"""The DPO losses of the self-rewarding step and their empirical risk minimisers.

With reference :math:`\pi_t`, candidate :math:`\pi` and the log-ratio
:math:`h(x, y) = \log \pi(y|x) - \log \pi_t(y|x)`, the square loss the paper's
proofs use (App. F.1, Eq. 106) is

.. math::

    \hat{\mathcal L}_t(\pi) = \sum_{i=1}^n \big(\beta\, h(x_i, y_i) - \beta\, h(x_i, y'_i) - \Delta r_i\big)^2 .

It is linear least squares in :math:`h`, so the tabular ERM is a graph-Laplacian
system per prompt, solved here in closed form (minimum norm: responses never
sampled keep their reference logit, and the offsets between disconnected groups
of sampled responses are not identified by the data).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import log_expit

from srlm._validate import (
    as_float_array,
    check_finite,
    check_index_array,
    check_int,
    check_positive,
    check_result_finite,
    check_size,
)
from srlm.linear import check_features, constrained_least_squares
from srlm.policies import TabularPolicy, check_policy, log_normalize
from srlm.sampling import RoundData

__all__ = [
    "dpo_residuals",
    "dpo_square_loss",
    "dpo_logistic_loss",
    "tabular_dpo_erm",
    "sampled_components",
    "linear_dpo_erm",
    "minnorm_log_ratios",
]


def _check_data(data: object, n_prompts: int, n_responses: int) -> RoundData:
    if not isinstance(data, RoundData):
        raise TypeError(f"data must be a RoundData, got {type(data).__name__}")
    data.check_fits(n_prompts, n_responses)
    return data


def _check_pair(policy: TabularPolicy, reference: TabularPolicy) -> None:
    check_policy(policy)
    check_policy(reference, "reference")
    if policy.logp.shape != reference.logp.shape:
        raise ValueError(
            f"policy and reference must have the same shape, got {policy.logp.shape} and {reference.logp.shape}"
        )


def dpo_residuals(policy: TabularPolicy, reference: TabularPolicy, data: RoundData, beta: float) -> NDArray[np.float64]:
    r"""Residuals :math:`\beta h(x_i, y_i) - \beta h(x_i, y'_i) - \Delta r_i` of the square loss.

    Raises :class:`ValueError` if a sampled response has probability zero under
    ``policy`` or ``reference`` (the log-ratio is undefined there).
    """
    _check_pair(policy, reference)
    b = check_positive(beta, "beta")
    d = _check_data(data, *policy.logp.shape)
    with np.errstate(invalid="ignore"):
        h = policy.logp - reference.logp
    u = h[d.prompts, d.first] - h[d.prompts, d.second]
    if not np.all(np.isfinite(u)):
        raise ValueError("a sampled response has probability zero: log-ratio undefined")
    with np.errstate(over="ignore", invalid="ignore"):
        out: NDArray[np.float64] = b * u - d.reward_diff
    return check_result_finite(out, "a residual beta (h - h') - reward_diff", "beta is too large")


def dpo_square_loss(policy: TabularPolicy, reference: TabularPolicy, data: RoundData, beta: float) -> float:
    r"""The square DPO loss :math:`\hat{\mathcal L}_t(\pi) = \sum_i (\beta h_i - \beta h'_i - \Delta r_i)^2`.

    Paper Eq. 106.
    """
    res = dpo_residuals(policy, reference, data, beta)
    with np.errstate(over="ignore"):
        out = float(np.dot(res, res))
    return float(check_result_finite(out, "the square loss", "beta or the labels are too large"))


def dpo_logistic_loss(policy: TabularPolicy, reference: TabularPolicy, data: RoundData, beta: float) -> float:
    r"""The logistic DPO loss (paper Eq. 3) under Bradley–Terry labels from the reward.

    With :math:`u_i = \beta h(x_i, y_i) - \beta h(x_i, y'_i)` and the preference
    probability :math:`P_i = \operatorname{sig}(\Delta r_i)`, with the logistic function
    :math:`\operatorname{sig}(u) = 1/(1 + e^{-u})`, this is the expected logistic loss

    .. math::

        \sum_i -\big[P_i \log \operatorname{sig}(u_i) + (1 - P_i) \log \operatorname{sig}(-u_i)\big],

    minimised termwise at :math:`u_i = \Delta r_i`, the zero of the square loss.  So the two
    losses share their minimisers when some candidate attains :math:`u_i = \Delta r_i` on every
    pair (realizability); on a constrained class where none does, they generally differ.
    """
    res = dpo_residuals(policy, reference, data, beta)
    u = res + data.reward_diff
    p = np.exp(log_expit(data.reward_diff))
    with np.errstate(over="ignore", invalid="ignore"):
        out = float(-np.sum(p * log_expit(u) + (1.0 - p) * log_expit(-u)))
    return float(check_result_finite(out, "the logistic loss", "beta or the labels are too large"))


def _same_group(adjacency: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Reflexive-transitive closure of per-prompt adjacency matrices ``(X, Y, Y)`` by repeated squaring.

    ``out[x, i, j]`` is true when responses ``i`` and ``j`` are linked by a chain of sampled pairs
    at prompt ``x`` (or ``i == j``).
    """
    n_resp = adjacency.shape[-1]
    reach = adjacency | np.eye(n_resp, dtype=bool)
    for _ in range(max(1, int(np.ceil(np.log2(n_resp))))):
        reach = np.matmul(reach.astype(np.float32), reach.astype(np.float32)) > 0
    return reach


def _pair_counts(
    prompts: NDArray[np.intp], first: NDArray[np.intp], second: NDArray[np.intp], n_prompts: int, n_responses: int
) -> NDArray[np.float64]:
    """Symmetric counts ``c[x, y, y']`` of sampled pairs (both orders), shape ``(X, Y, Y)``."""
    yy = n_responses * n_responses
    base = prompts * yy
    counts = np.bincount(base + first * n_responses + second, minlength=n_prompts * yy)
    counts = counts + np.bincount(base + second * n_responses + first, minlength=n_prompts * yy)
    return counts.reshape(n_prompts, n_responses, n_responses).astype(np.float64)


def minnorm_log_ratios(
    prompts: ArrayLike,
    first: ArrayLike,
    second: ArrayLike,
    target: ArrayLike,
    n_prompts: int,
    n_responses: int,
) -> NDArray[np.float64]:
    r"""Minimum-norm least-squares :math:`h` with :math:`h_{x_i y_i} - h_{x_i y'_i} \approx t_i` for every triple.

    The normal equations are one graph-Laplacian system :math:`L_x h_x = b_x` per prompt
    (:math:`L_x` the Laplacian of the multigraph of pairs sampled at :math:`x`,
    :math:`b_x = \sum_i \pm t_i`).  The minimum-norm solution :math:`L_x^+ b_x` equals
    :math:`(L_x + P_x)^{-1} b_x` with :math:`P_x` the projector onto :math:`\ker L_x` (the
    indicator vectors of connected groups, scaled), so all prompts are solved at once
    with one batched LU solve.  The kernel shared by :func:`tabular_dpo_erm` and the
    batched loop (:mod:`srlm.loop`).

    Parameters
    ----------
    prompts, first, second
        Integer arrays of length ``m``: prompt ids in ``0..n_prompts-1``, response ids in ``0..n_responses-1``.
    target
        Finite targets :math:`t_i` (length ``m``).

    Returns
    -------
    Array ``(n_prompts, n_responses)``.
    """
    xp = check_int(n_prompts, "n_prompts", minimum=1)
    yr = check_int(n_responses, "n_responses", minimum=1)
    check_size(xp * yr * yr, "n_prompts x n_responses**2")
    prompts = check_index_array(prompts, "prompts", xp)
    first = check_index_array(first, "first", yr)
    second = check_index_array(second, "second", yr)
    target = check_finite(as_float_array(target, "target", ndim=1), "target") if np.size(target) else np.zeros(0)
    if not (prompts.shape == first.shape == second.shape == target.shape):
        raise ValueError("prompts, first, second and target must have the same length")
    n_prompts, n_responses = xp, yr
    counts = _pair_counts(prompts, first, second, n_prompts, n_responses)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow shows in the result, checked below
        rhs = np.bincount(prompts * n_responses + first, weights=target, minlength=n_prompts * n_responses)
        rhs = rhs - np.bincount(prompts * n_responses + second, weights=target, minlength=n_prompts * n_responses)
    rhs = rhs.reshape(n_prompts, n_responses)
    active = np.flatnonzero(np.bincount(prompts, minlength=n_prompts))
    h = np.zeros((n_prompts, n_responses))
    if active.size:
        c = counts[active]
        diag = np.arange(n_responses)
        lap = -c
        lap[:, diag, diag] += c.sum(axis=2)  # L = D - A; a self-pair (y = y') adds nothing
        # L^+ b = (L + P)^{-1} b with P the projector onto ker L: a block 1/|C| on each connected group C
        # (unsampled responses are singletons). b is orthogonal to ker L, so the solution has no kernel part.
        group = _same_group(c > 0)
        proj = group / group.sum(axis=2, keepdims=True)
        with np.errstate(over="ignore", invalid="ignore"):
            h[active] = np.linalg.solve(lap + proj, rhs[active][:, :, None])[:, :, 0]
    return check_result_finite(h, "the least-squares log-ratios", "the targets are too large")


def tabular_dpo_erm(reference: TabularPolicy, data: RoundData, beta: float) -> TabularPolicy:
    r"""Minimum-norm minimiser of the square DPO loss over all tabular policies.

    Writing :math:`\pi = \mathrm{softmax}(\log \pi_t + h)`, the loss depends on
    :math:`h` only through :math:`\beta(h_{x y} - h_{x y'})`; the normal equations are
    :math:`L_x h_x = b_x` with the Laplacian :math:`L_x` of the multigraph of sampled
    pairs at prompt :math:`x` and :math:`b_x = \sum_i \pm \Delta r_i/\beta`.  The
    returned :math:`h_x = L_x^{+} b_x` (computed as :math:`(L_x + P_x)^{-1} b_x`, see
    :func:`minnorm_log_ratios`) is the minimum-norm solution: zero on
    unsampled responses (they keep their reference logit) and mean zero on each
    connected group of sampled responses.  Only differences within a group are
    identified (see :func:`sampled_components`).
    """
    check_policy(reference, "reference")
    b = check_positive(beta, "beta")
    d = _check_data(data, *reference.logp.shape)
    with np.errstate(over="ignore"):
        target = check_result_finite(d.reward_diff / b, "reward_diff/beta", "beta is too small")
    h = minnorm_log_ratios(d.prompts, d.first, d.second, target, *reference.logp.shape)
    with np.errstate(invalid="ignore"):
        logits = np.where(np.isfinite(reference.logp), reference.logp + h, -np.inf)
    return reference.with_logp(log_normalize(logits, "fitted logits"))


def sampled_components(data: RoundData, n_prompts: int, n_responses: int) -> NDArray[np.intp]:
    r"""Connected groups of sampled responses, which fix which log-ratios the data identify.

    Returns an integer table of shape ``(n_prompts, n_responses)``: ``-1`` for a
    response never sampled at that prompt, otherwise a label shared exactly by the
    responses linked through sampled pairs at that prompt.  For two responses with
    the same label, :math:`\log \pi(y|x) - \log \pi(y'|x)` of every square-loss ERM
    is determined by the data.
    """
    xp = check_int(n_prompts, "n_prompts", minimum=1)
    yr = check_int(n_responses, "n_responses", minimum=1)
    check_size(xp * yr * yr, "n_prompts x n_responses**2")
    d = _check_data(data, xp, yr)
    group = _same_group(_pair_counts(d.prompts, d.first, d.second, xp, yr) > 0)
    labels = (np.arange(xp)[:, None] * yr + np.argmax(group, axis=2)).ravel()  # smallest member of the group
    seen = np.zeros(xp * yr, dtype=bool)
    seen[d.prompts * yr + d.first] = True
    seen[d.prompts * yr + d.second] = True
    out = np.where(seen, labels, -1).reshape(xp, yr).astype(np.intp)
    return out


def linear_dpo_erm(
    features: ArrayLike, theta_ref: ArrayLike, data: RoundData, beta: float, radius: float | None = None
) -> NDArray[np.float64]:
    r"""Square-loss ERM for linear softmax (paper §6, App. F.1), optionally on a ball :math:`\|\theta\| \le B`.

    For :math:`\pi_\theta(y|x) \propto \exp\langle \phi(x, y), \theta\rangle` the log-ratio
    difference is :math:`\langle \phi(x,y) - \phi(x,y'), \theta - \theta_t\rangle`, so the
    loss is :math:`\|\beta\, \Psi (\theta - \theta_t) - \Delta r\|^2` with rows
    :math:`\Psi_i = \phi(x_i, y_i) - \phi(x_i, y'_i)`.  Without ``radius`` returns the
    minimum-norm step :math:`\theta_t + (\beta \Psi)^{+} \Delta r`; with ``radius`` :math:`B`
    returns the exact constrained minimiser (:func:`srlm.linear.constrained_least_squares`).

    Parameters
    ----------
    features
        Array :math:`\phi` of shape ``(prompts, responses, d)`` with :math:`\|\phi\| \le 1`.
    theta_ref
        Reference parameter :math:`\theta_t`, shape ``(d,)``.
    radius
        Optional :math:`B > 0`.
    """
    phi = check_features(features)
    theta = check_finite(as_float_array(theta_ref, "theta_ref", ndim=1), "theta_ref")
    if theta.shape[0] != phi.shape[2]:
        raise ValueError(f"theta_ref has dimension {theta.shape[0]}, features have d = {phi.shape[2]}")
    b = check_positive(beta, "beta")
    d = _check_data(data, phi.shape[0], phi.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        design = b * (phi[d.prompts, d.first] - phi[d.prompts, d.second])
    check_result_finite(design, "the design beta (phi - phi')", "beta is too large")
    if radius is None:
        with np.errstate(over="ignore", invalid="ignore"):
            step, *_ = np.linalg.lstsq(design, d.reward_diff, rcond=None)
            out: NDArray[np.float64] = theta + step
        return check_result_finite(out, "the least-squares step", "beta is too small against the labels")
    with np.errstate(over="ignore", invalid="ignore"):
        target = d.reward_diff + design @ theta
    check_result_finite(target, "the target", "beta or theta_ref too large")
    return constrained_least_squares(design, target, radius)

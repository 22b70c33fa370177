r"""The DPO losses of the self-rewarding step and their empirical risk minimisers.

With reference :math:`\pi_t`, candidate :math:`\pi` and the log-ratio
:math:`h(x, y) = \log \pi(y|x) - \log \pi_t(y|x)`, the square loss the paper's
proofs use (App. F.1, Eq. 106) is

.. math::

    \hat L_t(\pi) = \sum_{i=1}^n \big(\beta\, h(x_i, y_i) - \beta\, h(x_i, y'_i) - \Delta r_i\big)^2 .

It is linear least squares in :math:`h`, so the tabular ERM is a graph-Laplacian
system per prompt, solved here in closed form (minimum norm: responses never
sampled keep their reference logit, and the offsets between disconnected groups
of sampled responses are not identified by the data).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import log_expit

from srlm._validate import as_float_array, check_finite, check_int, check_positive
from srlm.policies import TabularPolicy, check_policy, log_normalize
from srlm.sampling import RoundData

__all__ = [
    "dpo_residuals",
    "dpo_square_loss",
    "dpo_logistic_loss",
    "tabular_dpo_erm",
    "sampled_components",
    "linear_dpo_erm",
]

#: Relative cut-off for the pseudo-inverse of the per-prompt Laplacians: their
#: zero eigenvalues are exact, the non-zero ones are >= 1/n^2 for n pairs.
_PINV_RTOL = 1e-10


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
    out: NDArray[np.float64] = b * u - d.reward_diff
    return out


def dpo_square_loss(policy: TabularPolicy, reference: TabularPolicy, data: RoundData, beta: float) -> float:
    r"""The square DPO loss :math:`\hat L_t(\pi) = \sum_i (\beta h_i - \beta h'_i - \Delta r_i)^2` (paper Eq. 106)."""
    res = dpo_residuals(policy, reference, data, beta)
    return float(np.dot(res, res))


def dpo_logistic_loss(policy: TabularPolicy, reference: TabularPolicy, data: RoundData, beta: float) -> float:
    r"""The logistic DPO loss (paper Eq. 3) under Bradley–Terry labels from the reward.

    With :math:`u_i = \beta h(x_i, y_i) - \beta h(x_i, y'_i)` and the preference
    probability :math:`P_i = \sigma(\Delta r_i)`, this is the expected logistic loss

    .. math::

        \sum_i -\big[P_i \log \sigma(u_i) + (1 - P_i) \log \sigma(-u_i)\big],

    minimised termwise at :math:`u_i = \Delta r_i`, the zero of the square loss.
    """
    res = dpo_residuals(policy, reference, data, beta)
    u = res + data.reward_diff
    p = np.exp(log_expit(data.reward_diff))
    return float(-np.sum(p * log_expit(u) + (1.0 - p) * log_expit(-u)))


def _laplacian_system(
    data: RoundData, n_prompts: int, n_responses: int, beta: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-prompt normal equations ``L h = b`` of the square loss (divided by beta^2)."""
    x, y, y2 = data.prompts, data.first, data.second
    target = data.reward_diff / beta
    lap = np.zeros((n_prompts, n_responses, n_responses))
    np.add.at(lap, (x, y, y), 1.0)
    np.add.at(lap, (x, y2, y2), 1.0)
    np.add.at(lap, (x, y, y2), -1.0)
    np.add.at(lap, (x, y2, y), -1.0)
    rhs = np.zeros((n_prompts, n_responses))
    np.add.at(rhs, (x, y), target)
    np.add.at(rhs, (x, y2), -target)
    return lap, rhs


def tabular_dpo_erm(reference: TabularPolicy, data: RoundData, beta: float) -> TabularPolicy:
    r"""Minimum-norm minimiser of the square DPO loss over all tabular policies.

    Writing :math:`\pi = \mathrm{softmax}(\log \pi_t + h)`, the loss depends on
    :math:`h` only through :math:`\beta(h_{x y} - h_{x y'})`; the normal equations are
    :math:`L_x h_x = b_x` with the Laplacian :math:`L_x` of the multigraph of sampled
    pairs at prompt :math:`x` and :math:`b_x = \sum_i \pm \Delta r_i/\beta`.  The
    returned :math:`h_x = L_x^{+} b_x` is the minimum-norm solution: zero on
    unsampled responses (they keep their reference logit) and mean zero on each
    connected group of sampled responses.  Only differences within a group are
    identified (see :func:`sampled_components`).
    """
    check_policy(reference, "reference")
    b = check_positive(beta, "beta")
    d = _check_data(data, *reference.logp.shape)
    lap, rhs = _laplacian_system(d, reference.n_prompts, reference.n_responses, b)
    h = np.einsum("xij,xj->xi", np.linalg.pinv(lap, rtol=_PINV_RTOL, hermitian=True), rhs)
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
    d = _check_data(data, xp, yr)
    nodes = xp * yr
    u = d.prompts * yr + d.first
    v = d.prompts * yr + d.second
    graph = coo_matrix((np.ones(d.n), (u, v)), shape=(nodes, nodes)).tocsr()
    _, labels = connected_components(graph, directed=False)
    seen = np.zeros(nodes, dtype=bool)
    seen[u] = True
    seen[v] = True
    out = np.where(seen, labels, -1).reshape(xp, yr).astype(np.intp)
    return out


def linear_dpo_erm(features: ArrayLike, theta_ref: ArrayLike, data: RoundData, beta: float) -> NDArray[np.float64]:
    r"""Minimum-norm square-loss ERM for linear-softmax policies (Result 9.1).

    For :math:`\pi_\theta(y|x) \propto \exp\langle \phi(x, y), \theta\rangle` the log-ratio
    difference is :math:`\langle \phi(x,y) - \phi(x,y'), \theta - \theta_t\rangle`, so the
    loss is :math:`\|\beta\, \Psi (\theta - \theta_t) - \Delta r\|^2` with rows
    :math:`\Psi_i = \phi(x_i, y_i) - \phi(x_i, y'_i)`.  Returns
    :math:`\theta_t + (\beta \Psi)^{+} \Delta r` (no norm-ball constraint).

    Parameters
    ----------
    features
        Array :math:`\phi` of shape ``(prompts, responses, d)``.
    theta_ref
        Reference parameter :math:`\theta_t`, shape ``(d,)``.
    """
    phi = check_finite(as_float_array(features, "features", ndim=3), "features")
    theta = check_finite(as_float_array(theta_ref, "theta_ref", ndim=1), "theta_ref")
    if theta.shape[0] != phi.shape[2]:
        raise ValueError(f"theta_ref has dimension {theta.shape[0]}, features have d = {phi.shape[2]}")
    b = check_positive(beta, "beta")
    d = _check_data(data, phi.shape[0], phi.shape[1])
    design = b * (phi[d.prompts, d.first] - phi[d.prompts, d.second])
    step, *_ = np.linalg.lstsq(design, d.reward_diff, rcond=None)
    out: NDArray[np.float64] = theta + step
    return out

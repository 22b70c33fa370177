r"""The self-reward and the KL-regularised self-rewarding step (paper §3, Eq. 1–4).

With the self-reward :math:`r_t(x, y) = \log \pi_t(y \mid x)` the step

.. math::

    \pi_{t+1} = \arg\max_\pi \; \mathbb{E}_x\big[\mathbb{E}_{y \sim \pi} r_t(x, y)
                - \beta\, \mathrm{KL}(\pi(\cdot|x) \,\|\, \pi_t(\cdot|x))\big]

has the Gibbs solution :math:`\pi_{t+1} \propto \pi_t e^{r_t/\beta} = \pi_t^{1+1/\beta}`
and, iterated, :math:`\pi_T \propto \pi_0^{s^T}` with :math:`s = 1 + 1/\beta`.
Everything is computed in log space.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import softmax

from srlm._validate import (
    check_index_array,
    check_int,
    check_positive,
    check_probability_table,
)
from srlm.policies import TabularPolicy, check_finite_or_neginf, check_policy, log_normalize
from srlm.protocol import Policy, check_policy_protocol

__all__ = [
    "self_reward",
    "reward_differences",
    "log_sharpening_exponent",
    "sharpening_exponent",
    "gibbs_step",
    "iterate_self_rewarding",
    "kl_divergence",
    "kl_objective",
    "kl_step_numerical",
]


def self_reward(policy: TabularPolicy) -> NDArray[np.float64]:
    r"""The self-reward table :math:`r(x, y) = \log \pi(y \mid x)` (a copy of ``policy.logp``)."""
    check_policy(policy)
    out: NDArray[np.float64] = np.array(policy.logp, dtype=np.float64)
    return out


def reward_differences(
    reward: ArrayLike, prompts: ArrayLike, first: ArrayLike, second: ArrayLike
) -> NDArray[np.float64]:
    r"""Labels :math:`\Delta r_i = r(x_i, y_i) - r(x_i, y'_i)` of sampled triples.

    Parameters
    ----------
    reward
        Table of shape ``(prompts, responses)`` (finite or ``-inf`` entries).
    prompts, first, second
        Integer arrays of equal length ``n``: :math:`x_i`, :math:`y_i`, :math:`y'_i`.

    Raises
    ------
    ValueError
        If lengths differ, an index is out of range, or a difference is undefined
        (a sampled response has reward ``-inf``).
    """
    r = check_finite_or_neginf(reward, "reward")
    x = check_index_array(prompts, "prompts", r.shape[0])
    y = check_index_array(first, "first", r.shape[1])
    y2 = check_index_array(second, "second", r.shape[1])
    if not (x.shape == y.shape == y2.shape):
        raise ValueError(f"prompts, first and second must have equal lengths, got {x.size}, {y.size}, {y2.size}")
    a, b = r[x, y], r[x, y2]
    if np.any(~np.isfinite(a)) or np.any(~np.isfinite(b)):
        raise ValueError("reward is -inf at a sampled response: the difference is undefined")
    out: NDArray[np.float64] = a - b
    return out


def _exponent(beta: float, rounds: int) -> float:
    """:math:`(1 + 1/\beta)^T`, ``inf`` past the float range (the limit used by the closed form)."""
    b = check_positive(beta, "beta")
    t = check_int(rounds, "rounds", minimum=0)
    with np.errstate(over="ignore"):
        return float(np.power(1.0 + 1.0 / b, float(t)))


def log_sharpening_exponent(beta: float, rounds: int) -> float:
    r""":math:`\log s^T = T \log(1 + 1/\beta)` (finite for every finite :math:`\beta > 0` and :math:`T`)."""
    b = check_positive(beta, "beta")
    t = check_int(rounds, "rounds", minimum=0)
    log_s = float(np.log1p(1.0 / b)) if 1.0 / b < 1e300 else -float(np.log(b))
    return t * log_s


def sharpening_exponent(beta: float, rounds: int) -> float:
    r"""The exponent :math:`s^T = (1 + 1/\beta)^T` of the iterated closed form.

    Raises
    ------
    OverflowError
        When :math:`s^T` exceeds the float64 range (use :func:`log_sharpening_exponent`);
        :func:`iterate_self_rewarding` handles that case as the limit :math:`T \to \infty`.
    """
    e = _exponent(beta, rounds)
    if not np.isfinite(e):
        raise OverflowError(
            f"(1 + 1/beta)**rounds overflows float64 for beta = {beta!r}, rounds = {rounds!r}; "
            "use log_sharpening_exponent"
        )
    return e


def gibbs_step(policy: Policy, beta: float, reward: ArrayLike | None = None) -> Policy:
    r"""One exact KL-regularised step in its Gibbs form (paper §3, Eq. 4; App. C.2, Eq. 12–14).

    .. math::

        \pi_{t+1}(y \mid x) = \frac{\pi_t(y \mid x)\, e^{r(x, y)/\beta}}
                                  {\sum_{y'} \pi_t(y' \mid x)\, e^{r(x, y')/\beta}},

    with the self-reward :math:`r = \log \pi_t` when ``reward`` is ``None``, in which
    case :math:`\pi_{t+1} \propto \pi_t^{1 + 1/\beta}`.

    Parameters
    ----------
    policy
        The current policy :math:`\pi_t`: any :class:`~srlm.protocol.Policy` when ``reward`` is
        ``None`` (then this is ``policy.temper(beta)``, exact at the sequence level for sequence
        families), a :class:`~srlm.policies.TabularPolicy` with an explicit ``reward``.
    beta
        KL weight :math:`\beta > 0`.
    reward
        Optional reward table of the same shape (finite or ``-inf``).
    """
    check_policy_protocol(policy)
    b = check_positive(beta, "beta")
    if reward is None:  # tempering: pi^(1 + 1/beta)
        return policy.temper(b)
    policy = check_policy(policy)
    r = check_finite_or_neginf(reward, "reward")
    if r.shape != policy.logp.shape:
        raise ValueError(f"reward must have shape {policy.logp.shape}, got {r.shape}")
    return policy.with_logp(log_normalize(policy.logp + r / b, "log-weights"))


def iterate_self_rewarding(policy: TabularPolicy, beta: float, rounds: int) -> TabularPolicy:
    r"""The policy after ``rounds`` exact self-rewarding steps (paper Eq. 4 iterated; §3, App. C.2).

    .. math::

        \pi_T(y \mid x) = \frac{\pi_0(y \mid x)^{s^T}}{\sum_{y'} \pi_0(y' \mid x)^{s^T}},
        \qquad s = 1 + \frac1\beta .

    Computed as :math:`\mathrm{softmax}\big(s^T (\log\pi_0 - \max_y \log\pi_0)\big)` so that
    huge :math:`s^T` neither overflows nor produces NaN: when :math:`s^T` is ``inf`` the
    result is the limit, uniform on the set of modes of :math:`\pi_0`.
    """
    check_policy(policy)
    e = _exponent(beta, rounds)
    shifted = policy.logp - policy.logp.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.where(shifted == 0.0, 0.0, shifted * e)
    return policy.with_logp(log_normalize(scaled, "scaled log-probabilities"))


def kl_divergence(q: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
    r"""Row-wise :math:`\mathrm{KL}(q(\cdot|x) \,\|\, p(\cdot|x)) = \sum_y q \log(q/p)`.

    Uses :math:`0 \log 0 = 0`.  The value is ``inf`` exactly when some
    :math:`q(y|x) > 0 = p(y|x)`; that is the mathematical value, not an error.
    """
    qa = check_probability_table(q, "q")
    pa = check_probability_table(p, "p")
    if qa.shape != pa.shape:
        raise ValueError(f"q and p must have the same shape, got {qa.shape} and {pa.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(qa > 0, qa * (np.log(qa) - np.log(pa)), 0.0)
    out: NDArray[np.float64] = terms.sum(axis=1)
    return out


def kl_objective(q: ArrayLike, policy: TabularPolicy, beta: float, reward: ArrayLike | None = None) -> float:
    r"""The regularised objective of the step, evaluated at a candidate table ``q``.

    .. math::

        \Phi(q) = \sum_x D(x) \Big[ \sum_y q(y|x)\, r(x, y)
                  - \beta\, \mathrm{KL}(q(\cdot|x) \,\|\, \pi_t(\cdot|x)) \Big],

    with :math:`r = \log \pi_t` by default.  Terms with :math:`q(y|x) = 0` contribute 0.
    The value is ``-inf`` exactly when ``q`` puts mass where :math:`\pi_t` has none.
    """
    check_policy(policy)
    b = check_positive(beta, "beta")
    qa = check_probability_table(q, "q")
    if qa.shape != policy.logp.shape:
        raise ValueError(f"q must have shape {policy.logp.shape}, got {qa.shape}")
    r = policy.logp if reward is None else check_finite_or_neginf(reward, "reward")
    if r.shape != qa.shape:
        raise ValueError(f"reward must have shape {qa.shape}, got {r.shape}")
    with np.errstate(invalid="ignore"):
        gain = np.where(qa > 0, qa * r, 0.0).sum(axis=1)
    kl = kl_divergence(qa, policy.probs)
    return float(np.dot(policy.weights, gain - b * kl))


def kl_step_numerical(
    policy: TabularPolicy, beta: float, reward: ArrayLike | None = None, gtol: float = 1e-12
) -> TabularPolicy:
    r"""Maximise the step's objective numerically: an independent reference for :func:`gibbs_step`.

    For each prompt, maximises
    :math:`\Phi_x(q) = \sum_y q_y r_y - \beta \sum_y q_y \log(q_y / \pi_t(y|x))` over the
    simplex, parameterised by logits :math:`q = \mathrm{softmax}(\ell)` on the support of
    :math:`\pi_t(\cdot|x)`, with L-BFGS-B and the chain-rule gradient
    :math:`\nabla_\ell \Phi_x = q \odot (g - \langle q, g\rangle)`,
    :math:`g_y = r_y - \beta(\log q_y - \log \pi_t(y|x) + 1)`.  It uses nothing of the
    Gibbs formula; it is slow and meant for checks on small tables.
    """
    check_policy(policy)
    b = check_positive(beta, "beta")
    tol = check_positive(gtol, "gtol")
    r = policy.logp if reward is None else check_finite_or_neginf(reward, "reward")
    if r.shape != policy.logp.shape:
        raise ValueError(f"reward must have shape {policy.logp.shape}, got {r.shape}")
    out = np.full(policy.logp.shape, -np.inf)
    for x in range(policy.n_prompts):
        support = np.flatnonzero(np.isfinite(policy.logp[x]) & np.isfinite(r[x]))
        logp, rx = policy.logp[x, support], r[x, support]

        def negobj(
            ell: NDArray[np.float64], logp: NDArray[np.float64] = logp, rx: NDArray[np.float64] = rx
        ) -> tuple[float, NDArray[np.float64]]:
            q = softmax(ell)
            logq = ell - np.log(np.sum(np.exp(ell - ell.max()))) - ell.max()
            g = rx - b * (logq - logp + 1.0)
            val = float(np.dot(q, rx) - b * np.dot(q, logq - logp))
            grad = q * (g - np.dot(q, g))
            return -val, -grad

        res = minimize(
            negobj,
            np.zeros(support.size),
            jac=True,
            method="L-BFGS-B",
            options={"gtol": tol, "ftol": 1e-15, "maxiter": 10_000},
        )
        out[x, support] = res.x
    return policy.with_logp(log_normalize(out, "optimised logits"))

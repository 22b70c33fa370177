r"""The finite-sample self-rewarding loop, vectorised over prompts and repetitions.

One round, for each of ``R`` independent repetitions at once:

1. draw ``n`` triples :math:`x_i \sim D`, :math:`y_i, y'_i \sim \pi_t(\cdot|x_i)`;
2. label them with the self-reward difference
   :math:`\Delta r_i = \log\pi_t(y_i|x_i) - \log\pi_t(y'_i|x_i)`, optionally plus
   :math:`\mathcal N(0, \sigma^2)` noise (a noisy judge);
3. set :math:`\pi_{t+1}` to the minimum-norm square-loss DPO ERM over tabular policies
   (:func:`srlm.dpo.minnorm_log_ratios`): responses never sampled at a prompt keep
   their logit, only log-ratios within a connected group of sampled pairs move.  With
   exact labels the step on a group :math:`G` is
   :math:`\log\pi_t + (\log\pi_t - \overline{\log\pi_t}^{\,G})/\beta` (before
   normalisation): log-ratios inside :math:`G` are multiplied by :math:`s = 1 + 1/\beta`.

Per round it records, for every repetition: :math:`\kappa(\pi_t)`; the *confidence
failure* :math:`P_x[\pi_t(\hat y_t|x) \le 1/2]` that paper Theorem 5.3 bounds; and
*correctness* :math:`P_x[\hat y_t(x) = \hat y_0(x)]`, whether the policy's mode is still
the base model's mode — which the theorem does not promise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import logsumexp

from srlm._validate import (
    as_float_array,
    check_finite,
    check_generator,
    check_int,
    check_log_probabilities,
    check_positive,
    check_probability_vector,
    check_result_finite,
    check_scalar,
    check_size,
)
from srlm.condition import condition_number_from_mode_logprobs
from srlm.dpo import minnorm_log_ratios
from srlm.policies import TabularPolicy, check_policy
from srlm.sampling import sample_categorical

#: Largest work estimate ``rounds x (reps x (n + prompts x responses**3) + 10**4)`` that
#: :func:`run_self_rewarding` accepts (about 15 minutes on one core at the measured
#: :math:`2 \times 10^{-7}` s per unit).
MAX_LOOP_WORK = 5 * 10**9

__all__ = [
    "BatchRound",
    "LoopTrace",
    "MAX_LOOP_WORK",
    "fit_round_batch",
    "late_stage_excess",
    "run_self_rewarding",
    "sample_round_batch",
]


@dataclass(frozen=True)
class BatchRound:
    """Round data for ``R`` repetitions: integer arrays ``(R, n)`` and labels ``(R, n)``."""

    prompts: NDArray[np.intp]
    first: NDArray[np.intp]
    second: NDArray[np.intp]
    reward_diff: NDArray[np.float64]

    def __post_init__(self) -> None:
        shape = None
        for name in ("prompts", "first", "second"):
            arr = np.asarray(getattr(self, name))
            if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
                raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
            if arr.ndim != 2:
                raise ValueError(f"{name} must have shape (reps, n), got {arr.shape}")
            if arr.size and arr.min() < 0:
                raise ValueError(f"{name} must have entries >= 0")
            if shape is not None and arr.shape != shape:
                raise ValueError(f"prompts, first and second must have one shape, got {shape} and {arr.shape}")
            shape = arr.shape
            object.__setattr__(self, name, arr.astype(np.intp, copy=False))
        rd = check_finite(as_float_array(self.reward_diff, "reward_diff", ndim=2), "reward_diff")
        if rd.shape != shape:
            raise ValueError(f"reward_diff must have shape {shape}, got {rd.shape}")
        object.__setattr__(self, "reward_diff", rd)


@dataclass(frozen=True)
class LoopTrace:
    r"""Per-round trackers, each of shape ``(rounds + 1, reps)`` (row 0 is the base policy).

    Attributes
    ----------
    kappa
        :math:`\kappa(\pi_t)`.
    confidence_failure
        :math:`P_x[\pi_t(\hat y_t|x) \le 1/2]`.
    correctness
        :math:`P_x[\hat y_t(x) = \hat y_0(x)]`.
    final_logp
        :math:`\log\pi_T`, shape ``(reps, prompts, responses)``.
    """

    kappa: NDArray[np.float64]
    confidence_failure: NDArray[np.float64]
    correctness: NDArray[np.float64]
    final_logp: NDArray[np.float64]


def _check_batch_logp(logp: NDArray[np.float64]) -> NDArray[np.float64]:
    arr = as_float_array(logp, "logp")
    if arr.ndim != 3:
        raise ValueError(f"logp must have shape (reps, prompts, responses), got {arr.shape}")
    return check_log_probabilities(arr, "logp", ndim=3)


def _check_weights(weights: NDArray[np.float64], n_prompts: int) -> NDArray[np.float64]:
    w = check_probability_vector(weights, "weights")
    if w.shape != (n_prompts,):
        raise ValueError(f"weights must be a probability vector of length {n_prompts}, got shape {w.shape}")
    return w


def _check_noise(noise_scale: float) -> float:
    sigma = check_scalar(noise_scale, "noise_scale")
    if sigma < 0:
        raise ValueError(f"noise_scale must be >= 0, got {sigma}")
    return sigma


def sample_round_batch(
    logp: NDArray[np.float64],
    weights: NDArray[np.float64],
    n: int,
    rng: np.random.Generator,
    noise_scale: float = 0.0,
) -> BatchRound:
    r"""Draw one round of ``n`` labelled triples for each of the ``R`` policies in ``logp`` ``(R, X, Y)``."""
    lp = _check_batch_logp(logp)
    reps, n_prompts, n_resp = lp.shape
    w = _check_weights(weights, n_prompts)
    m = check_int(n, "n", minimum=1)
    check_size(reps * m, "reps x n")
    gen = check_generator(rng)
    sigma = _check_noise(noise_scale)
    x = gen.choice(n_prompts, size=(reps, m), p=w).astype(np.intp)
    rows = (np.arange(reps)[:, None] * n_prompts + x).ravel()
    flat = lp.reshape(reps * n_prompts, n_resp)
    probs = np.exp(flat)
    y = sample_categorical(probs, rows, gen)
    y2 = sample_categorical(probs, rows, gen)
    diff = flat[rows, y] - flat[rows, y2]
    if sigma > 0:
        with np.errstate(over="ignore", invalid="ignore"):
            diff = diff + sigma * gen.standard_normal(diff.size)
        check_result_finite(diff, "a noisy label", "noise_scale is too large")
    shape = (reps, m)
    return BatchRound(x, y.reshape(shape), y2.reshape(shape), diff.reshape(shape))


def fit_round_batch(logp: NDArray[np.float64], data: BatchRound, beta: float) -> NDArray[np.float64]:
    r"""The square-loss DPO ERM of every repetition: :math:`\log\pi_{t+1} = \mathrm{logsoftmax}(\log\pi_t + h)`."""
    lp = _check_batch_logp(logp)
    b = check_positive(beta, "beta")
    if not isinstance(data, BatchRound):
        raise TypeError(f"data must be a BatchRound, got {type(data).__name__}")
    reps, n_prompts, n_resp = lp.shape
    if data.prompts.shape[0] != reps:
        raise ValueError(f"data has {data.prompts.shape[0]} repetitions, logp has {reps}")
    if data.prompts.size and data.prompts.max() >= n_prompts:
        raise ValueError(f"data.prompts must have entries in 0..{n_prompts - 1}")
    if data.prompts.size and max(data.first.max(), data.second.max()) >= n_resp:
        raise ValueError(f"data.first and data.second must have entries in 0..{n_resp - 1}")
    flat_prompt = (np.arange(reps)[:, None] * n_prompts + data.prompts).ravel()
    with np.errstate(over="ignore"):
        target = check_result_finite(data.reward_diff.ravel() / b, "reward_diff/beta", "beta is too small")
    h = minnorm_log_ratios(flat_prompt, data.first.ravel(), data.second.ravel(), target, reps * n_prompts, n_resp)
    with np.errstate(invalid="ignore"):
        logits = np.where(np.isfinite(lp), lp + h.reshape(lp.shape), -np.inf)
    out: NDArray[np.float64] = logits - logsumexp(logits, axis=2, keepdims=True)
    return out


def _trackers(
    logp: NDArray[np.float64], weights: NDArray[np.float64], base_modes: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    top = logp.max(axis=2)
    kappa = np.asarray(condition_number_from_mode_logprobs(top, weights))
    conf_fail = (np.exp(top) <= 0.5) @ weights
    correct = (np.argmax(logp, axis=2) == base_modes[None, :]) @ weights
    return kappa, conf_fail, correct


def run_self_rewarding(
    policy: TabularPolicy,
    beta: float,
    n: int,
    rounds: int,
    rng: np.random.Generator,
    reps: int = 1,
    noise_scale: float = 0.0,
) -> LoopTrace:
    r"""Run ``rounds`` rounds of the finite-sample loop from ``policy`` for ``reps`` independent repetitions.

    Parameters
    ----------
    policy
        Base policy :math:`\pi_0` (zero probabilities stay zero).
    beta
        KL weight :math:`\beta > 0`.
    n
        Triples per round and repetition.
    rounds
        Number of rounds :math:`T \ge 0`.
    rng
        Seeded generator; the same seed gives the same trace.
    reps
        Independent repetitions run side by side.
    noise_scale
        Judge noise :math:`\sigma \ge 0`.

    Raises
    ------
    ValueError
        For a bad argument, or when the work estimate
        ``rounds x (reps x (n + prompts x responses**3) + 10**4)`` exceeds :data:`MAX_LOOP_WORK`
        (:math:`5\cdot 10^{9}`, about 15 minutes of computation): split the run.
    """
    check_policy(policy)
    t_max = check_int(rounds, "rounds", minimum=0)
    r = check_int(reps, "reps", minimum=1)
    check_positive(beta, "beta")
    m = check_int(n, "n", minimum=1)
    check_generator(rng)
    _check_noise(noise_scale)
    n_prompts, n_resp = policy.logp.shape
    check_size(r * n_prompts * n_resp, "reps x prompts x responses")
    check_size((t_max + 1) * r, "(rounds + 1) x reps")
    work = t_max * (r * (m + n_prompts * n_resp**3) + 10**4)
    check_size(work, "the work rounds x (reps x (n + prompts x responses**3) + 10**4)", MAX_LOOP_WORK)
    logp = np.broadcast_to(policy.logp, (r, *policy.logp.shape)).copy()
    w = policy.weights
    base_modes = policy.modes()
    shape = (t_max + 1, r)
    kappa, conf, corr = np.empty(shape), np.empty(shape), np.empty(shape)
    kappa[0], conf[0], corr[0] = _trackers(logp, w, base_modes)
    for t in range(1, t_max + 1):
        data = sample_round_batch(logp, w, n, rng, noise_scale)
        logp = fit_round_batch(logp, data, beta)
        kappa[t], conf[t], corr[t] = _trackers(logp, w, base_modes)
    return LoopTrace(kappa, conf, corr, logp)


def late_stage_excess(n: int, rounds: int, weights: NDArray[np.float64], beta: float) -> float:
    r"""Idealised late-stage law of the exact-label loop: :math:`\kappa_T - 1` for large :math:`nT`.

    In the idealised model (two responses per prompt, a prompt's log-odds gap :math:`u`
    multiplied by :math:`s = 1 + 1/\beta` in a round that samples a mixed pair there, which
    happens with probability :math:`1 - e^{-2 n w_x e^{-u}}`, and the phases
    :math:`\log_s u` spread uniformly over prompts), the leading order of
    :math:`\kappa_T - 1 = \mathbb{E}_x[e^{-u_T(x)}]` is

    .. math::

        \kappa_T - 1 \approx \sum_x \frac{w_x}{a_x \log a_x \,\log s},
        \qquad a_x = 2 n w_x T,

    i.e. :math:`X / (2nT \log(2nT/X) \log s)` for :math:`X` equally likely prompts; the next
    term multiplies this by :math:`1 - \gamma_E/\log a_x`.

    Parameters
    ----------
    n
        Triples per round, :math:`n \ge 1`.
    rounds
        Number of rounds :math:`T \ge 1`.
    weights
        Prompt law :math:`w` (a probability vector); prompts with :math:`w_x = 0` do not count.
    beta
        KL weight :math:`\beta > 0`.

    Raises
    ------
    ValueError
        If :math:`a_x = 2 n w_x T \le e` for a prompt with :math:`w_x > 0` (the law is an
        asymptotic one; it needs :math:`\log a_x > 1`).
    """
    m = check_int(n, "n", minimum=1)
    t = check_int(rounds, "rounds", minimum=1)
    b = check_positive(beta, "beta")
    if m * t > 10**300:
        raise ValueError("n x rounds must be at most 1e300 (the float64 range of this law)")
    w = check_probability_vector(weights, "weights")
    w = w[w > 0]
    a = 2.0 * m * w * t
    if np.any(a <= np.e):
        raise ValueError(f"2 n w_x T must exceed e for every prompt, got min {a.min():.3g}")
    with np.errstate(over="ignore", under="ignore"):
        out = float(np.sum(w / (a * np.log(a))) / np.log1p(1.0 / b))
    return float(check_result_finite(out, "the late-stage law", "beta is too large"))

r"""Linear-softmax policies :math:`\pi_\theta(y|x) \propto \exp\langle\phi(x, y), \theta\rangle` (paper §6)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp

from srlm._validate import as_float_array, check_finite

__all__ = ["linear_softmax_logp"]


def linear_softmax_logp(features: ArrayLike, theta: ArrayLike) -> NDArray[np.float64]:
    r"""Log-probabilities :math:`\langle\phi(x,y),\theta\rangle - \log\sum_{y'} e^{\langle\phi(x,y'),\theta\rangle}`.

    Parameters
    ----------
    features
        Array :math:`\phi` of shape ``(prompts, responses, d)``, finite.
    theta
        Parameter of shape ``(d,)``, finite.

    Returns
    -------
    Array of shape ``(prompts, responses)``.
    """
    phi = check_finite(as_float_array(features, "features", ndim=3), "features")
    th = check_finite(as_float_array(theta, "theta", ndim=1), "theta")
    if th.shape[0] != phi.shape[2]:
        raise ValueError(f"theta has dimension {th.shape[0]}, features have d = {phi.shape[2]}")
    scores = phi @ th
    out: NDArray[np.float64] = scores - logsumexp(scores, axis=1, keepdims=True)
    return out

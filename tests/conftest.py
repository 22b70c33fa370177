"""Shared fixtures: every random generator in the tests is seeded."""

from __future__ import annotations

import numpy as np
import pytest

import srlm


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def policy(rng: np.random.Generator) -> srlm.TabularPolicy:
    """Four prompts, six responses, Dirichlet rows, a non-uniform prompt law."""
    return srlm.TabularPolicy.from_probs(rng.dirichlet(np.ones(6), size=4), rng.dirichlet(np.ones(4)))

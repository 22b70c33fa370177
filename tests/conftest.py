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
    return srlm.TabularPolicy.random(rng, 4, 6, 1.0, random_weights=True)

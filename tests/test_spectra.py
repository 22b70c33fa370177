from __future__ import annotations

import numpy as np
import pytest

import srlm

LAMS = np.geomspace(1e-8, 10.0, 60)


def test_definition_and_monotonicity(rng: np.random.Generator) -> None:
    a = rng.normal(size=(50, 12))
    cov = a.T @ a / 50
    ev = srlm.covariance_spectrum(cov)
    for lam in (1e-3, 0.1, 1.0):
        direct = np.trace(cov @ np.linalg.inv(cov + lam * np.eye(12)))
        assert srlm.effective_dimension(ev, lam) == pytest.approx(direct, rel=1e-10)
    vals = srlm.effective_dimension(ev, LAMS)
    assert np.all(np.diff(vals) <= 1e-12) and np.all(vals <= 12)


@pytest.mark.parametrize(("C", "c"), [(1.0, 0.1), (5.0, 0.5), (0.3, 2.0)])
def test_exponential_bound(C: float, c: float) -> None:
    ev = srlm.exponential_spectrum(2000, C, c)
    for lam in LAMS:
        assert srlm.effective_dimension(ev, lam) <= srlm.exponential_bound(lam, C, c) + 1e-12


@pytest.mark.parametrize(("C", "alpha"), [(1.0, 1.1), (2.0, 2.0), (0.5, 4.0)])
def test_polynomial_bound(C: float, alpha: float) -> None:
    ev = srlm.polynomial_spectrum(5000, C, alpha)
    for lam in LAMS:
        assert srlm.effective_dimension(ev, lam) <= srlm.polynomial_bound(lam, C, alpha) + 1e-12


def test_spiked_bound() -> None:
    ev = srlm.spiked_spectrum(500, 5, 10.0, 0.01)
    for lam in LAMS:
        for k in (0, 5, 20):
            assert srlm.effective_dimension(ev, lam) <= srlm.spiked_bound(ev, k, lam) + 1e-12


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="lam must be > 0"):
        srlm.effective_dimension([1.0], 0.0)
    with pytest.raises(ValueError, match="eigenvalues must be >= 0"):
        srlm.effective_dimension([1.0, -1.0], 1.0)
    with pytest.raises(ValueError, match="positive semi-definite"):
        srlm.covariance_spectrum([[1.0, 0.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match="symmetric"):
        srlm.covariance_spectrum([[1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="alpha must be > 1"):
        srlm.polynomial_spectrum(10, 1.0, 1.0)
    with pytest.raises(ValueError, match="alpha must be > 1"):
        srlm.polynomial_bound(0.1, 1.0, 0.5)
    with pytest.raises(ValueError, match="k must be <= d"):
        srlm.spiked_spectrum(3, 4, 1.0, 1.0)

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


def test_bounds_pinned_at_known_values() -> None:
    # split point an integer: log(C/lam)/c = 3 and (C/lam)^(1/alpha) = 2
    c = 0.7
    assert srlm.exponential_bound(2.0 * np.exp(-3 * c), 2.0, c) == pytest.approx(3 + 1 + 1 / np.expm1(c), rel=1e-14)
    assert srlm.exponential_bound(5.0, 2.0, c) == pytest.approx(1 + 1 / np.expm1(c), rel=1e-14)  # log_+ = 0
    assert srlm.polynomial_bound(0.5 / 8, 0.5, 3.0) == pytest.approx(1 + 2 * 1.5, rel=1e-14)
    assert srlm.spiked_bound([5.0, 0.02, 0.01, 3.0], 2, 0.1) == pytest.approx(2 + 0.03 / 0.1, rel=1e-14)


def test_polynomial_envelope_spectrum_against_closed_form() -> None:
    """lambda_i = i^-2: sum_{i>=1} 1/(1 + a^2 i^2) = pi/(2a) coth(pi/a) - 1/2 with a^2 = lam (exact series)."""
    lam = 1e-4
    a = np.sqrt(lam)
    exact = np.pi / (2 * a) / np.tanh(np.pi / a) - 0.5
    d = 2_000_000  # the omitted tail is below sum_{i>d} 1/(a^2 i^2) < 1/(a^2 d) = 0.005
    assert srlm.effective_dimension(srlm.polynomial_spectrum(d, 1.0, 2.0), lam) == pytest.approx(exact, abs=0.006)
    # the bound exceeds the largest d_eff its hypothesis allows by a pinned amount
    assert srlm.polynomial_bound(lam, 1.0, 2.0) - exact == pytest.approx(201 - exact, abs=1e-9)
    assert 201 - exact == pytest.approx(44.42, abs=0.01)


def test_exponential_envelope_spectrum_against_mpmath() -> None:
    mpmath = pytest.importorskip("mpmath")
    C, c, lam = 1.5, 0.4, 1e-6
    exact = float(mpmath.nsum(lambda i: 1 / (1 + (lam / C) * mpmath.exp(c * i)), [1, mpmath.inf]))
    ev = srlm.exponential_spectrum(200, C, c)  # lambda_200 / lam < 1e-28: the omitted tail is negligible
    assert srlm.effective_dimension(ev, lam) == pytest.approx(exact, rel=1e-12)
    assert srlm.exponential_bound(lam, C, c) >= exact


def test_spiked_bound_is_the_supremum_over_flat_tails() -> None:
    """For d - k tail directions and tail mass tau, a flat tail and huge spikes give
    k + (d-k) tau/(tau + (d-k) lam) (Jensen on t -> t/(t + lam)); this tends to the bound as d grows."""
    k, tau, lam = 3, 0.2, 0.01
    for d in (10, 1000, 100_000):
        ev = srlm.spiked_spectrum(d, k, 1e12, tau)
        jensen = k + (d - k) * tau / (tau + (d - k) * lam)
        assert srlm.effective_dimension(ev, lam) == pytest.approx(jensen, rel=1e-9)
    assert srlm.spiked_bound(ev, k, lam) == pytest.approx(k + tau / lam)
    assert srlm.spiked_bound(ev, k, lam) - jensen < 0.01


def test_envelopes_pinned_and_minimal() -> None:
    assert srlm.polynomial_envelope([1.0, 1.0, 4.0], 2.0) == 9.0  # sorted: 4*1, 1*4, 1*9
    assert srlm.exponential_envelope([1.0, np.exp(-2.0)], 1.0) == pytest.approx(np.e)
    ev = srlm.polynomial_spectrum(50, 0.7, 1.5)
    assert srlm.polynomial_envelope(ev, 1.5) == pytest.approx(0.7, rel=1e-14)
    C = srlm.polynomial_envelope(ev[::-1] * np.linspace(1, 2, 50), 1.5)  # any spectrum: tight at one index
    spec = np.sort(ev[::-1] * np.linspace(1, 2, 50))[::-1]
    ratio = spec / (C * np.arange(1, 51) ** -1.5)
    assert ratio.max() == pytest.approx(1.0, rel=1e-14)


def test_best_spiked_bound_against_enumeration(rng: np.random.Generator) -> None:
    ev = rng.exponential(size=40) ** 3
    for lam in (1e-3, 0.1, 10.0):
        vals = [srlm.spiked_bound(ev, k, lam) for k in range(41)]
        best, k = srlm.best_spiked_bound(ev, lam)
        assert best == pytest.approx(min(vals)) and k == int(np.argmin(vals))
        assert k == int(np.sum(ev > lam)) and best <= min(40, ev.sum() / lam) + 1e-12


def test_envelope_bad_input() -> None:
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        srlm.polynomial_envelope([1.0], -1.0)
    with pytest.raises(ValueError, match="overflows"):
        srlm.exponential_envelope(np.ones(10), 200.0)
    with pytest.raises(ValueError, match="c must be > 0"):
        srlm.exponential_envelope([1.0], 0.0)


def test_extreme_spectra_pinned() -> None:
    # lambda_i = lambda = 1e308: each term is 1/2 (the sum lambda_i + lambda overflows)
    assert srlm.effective_dimension(np.array([1e308, 1e308]), 1e308) == pytest.approx(1.0, rel=1e-15)
    # log(C/lam)/c + 1 + 1/(e^c - 1) with C/lam = 1e600 (overflows): 600 log 10 / 2 + 1 + 1/(e^2 - 1)
    expected = 600 * np.log(10.0) / 2 + 1 + 1 / np.expm1(2.0)
    assert srlm.exponential_bound(1e-300, 1e300, 2.0) == pytest.approx(expected, rel=1e-14)
    assert srlm.exponential_bound(1.0, 1.0, 800.0) == 1.0  # 1/(e^800 - 1) underflows to 0, not an error
    with pytest.raises(OverflowError, match="c is too small"):
        srlm.exponential_bound(1.0, 1.0, 1e-320)
    # 1 + (C/lam)^(1/alpha) alpha/(alpha-1) with C/lam = 1e400: 1 + 1e200 * 2
    assert srlm.polynomial_bound(1e-200, 1e200, 2.0) == pytest.approx(2e200, rel=1e-13)
    with pytest.raises(OverflowError, match="overflows float64"):
        srlm.polynomial_envelope(np.ones(3), 1e300)
    with pytest.raises(ValueError, match="size limit"):
        srlm.exponential_spectrum(10**9, 1.0, 1.0)
    assert srlm.polynomial_envelope(np.array([1.0, 0.0]), 2000.0) == 1.0  # 0 * 2^2000 is 0, not NaN

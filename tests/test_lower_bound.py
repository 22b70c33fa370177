from __future__ import annotations

import mpmath
import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import lambertw

import srlm


def test_wm1_branch_and_domain() -> None:
    z = -np.logspace(-12, np.log10(np.exp(-1.0)) - 1e-9, 50)
    w = srlm.lambert_wm1(z)
    assert np.all(w <= -1.0)
    np.testing.assert_allclose(w * np.exp(w), z, rtol=1e-10)
    # near the branch point scipy's k=-1 loses digits; ours must match 50-digit mpmath
    for gap in (1e-3, 1e-6, 1e-9, 1e-12, 1e-14):
        zz = -np.exp(-1.0) * (1 - gap)
        ref = float(mpmath.lambertw(mpmath.mpf(zz), -1).real)
        assert srlm.lambert_wm1(zz) == pytest.approx(ref, rel=1e-9, abs=1e-9)
    assert srlm.lambert_wm1(-np.exp(-1.0)) == pytest.approx(-1.0, abs=1e-7)
    for bad in (-0.4, 0.0, 0.1):
        with pytest.raises(ValueError, match=r"z must lie in \[-1/e, 0\)"):
            srlm.lambert_wm1(bad)
    assert isinstance(srlm.lambert_wm1(-0.1), float)
    # the principal branch is the other root
    assert np.real(lambertw(-0.1, 0)) > -1 > srlm.lambert_wm1(-0.1)


def test_closed_form_solves_scalar_condition() -> None:
    a, c = srlm.floor_constants(10.0, 200.0, 1.0)
    n0 = srlm.sample_threshold(a, c)
    for n in np.geomspace(n0 * 1.001, 1e12, 40):
        d = srlm.min_failure_rate(n, a, c)
        target = a / n
        root = brentq(
            lambda t, y=target: srlm.floor_function(t, c) - y, 1e-300, c * np.exp(-0.5), xtol=1e-300, rtol=1e-15
        )
        assert d == pytest.approx(root, rel=1e-10)
        assert d <= c * np.exp(-0.5) * (1 + 1e-12)


def test_asymptotic_ratio_tends_to_one() -> None:
    a, c = srlm.floor_constants(50.0, 1000.0, 2.0)
    n = np.geomspace(1e6, 1e30, 12)
    ratio = srlm.min_failure_rate_asymptotic(n, a, c) / srlm.min_failure_rate(n, a, c)
    assert np.all(np.diff(np.abs(ratio - 1)) < 0)  # the relative gap shrinks monotonically
    assert abs(ratio[-1] - 1) < abs(ratio[0] - 1)
    assert abs(ratio[-1] - 1) < 0.05


def test_constants() -> None:
    a, c = srlm.floor_constants(9.0, 100.0, 1.0)
    assert a == pytest.approx(np.log(2) * 2 * 8 * 100 / (16 * 3))
    assert c == pytest.approx(4.0)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="kappa0 must be >= 1"):
        srlm.floor_constants(0.5, 10.0)
    with pytest.raises(ValueError, match="deterministic base policy"):
        srlm.floor_constants(1.0, 10.0)
    with pytest.raises(ValueError, match="log_class_size must be > 0"):
        srlm.floor_constants(2.0, 0.0)
    with pytest.raises(ValueError, match="g must be > 0"):
        srlm.floor_constants(2.0, 10.0, g=-1.0)
    a, c = srlm.floor_constants(10.0, 200.0)
    with pytest.raises(ValueError, match="sample threshold"):
        srlm.min_failure_rate(srlm.sample_threshold(a, c) / 2, a, c)
    with pytest.raises(ValueError, match="n must be > 0"):
        srlm.min_failure_rate(-5.0, a, c)
    with pytest.raises(ValueError, match="n must be finite"):
        srlm.min_failure_rate(np.nan, a, c)
    with pytest.raises(ValueError, match="asymptotic"):
        srlm.min_failure_rate_asymptotic(1.0, a, c)
    with pytest.raises(ValueError, match=r"delta must lie in \(0, C\)"):
        srlm.floor_function(c, c)


def test_samples_for_floor_inverts_the_floor() -> None:
    for delta in (0.01, 0.05, 0.2):
        n = srlm.samples_for_floor(delta, 10.0, 200.0, 1.0)
        a, c = srlm.floor_constants(10.0, 200.0, 1.0)
        assert srlm.min_failure_rate(n, a, c) == pytest.approx(delta, rel=1e-10)
    with pytest.raises(ValueError, match="increasing branch"):
        srlm.samples_for_floor(100.0, 10.0, 200.0)

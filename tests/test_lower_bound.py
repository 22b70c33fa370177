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


def test_wm1_against_mpmath_at_pinned_points() -> None:
    pts = [-1e-300, -1e-10, -1e-3, -0.1, -0.3, -0.36, -np.exp(-1.0) * (1 - 1e-5), -np.exp(-1.0) * (1 - 1e-11)]
    for z in pts:
        with mpmath.workdps(40):
            ref = float(mpmath.lambertw(mpmath.mpf(z), -1).real)
        # near -1/e, W_{-1} is ill-conditioned (dW/dz -> infinity): a double z pins W only to ~sqrt(ulp)
        tol = 1e-12 if 1 + np.e * z > 1e-4 else 1e-9
        assert srlm.lambert_wm1(z) == pytest.approx(ref, rel=tol, abs=tol)
    np.testing.assert_allclose(srlm.lambert_wm1(np.array(pts[:3])), [srlm.lambert_wm1(p) for p in pts[:3]])


@pytest.mark.parametrize(("kappa0", "g"), [(10.0, 1.0), (1.5, 0.2)])
def test_floor_guard_at_the_threshold(kappa0: float, g: float) -> None:
    a, c = srlm.floor_constants(kappa0, 50.0, g)
    n0 = srlm.sample_threshold(a, c)
    assert n0 == pytest.approx(2 * np.e * a / c**2, rel=1e-15)
    # at n0 the two roots of f = A/n merge at the maximum of f: delta = C e^{-1/2}, f = C^2/(2e) = A/n0
    assert srlm.min_failure_rate(n0, a, c) == pytest.approx(c * np.exp(-0.5), rel=1e-7)
    assert float(srlm.floor_function(c * np.exp(-0.5), c)) == pytest.approx(a / n0, rel=1e-14)
    above = srlm.min_failure_rate(n0 * (1 + 1e-6), a, c)
    assert above < c * np.exp(-0.5) and above == pytest.approx(c * np.exp(-0.5), rel=1e-2)
    with pytest.raises(ValueError, match="sample threshold"):
        srlm.min_failure_rate(n0 * (1 - 1e-6), a, c)
    # an independent root on the increasing branch just above the threshold
    n1 = 3 * n0
    ref = mpmath.findroot(lambda d: d**2 * mpmath.log(c / d) - a / n1, (1e-12, c * mpmath.exp(-0.5)), solver="anderson")
    assert srlm.min_failure_rate(n1, a, c) == pytest.approx(float(ref), rel=1e-10)


def _cli_floor(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    import json

    from srlm.cli import main

    assert main(["floor", *args, "--json"]) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


@pytest.mark.parametrize(("kappa0", "g"), [(10.0, 1.0), (1.5, 0.2)])
def test_cli_floor_regimes_on_both_sides_of_the_threshold(
    capsys: pytest.CaptureFixture[str], kappa0: float, g: float
) -> None:
    a, c = srlm.floor_constants(kappa0, 50.0, g)
    n0 = srlm.sample_threshold(a, c)
    top = min(0.25, c * np.exp(-0.5))
    below = _cli_floor(capsys, "--kappa0", str(kappa0), "--log-pi", "50", "--g", str(g), "--n", repr(n0 * (1 - 1e-9)))
    at = _cli_floor(capsys, "--kappa0", str(kappa0), "--log-pi", "50", "--g", str(g), "--n", repr(n0))
    after = _cli_floor(capsys, "--kappa0", str(kappa0), "--log-pi", "50", "--g", str(g), "--n", repr(n0 * 1.5))
    assert below["regime"] == "constant" and below["delta_min"] == top
    assert at["regime"] == "lambert" and at["delta_min"] == pytest.approx(top, rel=1e-7)  # continuous at n0
    assert after["regime"] == "lambert"
    assert after["delta_min"] == pytest.approx(min(0.25, srlm.min_failure_rate(n0 * 1.5, a, c)), rel=1e-12)
    assert after["proven"] == srlm.proven_failure_rate(int(np.floor(n0 * 1.5)), kappa0, 50.0, g)
    assert all(0 < float(d["delta_min"]) <= 0.25 for d in (below, at, after))  # type: ignore[arg-type]
    none = _cli_floor(capsys, "--kappa0", "10", "--log-pi", "1", "--n", "30")
    assert none["proven"] is None  # no instance fits the class budget: nothing is proven

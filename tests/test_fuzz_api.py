"""Property-based fuzz of the closed-form bounds, spectra, linear-class, loop and text helpers (hypothesis).

Every call must end in one of the documented outcome classes:

- a result with no NaN and no inf (``-inf`` only where a log-probability of zero is meant);
- :class:`srlm._validate.Float64RangeError` (an :class:`OverflowError` and a :class:`ValueError`) when the
  true value is finite but beyond float64, its message naming what drives it;
- :class:`ValueError` or :class:`TypeError` with a message that names an argument.

Nothing else: no bare ``OverflowError``/``ZeroDivisionError``/``IndexError``, no NumPy ``RuntimeWarning``
(the test suite turns warnings into errors), no hang (examples are bounded; sizes have limits).
The examples are derandomised, so a run is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srlm
from srlm._validate import Float64RangeError

FUZZ = settings(
    max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

positive = st.floats(min_value=5e-324, max_value=1.7e308)
unit = st.floats(min_value=5e-324, max_value=1.0)
odd = st.sampled_from([0.0, -0.0, -1.0, math.nan, math.inf, -math.inf, True, None, "1", 1 + 0j, [1.0], 10**400])
scalar = st.one_of(positive, unit, st.floats(allow_nan=True, allow_infinity=True), odd)


def _finite_values(out: Any) -> list[float]:
    if isinstance(out, (bool, str)) or out is None:
        return []
    if isinstance(out, (int, float, np.floating, np.integer)):
        return [float(out)]
    if isinstance(out, np.ndarray):
        return [float(v) for v in np.asarray(out, dtype=np.float64).ravel()]
    if isinstance(out, (tuple, list)):
        return [v for item in out for v in _finite_values(item)]
    return []


def outcome(fn: Callable[..., Any], *args: Any, names: Sequence[str] = ()) -> str:
    """Call ``fn`` and classify; fail the test on any outcome outside the documented classes."""
    try:
        out = fn(*args)
    except Float64RangeError as exc:
        assert "overflows float64" in str(exc) or "exceeds" in str(exc), str(exc)
        return "range"
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        assert msg, f"{type(exc).__name__} without a message"
        if names:
            assert any(n in msg for n in names), f"message names no argument of {names}: {msg}"
        return "rejected"
    vals = _finite_values(out)
    assert not any(math.isnan(v) for v in vals), f"NaN from {fn.__name__}{args}"
    assert all(math.isfinite(v) for v in vals), f"inf from {fn.__name__}{args}: {out}"
    return "ok"


# ---------------------------------------------------------------- bounds.py
@FUZZ
@given(scalar, scalar)
def test_two_argument_bounds(x: Any, y: Any) -> None:
    for fn, names in (
        (srlm.kappa_mean_bound, ("K", "mu")),
        (srlm.kappa_tail_bound, ("K", "mu")),
        (srlm.two_point_law, ("K", "mu")),
        (srlm.fixed_point, ("a", "b")),
        (srlm.contraction_factor, ("a", "b")),
        (srlm.sample_threshold, ("A", "C")),
        (srlm.floor_function, ("delta", "C")),
        (srlm.log_ratio_lipschitz_constant, ("radius", "n_responses")),
    ):
        outcome(fn, x, y, names=names)
    outcome(srlm.switch_point, x, names=("K",))


@FUZZ
@given(scalar, scalar, scalar)
def test_three_argument_bounds(x: Any, y: Any, z: Any) -> None:
    for fn, names in (
        (srlm.gap_failure_bound, ("gap", "gamma", "eps")),
        (srlm.rounds_needed, ("a", "b", "kappa0")),
        (srlm.floor_constants, ("kappa0", "log_class_size", "g")),
        (srlm.min_failure_rate, ("n", "A", "C")),
        (srlm.min_failure_rate_asymptotic, ("n", "A", "C")),
        (srlm.exponential_bound, ("lam", "C", "c")),
        (srlm.polynomial_bound, ("lam", "C", "alpha")),
        (srlm.ball_net_size_bound, ("d", "radius", "r")),
    ):
        outcome(fn, x, y, z, names=names)
    outcome(srlm.ball_net_size_bound, 3, y, z, names=("radius", "r"))


@FUZZ
@given(scalar, scalar, scalar, scalar)
def test_four_argument_bounds(x: Any, y: Any, z: Any, w: Any) -> None:
    outcome(srlm.recurrence_constants, x, y, z, w, names=("n", "log_class_size", "gamma", "mu", "b'"))
    outcome(srlm.composed_map, 1.0 + abs(x) if isinstance(x, float) else x, y, z, w, 0.5)
    outcome(srlm.samples_for_floor, x, y, z, w, names=("delta", "kappa0", "log_class_size", "g"))
    outcome(srlm.rounds_needed, x, y, z, w, names=("a", "b", "kappa0", "mu"))
    outcome(srlm.iterate_recurrence, x, y, z, 5, names=("a", "b", "kappa0"))
    outcome(srlm.envelope, x, y, z, np.arange(4), names=("a", "b", "kappa0"))
    outcome(srlm.failure_bound, np.arange(1, 4), x, y, 0.1, z, 1.5, 1.0, w, 0.5)


@FUZZ
@given(positive, positive)
def test_recurrence_values_against_mpmath(a: float, b: float) -> None:
    """kappa_inf and rho agree with 50-digit arithmetic wherever they are representable; never a wrong 0 or inf."""
    mp.mp.dps = 50
    am, bm = mp.mpf(a), mp.mpf(b)
    root = (bm + mp.sqrt(bm * bm + 4 * am)) / 2
    rho_exact = float(bm / (2 * root))
    assert srlm.contraction_factor(a, b) == pytest.approx(rho_exact, rel=1e-13, abs=5e-324)
    kinf = root * root
    if kinf < mp.mpf("1.7e308"):
        assert srlm.fixed_point(a, b) == pytest.approx(float(kinf), rel=1e-13)
    elif kinf > mp.mpf("1.8e308"):
        with pytest.raises(OverflowError, match="kappa_inf"):
            srlm.fixed_point(a, b)


@FUZZ
@given(positive, positive, st.floats(min_value=1.0, max_value=1e300))
def test_rounds_needed_is_the_least_T(a: float, b: float, kappa0: float) -> None:
    """T is the least integer >= 1 with rho^((T-1)/2) sqrt(kappa0) <= sqrt(kappa_inf), checked in 50 digits."""
    mp.mp.dps = 50
    am, bm = mp.mpf(a), mp.mpf(b)
    root = (bm + mp.sqrt(bm * bm + 4 * am)) / 2
    rho, s = bm / (2 * root), root * root
    t = srlm.rounds_needed(a, b, kappa0)
    assert t >= 1

    def ok(k: int) -> bool:
        return bool((k - 1) * mp.log(rho) + mp.log(kappa0) <= mp.log(s) + 1e-10 * (1 + abs(mp.log(s))))

    assert ok(t)
    if t > 1:
        assert not ok(t - 1) or abs((t - 2) * mp.log(rho) + mp.log(kappa0) - mp.log(s)) < 1e-9 * abs(mp.log(s)) + 1e-9


@FUZZ
@given(st.floats(min_value=5e-324, max_value=1.0), st.floats(min_value=5e-324, max_value=1.0))
def test_tail_bound_between_sharp_bound_and_one_over_mu(k: float, mu: float) -> None:
    """kappa_mean_bound <= kappa_tail_bound <= 1/mu, whenever the three are representable."""
    if 1.0 / mu > 1e308:
        return
    sharp, tail = srlm.kappa_mean_bound(k, mu), srlm.kappa_tail_bound(k, mu)
    assert sharp * (1 - 1e-12) <= tail <= (1.0 / mu) * (1 + 1e-12)


def test_pinned_extreme_cases() -> None:
    """The cases of issue 13, against values computed by hand."""
    # K = mu = 1e-160: 1 + K/mu + K log((1-mu)(1-K)/(mu K)) = 2 + 1e-160 * 736.8...
    assert srlm.kappa_tail_bound(1e-160, 1e-160) == pytest.approx(2.0, rel=1e-15)
    # rho = b/(b + sqrt(b^2 + 4a)) = 1/2 - a/b^2 + ... at b = 1.35e154 (b^2 overflows float64)
    assert srlm.contraction_factor(1, 1.35e154) == 0.5
    # a = 1, b = 5e-324: kappa_inf = 1 (to float64), rho ~ 2.5e-324; two rounds bring kappa0 = 10 to the floor
    assert srlm.rounds_needed(1, 5e-324, 10) == 2
    # asymptotic floor sqrt(2A/(n log(n C^2/(2A)))) at n = 1e308, A = C = 1: about 5.31e-156, not 0
    expected = math.sqrt(2.0) / math.sqrt(1e308) / math.sqrt(math.log(1e308 / 2.0))
    assert srlm.min_failure_rate_asymptotic(1e308, 1.0, 1.0) == pytest.approx(expected, rel=1e-14)
    # delta^2 log(C/delta) at delta = 5e-324 underflows to 0 (true value 1.8e-645), never NaN
    assert srlm.floor_function(5e-324, 1.0) == 0.0
    # the idealised floor at n = 1e308 by mpmath's W_{-1}
    a, c = srlm.floor_constants(10.0, 200.0, 1.0)
    mp.mp.dps = 40
    z = -2 * mp.mpf(a) / (mp.mpf(1e308) * mp.mpf(c) ** 2)
    exact = float(c * mp.exp(mp.lambertw(z, -1).real / 2))
    assert srlm.min_failure_rate(1e308, a, c) == pytest.approx(exact, rel=1e-12)


# ---------------------------------------------------------------- spectra, linear, hard instance, loop, text
arrays = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=6).map(np.array),
    st.lists(st.floats(min_value=0, max_value=1e308), min_size=1, max_size=6).map(np.array),
    odd,
)


@FUZZ
@given(arrays, scalar)
def test_spectrum_functions(ev: Any, x: Any) -> None:
    outcome(srlm.effective_dimension, ev, x, names=("eigenvalues", "lam"))
    outcome(srlm.best_spiked_bound, ev, x, names=("eigenvalues", "lam"))
    outcome(srlm.spiked_bound, ev, 1, x, names=("eigenvalues", "lam", "k"))
    outcome(srlm.polynomial_envelope, ev, x, names=("eigenvalues", "alpha"))
    outcome(srlm.exponential_envelope, ev, x, names=("eigenvalues", "c"))
    outcome(srlm.project_to_ball, ev, x, names=("theta", "radius"))
    outcome(srlm.lambert_wm1, ev, names=("z",))


sizes = st.one_of(st.integers(min_value=-2, max_value=10**4), st.sampled_from([10**9, 10**12, 10**400]), odd)


@FUZZ
@given(sizes, scalar, scalar)
def test_sized_constructors(d: Any, x: Any, y: Any) -> None:
    for fn in (srlm.exponential_spectrum, srlm.polynomial_spectrum):
        outcome(fn, d, x, y, names=("d", "C", "c", "alpha"))
    outcome(srlm.spiked_spectrum, d, 1, x, y, names=("d", "k", "spike", "tail_mass"))
    outcome(srlm.random_unit_features, np.random.default_rng(0), 2, 2, d, names=("d", "n_prompts"))


@FUZZ
@given(scalar, scalar, scalar, scalar)
def test_hard_instance_functions(delta: Any, kappa0: Any, log_pi: Any, g: Any) -> None:
    names = ("delta", "kappa0", "log_class_size", "g", "M", "n*", "N", "size limit")
    outcome(srlm.required_samples, delta, kappa0, log_pi, g, names=names)
    outcome(srlm.HardInstance.for_target, delta, kappa0, log_pi, g, names=names)
    outcome(srlm.proven_failure_rate, 100, kappa0, log_pi, g, names=names)


@FUZZ
@given(st.one_of(st.integers(min_value=-1, max_value=10**7), odd), scalar, scalar)
def test_loop_arguments(n: Any, beta: Any, noise: Any) -> None:
    pol = srlm.TabularPolicy.random(np.random.default_rng(3), 2, 3, 1.0)
    names = ("n", "beta", "noise_scale", "rounds", "work")
    outcome(srlm.run_self_rewarding, pol, beta, n, 1, np.random.default_rng(0), 1, noise, names=names)
    outcome(srlm.late_stage_excess, n, 3, np.full(2, 0.5), beta, names=("n", "beta", "2 n w_x T"))


@FUZZ
@given(st.one_of(st.text(max_size=8), st.integers(), st.none(), st.just(b"x")))
def test_symbolic_never_evaluates_strings(value: Any) -> None:
    pytest.importorskip("sympy")
    for fn in (srlm.is_zero, lambda v: srlm.is_identity(v, 0)):
        result = outcome(fn, value, names=("expr", "lhs"))
        if isinstance(value, (str, bytes)):
            assert result == "rejected"


@FUZZ
@given(st.lists(st.text(max_size=6), max_size=3), st.one_of(st.integers(min_value=-1, max_value=10**10), odd))
def test_text_helpers(texts: list[str], dim: Any) -> None:
    outcome(srlm.hashed_ngram_features, texts, dim, names=("texts", "dim"))
    outcome(srlm.corpus_sha256, [(t, t) for t in texts], names=("corpus",))


@FUZZ
@given(scalar, st.sampled_from([1.0, 1e300, 1e-300, 5e-324]), st.one_of(st.none(), scalar))
def test_dpo_and_linear_steps(beta: Any, label_scale: float, radius: Any) -> None:
    rng = np.random.default_rng(5)
    pol = srlm.TabularPolicy.random(rng, 3, 4, 1.0)
    ref = srlm.TabularPolicy.random(rng, 3, 4, 1.0)
    labels = rng.normal(size=6) * label_scale
    data = srlm.RoundData(rng.integers(0, 3, 6), rng.integers(0, 4, 6), rng.integers(0, 4, 6), labels)
    names = ("beta", "radius", "labels", "design", "target")
    for fn in (srlm.dpo_residuals, srlm.dpo_square_loss, srlm.dpo_logistic_loss):
        outcome(fn, pol, ref, data, beta, names=names)
    outcome(srlm.tabular_dpo_erm, ref, data, beta, names=names)
    phi = srlm.random_unit_features(rng, 3, 4, 2)
    outcome(srlm.linear_dpo_erm, phi, np.zeros(2), data, beta, radius, names=names)
    outcome(srlm.linear_softmax_logp, phi, np.full(2, label_scale), names=("theta",))


@FUZZ
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=6, max_size=6), scalar, st.integers(-3, 5))
def test_policy_level_bounds(values: list[float], eps: Any, target: int) -> None:
    pol = srlm.TabularPolicy.random(np.random.default_rng(2), 2, 3, 1.0)
    reward = np.array(values).reshape(2, 3)
    names = ("reward", "J(pi)", "gap", "margin", "eps", "target")
    outcome(srlm.performance, pol, reward, names=names)
    outcome(srlm.performance_gap, pol, reward, names=names)
    outcome(srlm.reward_margin, reward, names=names)
    outcome(srlm.failure_probability, pol, eps, names=names)
    outcome(srlm.failure_probability, pol, 0.5, np.full(2, target), names=names)
    outcome(srlm.min_confidence, pol, names=names)

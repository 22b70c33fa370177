from __future__ import annotations

import numpy as np
import pytest

import srlm
from srlm import _validate as v


def test_probability_vector_accepts_and_rejects() -> None:
    np.testing.assert_allclose(v.check_probability_vector([0.25, 0.75], "p"), [0.25, 0.75])
    with pytest.raises(ValueError, match="p must sum to 1"):
        v.check_probability_vector([0.2, 0.7], "p")
    with pytest.raises(ValueError, match="p must be non-negative"):
        v.check_probability_vector([1.5, -0.5], "p")
    with pytest.raises(ValueError, match="p must be finite"):
        v.check_probability_vector([np.nan, 1.0], "p")
    with pytest.raises(ValueError, match="p must be 1-dimensional"):
        v.check_probability_vector([[1.0]], "p")
    with pytest.raises(TypeError, match="p must be a real"):
        v.check_probability_vector("abc", "p")
    with pytest.raises(ValueError, match="p must not be empty"):
        v.check_probability_vector([], "p")


def test_probability_table_names_the_bad_row() -> None:
    with pytest.raises(ValueError, match="row 1 sums to 0.9"):
        v.check_probability_table([[0.5, 0.5], [0.4, 0.5]], "probs")


def test_scalars() -> None:
    assert v.check_positive(2, "beta") == 2.0
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="beta must be > 0"):
            v.check_positive(bad, "beta")
    with pytest.raises(ValueError, match="beta must be finite"):
        v.check_positive(float("inf"), "beta")
    with pytest.raises(TypeError, match="beta must be a real number"):
        v.check_positive(True, "beta")
    with pytest.raises(TypeError, match="beta must be a real number"):
        v.check_positive("1", "beta")
    assert v.check_in_interval(0.5, "a", 0, 1) == 0.5
    with pytest.raises(ValueError, match=r"a must lie in \(0, 1\]"):
        v.check_in_interval(0.0, "a", 0, 1, closed_high=True)
    assert v.check_int(np.int64(3), "n", minimum=1) == 3
    with pytest.raises(ValueError, match="n must be >= 1"):
        v.check_int(0, "n", minimum=1)
    with pytest.raises(TypeError, match="n must be an integer"):
        v.check_int(2.0, "n")


def test_generator_and_indices() -> None:
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        v.check_generator(np.random.RandomState(0))
    with pytest.raises(TypeError, match="idx must be an integer array"):
        v.check_index_array([0.0, 1.0], "idx", 3)
    with pytest.raises(ValueError, match="idx must have entries in 0..2"):
        v.check_index_array([0, 3], "idx", 3)
    with pytest.raises(TypeError, match="x must be a real numeric array"):
        v.as_float_array([1 + 2j], "x")


def test_float32_tables_are_accepted_within_their_rounding() -> None:
    from srlm._validate import check_probability_table, dtype_tolerance

    p = np.full((2, 3), 1 / 3, dtype=np.float32)
    assert abs(float(p.astype(np.float64).sum(axis=1).max()) - 1) > 1e-8  # would fail the float64 rule
    check_probability_table(p, "p")
    srlm.TabularPolicy.from_probs(p)
    assert dtype_tolerance(np.zeros(2), 2) == 1e-9
    assert dtype_tolerance(np.zeros(2, np.float32), 10) == pytest.approx(80 * np.finfo(np.float32).eps)
    with pytest.raises(ValueError, match="must sum to 1"):
        check_probability_table(np.array([[0.6, 0.5]], dtype=np.float32), "p")


def test_complex_and_none_are_refused() -> None:
    from srlm._validate import as_float_array, check_index_array, check_scalar

    with pytest.raises(TypeError, match="x must be a real numeric array"):
        as_float_array(np.array([1 + 0j]), "x")
    with pytest.raises(TypeError, match="x must be a real array"):
        as_float_array(None, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="x must be a real array"):
        as_float_array([[1.0], [1.0, 2.0]], "x")
    with pytest.raises(TypeError, match="x must be a real number"):
        check_scalar(1 + 0j, "x")
    assert check_index_array([], "ids", 3).dtype == np.intp


def test_size_power_and_condition_number_rule() -> None:
    from srlm._validate import check_condition_number, check_size_power

    assert check_size_power(3, 4, 81, "v**L") == 81
    assert check_size_power(1, 10**18, 1, "v**L") == 1
    with pytest.raises(ValueError, match=r"v\*\*L = 3\*\*1000000000000 exceeds the limit 80"):
        check_size_power(3, 10**12, 80, "v**L")  # returns at once: the power is never built
    assert check_condition_number(1, "kappa0") == 1.0
    for bad, exc in ((0.999, ValueError), (float("nan"), ValueError), ("2", TypeError), (True, TypeError)):
        with pytest.raises(exc, match="kappa0"):
            check_condition_number(bad, "kappa0")

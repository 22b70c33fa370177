"""The CLI, run as a subprocess exactly as a reader would."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import srlm


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "srlm", *args], capture_output=True, text=True, input=stdin, timeout=60, check=False
    )


def test_floor_matches_library() -> None:
    out = run("floor", "--kappa0", "10", "--log-pi", "200", "--n", "5000", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    a, c = srlm.floor_constants(10.0, 200.0, 1.0)
    assert data["delta_min"] == pytest.approx(srlm.min_failure_rate(5000.0, a, c), rel=1e-12)
    assert data["threshold"] == pytest.approx(srlm.sample_threshold(a, c))
    assert data["regime"] == "lambert" and data["asymptotic"] > data["delta_min"]
    text = run("floor", "--kappa0", "10", "--log-pi", "200", "--n", "5000")
    assert "delta_min" in text.stdout and text.returncode == 0


def test_floor_below_threshold_is_constant() -> None:
    data = json.loads(run("floor", "--kappa0", "10", "--log-pi", "200", "--n", "3", "--json").stdout)
    assert data["regime"] == "constant" and data["delta_min"] == 0.25 and data["asymptotic"] is None


def test_rounds_given_and_companion() -> None:
    data = json.loads(run("rounds", "--a", "1", "--b", "0.3", "--kappa0", "1000", "--json").stdout)
    assert data["kappa_inf"] == pytest.approx(srlm.fixed_point(1.0, 0.3))
    assert data["rounds"] == srlm.rounds_needed(1.0, 0.3, 1000.0)
    comp = json.loads(
        run("rounds", "--n", "1e6", "--log-pi", "20", "--gamma", "1", "--mu", "0.2", "--kappa0", "5", "--json").stdout
    )
    a, b = srlm.recurrence_constants(1e6, 20.0, 1.0, 0.2)
    assert comp["b"] == pytest.approx(b) and comp["a"] == a
    # independent: b' = (1 + 2/e) sqrt(L/n)/(gamma mu); kinf, rho by hand; smallest T by a plain loop
    b_hand = (1 + 2 / math.e) * math.sqrt(20 / 1e6) / 0.2
    u = (b_hand + math.sqrt(b_hand**2 + 4)) / 2
    assert comp["b"] == pytest.approx(b_hand, rel=1e-12) and comp["kappa_inf"] == pytest.approx(u * u, rel=1e-12)
    assert comp["rho"] == pytest.approx(b_hand / (2 * u), rel=1e-12)
    floor = min(u * u, 1 / 0.2)
    assert comp["stable_floor"] == pytest.approx(floor, rel=1e-12)
    first = next(t for t in range(1, 100) if (b_hand / (2 * u)) ** ((t - 1) / 2) * math.sqrt(5.0) <= math.sqrt(floor))
    assert comp["rounds"] == first


def test_rounds_pinned_hand_case() -> None:
    # a = 2, b = 1: kinf = 4, rho = 1/4, and T = 3 is the smallest with 4^T >= kappa0 = 64
    data = json.loads(run("rounds", "--a", "2", "--b", "1", "--kappa0", "64", "--json").stdout)
    assert data["kappa_inf"] == pytest.approx(4.0) and data["rho"] == pytest.approx(0.25) and data["rounds"] == 3
    capped = json.loads(run("rounds", "--a", "2", "--b", "1", "--kappa0", "3", "--mu", "0.25", "--json").stdout)
    assert capped["stable_floor"] == pytest.approx(4.0) and capped["rounds"] == 1


def test_kappa_from_file_and_stdin(tmp_path: Path) -> None:
    lp = np.log([0.9, 0.5, 0.25])
    f = tmp_path / "lp.txt"
    f.write_text("\n".join(f"{v:.17g}" for v in lp) + "\n")
    data = json.loads(run("kappa", str(f), "--json").stdout)
    assert data["kappa"] == pytest.approx(np.mean(1 / np.array([0.9, 0.5, 0.25])))
    csvf = tmp_path / "lp.csv"
    csvf.write_text("prompt,logprob\n" + "\n".join(f"p{i},{v:.17g}" for i, v in enumerate(lp)) + "\n")
    assert json.loads(run("kappa", str(csvf), "--column", "logprob", "--json").stdout)["kappa"] == pytest.approx(
        data["kappa"]
    )
    piped = json.loads(run("kappa", "-", "--json", stdin="-0.1\n-0.2\n").stdout)
    assert piped["kappa"] == pytest.approx(np.mean(np.exp([0.1, 0.2])))
    assert "upper bound" in run("kappa", str(f)).stdout
    big = json.loads(run("kappa", "-", "--json", stdin="-800\n").stdout)
    assert big["log_kappa"] == pytest.approx(800.0) and big["kappa"] is None  # beyond float64: strict JSON null


def test_help_states_formulas() -> None:
    assert "W_{-1}" in run("floor", "--help").stdout
    rounds_help = run("rounds", "--help").stdout
    assert "kappa_inf = ((b + sqrt(b^2 + 4a))/2)^2" in rounds_help
    assert "b = (c1 sqrt(Lambda/n) + (2/e) c2 beta)/(gamma mu)" in rounds_help and "K_min" not in rounds_help
    assert "exp(-l_i)" in run("kappa", "--help").stdout


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (("floor", "--kappa0", "10", "--log-pi", "200", "--n", "-5"), None, "--n must be"),
        (("floor", "--kappa0", "0.5", "--log-pi", "200", "--n", "5"), None, "--kappa0 must be >= 1"),
        (("floor", "--kappa0", "1", "--log-pi", "200", "--n", "5"), None, "deterministic"),
        (("floor", "--kappa0", "10", "--log-pi", "0", "--n", "5"), None, "--log-pi must be"),
        (("floor", "--kappa0", "nan", "--log-pi", "2", "--n", "5"), None, "--kappa0 must be"),
        (("floor", "--kappa0", "abc", "--log-pi", "2", "--n", "5"), None, "--kappa0"),
        (("floor", "--log-pi", "2", "--n", "5"), None, "--kappa0"),
        (("rounds", "--kappa0", "3"), None, "give --a and --b"),
        (("rounds", "--a", "1", "--kappa0", "3"), None, "give both --a and --b"),
        (("rounds", "--a", "-1", "--b", "1", "--kappa0", "3"), None, "--a must be"),
        (("rounds", "--a", "1", "--b", "1", "--kappa0", "0.2"), None, "--kappa0 must be >= 1"),
        (("rounds", "--n", "10", "--log-pi", "2", "--gamma", "1", "--mu", "2", "--kappa0", "3"), None, "--mu"),
        (
            ("rounds", "--n", "1e6", "--log-pi", "20", "--gamma", "1", "--mu", "0.2", "--kappa0", "1000"),
            None,
            "--kappa0 must be <= 1/mu",
        ),
        (("kappa", "/nonexistent/file.txt"), None, "cannot be read"),
        (("kappa", "-"), "-0.1\nabc\n", "entry 2"),
        (("kappa", "-"), "-0.1\nnan\n", "NaN"),
        (("kappa", "-"), "0.5\n", "must be <= 0"),
        (("kappa", "-"), "", "no log-probabilities"),
        (("kappa", "-"), "a,b\n-1,-2\n", "--column"),
        (("kappa", "-", "--column", "c"), "a,b\n-1,-2\n", "not in the CSV header"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: tuple[str, ...], stdin: str | None, needle: str) -> None:
    out = run(*args, stdin=stdin)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], out.stderr
    assert out.stdout == ""


def test_console_script_installed() -> None:
    exe = Path(sys.executable).parent / "srlm"
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    out = subprocess.run(
        [str(exe), "rounds", "--a", "1", "--b", "1", "--kappa0", "5", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0 and json.loads(out.stdout)["rounds"] >= 1

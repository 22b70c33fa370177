"""Fuzz of the ``srlm`` command as a reader runs it (subprocesses, a bounded number of cases).

Every run must exit 0 or 2, never show a traceback, keep an error to one short line, and print
strict JSON (no ``NaN``/``Infinity``) with ``--json``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

VALUES = ["1", "0", "-1", "nan", "inf", "-inf", "5e-324", "1e308", "3e154", "1.35e154", "1e-160", "abc", "", "10",
          "0.5", "1e400", "2", "1.0000001", "200", "5000"]


def _random_cases(count: int, seed: int) -> list[list[str]]:
    rnd = random.Random(seed)
    cases = []
    for _ in range(count):
        kind = rnd.choice(["floor", "rounds", "companion"])
        if kind == "floor":
            args = ["floor", "--kappa0", rnd.choice(VALUES), "--log-pi", rnd.choice(VALUES), "--n", rnd.choice(VALUES)]
            if rnd.random() < 0.3:
                args += ["--g", rnd.choice(VALUES)]
        elif kind == "rounds":
            args = ["rounds", "--a", rnd.choice(VALUES), "--b", rnd.choice(VALUES), "--kappa0", rnd.choice(VALUES)]
            if rnd.random() < 0.3:
                args += ["--mu", rnd.choice(VALUES)]
        else:
            args = ["rounds", "--n", rnd.choice(VALUES), "--log-pi", rnd.choice(VALUES), "--gamma", rnd.choice(VALUES),
                    "--mu", rnd.choice(VALUES + ["0.2"]), "--kappa0", rnd.choice(VALUES)]
        cases.append(args + ["--json"] if rnd.random() < 0.6 else args)
    return cases


def _files(tmp: Path) -> dict[str, Path]:
    out = {
        "bom": tmp / "bom.csv",
        "long_line": tmp / "long.txt",
        "binary": tmp / "binary.dat",
        "beyond_float": tmp / "beyond.txt",
    }
    out["bom"].write_bytes("\ufefflp,x\n-0.5,1\n-1,2\n".encode())
    out["long_line"].write_text("x" * 2_000_000)
    out["binary"].write_bytes(b"\xff\xfe\x00\x01" * 100)
    out["beyond_float"].write_text("-1e300\n-1\n")
    return out


def _run(args: list[str]) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "srlm", *args], capture_output=True, text=True, timeout=60, check=False,
        stdin=subprocess.DEVNULL,
    )
    return args, proc


def test_cli_fuzz(tmp_path: Path) -> None:
    files = _files(tmp_path)
    fixed = [
        ["rounds", "--a", "1", "--b", "5e-324", "--kappa0", "10", "--json"],
        ["floor", "--kappa0", "3e154", "--log-pi", "1", "--n", "1", "--json"],
        ["rounds", "--a", "1", "--b", "1e308", "--kappa0", "1", "--json"],
        ["kappa", str(files["bom"]), "--column", "lp", "--json"],
        ["kappa", str(files["long_line"])],
        ["kappa", str(files["binary"])],
        ["kappa", str(files["beyond_float"]), "--json"],
        ["kappa", str(tmp_path)],
        ["--version"],
    ]
    if os.path.exists("/dev/zero"):
        fixed.append(["kappa", "/dev/zero"])
    cases = fixed + _random_cases(16, seed=13)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_run, cases))
    for args, proc in results:
        assert "Traceback" not in proc.stderr, (args, proc.stderr[-500:])
        assert proc.returncode in (0, 2), (args, proc.returncode, proc.stderr[-300:])
        if proc.returncode == 2:
            lines = proc.stderr.strip().splitlines()
            assert len(lines) == 1 and len(lines[0]) < 400, (args, proc.stderr[:500])
            assert proc.stdout == ""
        elif "--json" in args:
            assert not any(c in proc.stdout for c in ("NaN", "Infinity")), (args, proc.stdout)
            json.loads(proc.stdout)
    by_args = {tuple(a): p for a, p in results}
    bom = by_args[("kappa", str(files["bom"]), "--column", "lp", "--json")]
    assert bom.returncode == 0 and json.loads(bom.stdout)["prompts"] == 2
    beyond = json.loads(by_args[("kappa", str(files["beyond_float"]), "--json")].stdout)
    assert beyond["kappa"] is None and beyond["log_kappa"] == pytest.approx(1e300)
    assert json.loads(by_args[tuple(fixed[0])].stdout)["rounds"] == 2
    if os.path.exists("/dev/zero"):
        assert "input limit" in by_args[("kappa", "/dev/zero")].stderr


def test_help_and_version_without_docstrings() -> None:
    """``python -OO`` strips docstrings; the command must not depend on them."""
    for args in (["--help"], ["floor", "--help"], ["--version"]):
        out = subprocess.run(
            [sys.executable, "-OO", "-m", "srlm", *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    import srlm

    version = subprocess.run([sys.executable, "-m", "srlm", "--version"], capture_output=True, text=True, check=False)
    assert version.stdout.strip() == f"srlm {srlm.__version__}"
    from importlib.metadata import version as installed_version

    assert installed_version("srlm") == srlm.__version__  # one version string (pyproject reads srlm.__version__)

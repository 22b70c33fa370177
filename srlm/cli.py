r"""The ``srlm`` command: the paper's numbers without reading the proofs.

Subcommands::

    srlm floor  --kappa0 K --log-pi L --n N [--g G]
        single-step failure floor (Theorem 4.1)
    srlm rounds --a A --b B --kappa0 K [--mu M]
        kappa_inf, rho and the rounds of Corollary 5.7
    srlm rounds --n N --log-pi L --gamma G --mu M --kappa0 K
        the same from the companion constants
    srlm kappa  FILE [--column NAME]
        condition number from modal log-probabilities

Every subcommand takes ``--json`` (strict JSON: a value beyond float64 is ``null``).  Bad input
exits with status 2 and a one-line message naming the argument; an internal error exits with
status 1 and a one-line message; no traceback is shown.  ``srlm --version`` prints the version.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
from collections.abc import Sequence
from typing import IO, Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from srlm import __version__
from srlm._validate import check_condition_number
from srlm.bounds import contraction_factor, fixed_point, recurrence_constants, rounds_needed
from srlm.condition import log_condition_number_from_mode_logprobs
from srlm.hard_instance import proven_failure_rate
from srlm.lower_bound import floor_constants, min_failure_rate, min_failure_rate_asymptotic, sample_threshold

__all__ = ["main", "read_logprobs", "MAX_INPUT_BYTES"]

#: The description line of ``srlm --help`` (a constant: ``python -OO`` strips ``__doc__``).
DESCRIPTION = "The srlm command: the paper's numbers without reading the proofs."

#: Largest input ``srlm kappa`` reads (bytes); the input is read in one bounded call, never whole.
MAX_INPUT_BYTES = 64 * 1024 * 1024

#: Library argument names and the command-line options they come from.
_FLAGS = {
    "kappa0": "--kappa0",
    "log_class_size": "--log-pi",
    "g": "--g",
    "n": "--n",
    "a": "--a",
    "b": "--b",
    "mu": "--mu",
    "gamma": "--gamma",
}


class CliError(ValueError):
    """A bad argument: reported on one line, exit status 2."""


def _excerpt(text: str, limit: int = 40) -> str:
    """``repr`` of ``text`` cut to ``limit`` characters, so an error line stays short whatever the input."""
    t = text.strip()
    return repr(t) if len(t) <= limit else repr(t[:limit]) + f"... ({len(t)} characters)"


def _library_error(exc: Exception, given: dict[str, float | None]) -> CliError:
    """A library error re-worded for the command line: argument names become options, and the options given."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    m = re.match(r"^([A-Za-z_0-9]+) must ", msg)
    if m and m.group(1) in _FLAGS:
        msg = _FLAGS[m.group(1)] + msg[len(m.group(1)) :]
    for name in ("kappa0", "log_class_size", "gamma", "mu"):  # multi-letter names are safe to replace anywhere
        msg = re.sub(rf"(?<![\w/-]){name}\b", _FLAGS[name], msg)
    if not msg.startswith("--"):  # not about one option: show the options it came from
        shown = ", ".join(f"{flag} {val:g}" for flag, val in given.items() if val is not None)
        msg = f"{msg} (for {shown})"
    return CliError(msg)


FLOOR_HELP = r"""Single-step failure floor (paper Theorem 4.1, companion form).

proven: the exact rate the hard instance proves (Theorem 4.1): the supremum of the delta <= 1/4 with
  n*(delta) > floor(n),  n*(delta) = ceil( log2 / -log(1 - q eps/N) ),  eps = 4 delta,
  M = floor((1+g)(1 + (kappa0-1)/eps)),  N = floor(logPi/log M),  q = (1+g)/M + (1-(1+g)/M)/(M-1)
  (0 when no instance with N >= 1 has n* > n; null when no delta in (0, 1/4] gives an instance).

delta_min: the idealised floor, an approximation, not a bound (real M and N, -log(1-z) ~ z,
  q ~ (2+g)/M, M ~ (1+g)(kappa0-1)/eps; the steps err in both directions):
  A = log2 (1+g)(kappa0-1) logPi / (16 (2+g)),   C = (1+g)(kappa0-1)/4
  delta_min(n) = min(1/4, C exp( W_{-1}( -2A/(n C^2) ) / 2 )),  Lambert regime iff n >= 2eA/C^2
  asymptotic:   sqrt( 2A / (n log(n C^2/(2A))) )
Below the threshold 2eA/C^2 the idealised floor is the constant min(1/4, C e^{-1/2})."""

ROUNDS_HELP = r"""Contraction of the condition number (paper Lemma C.4, Corollary 5.7; companion form).

  kappa_{t+1} <= a + b sqrt(kappa_t)
  kappa_inf = ((b + sqrt(b^2 + 4a))/2)^2,   rho = b/(b + sqrt(b^2 + 4a))
  T = max(1, ceil(1 + log(kappa0/kbar)/log(1/rho)))  rounds make the transient part
  rho^((T-1)/2) sqrt(kappa0) of Theorem 5.3 at most its stable part sqrt(kbar),
  kbar = kappa_inf, or kbar = min(kappa_inf, 1/mu) when --mu is given.
Give --a and --b, or --n, --log-pi, --gamma, --mu for the companion constants
  a = 1,  b = (c1 sqrt(Lambda/n) + (2/e) c2 beta)/(gamma mu),  c1 = c2 = 1,
  beta = sqrt(Lambda/n),  Lambda = --log-pi (log|Pi|, or log(T|Pi|/zeta) for a union bound),
from the sharp Lemma C.3 bound kappa_{t+1} <= min(1 + K/mu, 1/mu) and log k <= (2/e) sqrt(k).
mu is the minimum confidence over all rounds (t = 0 included), so --kappa0 must be <= 1/mu."""

KAPPA_HELP = r"""Policy condition number from modal log-probabilities (paper Eq. 5).

  kappa = (1/m) sum_i exp(-l_i),  l_i = log pi(y_hat(x_i) | x_i)  (natural log, one per prompt)

FILE holds one log-probability per line, or a CSV with a header (choose the column with
--column). Use '-' for standard input. Log-probabilities of greedy-decoded responses are at
most those of the true modes, so they give an upper bound on kappa.
At most 64 MiB of UTF-8 input (a byte-order mark is accepted). Where kappa exceeds float64 it is
null in --json; log_kappa is always given."""


def _positive(name: str, value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise CliError(f"{name} must be a finite number > 0, got {value}")
    return value


def _kappa0(value: float) -> float:
    try:
        return check_condition_number(value, "--kappa0")
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _floor(args: argparse.Namespace) -> dict[str, Any]:
    k0 = _kappa0(args.kappa0)
    if k0 == 1:
        raise CliError("--kappa0 = 1 means a deterministic base policy: there is no failure floor")
    lp = _positive("--log-pi", args.log_pi)
    n = _positive("--n", args.n)
    g = _positive("--g", args.g)
    given: dict[str, float | None] = {"--kappa0": k0, "--log-pi": lp, "--n": n, "--g": g}
    try:
        a, c = floor_constants(k0, lp, g)
        threshold = sample_threshold(a, c)
        out: dict[str, Any] = {"A": a, "C": c, "threshold": threshold, "n": n, "kappa0": k0, "log_pi": lp, "g": g}
        if n < threshold:
            out["regime"] = "constant"
            out["delta_min"] = min(0.25, c * math.exp(-0.5))
            out["asymptotic"] = None
        else:
            out["regime"] = "lambert"
            out["delta_min"] = min(0.25, float(min_failure_rate(n, a, c)))
            log_ratio = math.log(n) + 2 * math.log(c) - math.log(2 * a)
            out["asymptotic"] = float(min_failure_rate_asymptotic(n, a, c)) if log_ratio > 0 else None
    except (ValueError, OverflowError) as exc:
        raise _library_error(exc, given) from None
    try:
        out["proven"] = float(proven_failure_rate(int(math.floor(n)), k0, lp, g))
    except (ValueError, OverflowError):  # no delta in (0, 1/4] gives an instance, or beyond the size limits
        out["proven"] = None
    out["note"] = "delta_min is the idealised floor (an approximation); proven is the rate Theorem 4.1 proves"
    return out


def _rounds(args: argparse.Namespace) -> dict[str, Any]:
    k0 = _kappa0(args.kappa0)
    mu = args.mu
    if mu is not None and not (math.isfinite(mu) and 0 < mu <= 1):
        raise CliError(f"--mu must lie in (0, 1], got {mu}")
    if args.a is not None or args.b is not None:
        if args.a is None or args.b is None:
            raise CliError("give both --a and --b (or --n, --log-pi, --gamma, --mu instead)")
        a, b = _positive("--a", args.a), _positive("--b", args.b)
        source = "given"
    else:
        missing = [f for f in ("n", "log_pi", "gamma", "mu") if getattr(args, f) is None]
        if missing:
            raise CliError(
                "give --a and --b, or all of --n, --log-pi, --gamma, --mu (missing: "
                + ", ".join("--" + m.replace("_", "-") for m in missing)
                + ")"
            )
        n = _positive("--n", args.n)
        lp, gamma = _positive("--log-pi", args.log_pi), _positive("--gamma", args.gamma)
        try:
            a, b = recurrence_constants(n, lp, gamma, mu)
        except (ValueError, OverflowError) as exc:
            raise _library_error(exc, {"--n": n, "--log-pi": lp, "--gamma": gamma, "--mu": mu}) from None
        source = "companion constants"
    if mu is not None and k0 > (1.0 / mu) * (1 + 1e-12):
        raise CliError(f"--kappa0 must be <= 1/mu = {1 / mu:.6g} (mu is the minimum confidence), got {k0:g}")
    given = {"--a": a, "--b": b, "--kappa0": k0, "--mu": mu}
    try:
        kinf, rho = fixed_point(a, b), contraction_factor(a, b)
        n_rounds = rounds_needed(a, b, k0, mu)
    except (ValueError, OverflowError) as exc:
        raise _library_error(exc, given) from None
    out: dict[str, Any] = {
        "a": a,
        "b": b,
        "source": source,
        "kappa0": k0,
        "kappa_inf": kinf,
        "rho": rho,
    }
    if mu is not None:
        out["mu"] = mu
        out["stable_floor"] = min(kinf, 1.0 / mu)
    out["rounds"] = n_rounds
    return out


def read_logprobs(text: str, column: str | None = None) -> NDArray[np.float64]:
    """Parse modal log-probabilities: one per line, or a CSV column (header required with ``column``).

    A leading UTF-8 byte-order mark (as spreadsheets write it) is ignored.
    """
    text = text.removeprefix("\ufeff")
    rows = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise CliError("FILE contains no log-probabilities")
    values: list[str]
    if column is not None or "," in rows[0]:
        reader = csv.reader(io.StringIO("\n".join(rows)))
        header = [h.strip() for h in next(reader)]
        names = ", ".join(_excerpt(h, 20)[1:-1] for h in header[:10]) + (", ..." if len(header) > 10 else "")
        if column is None:
            raise CliError(f"FILE looks like CSV; choose a column with --column (one of: {names})")
        if column not in header:
            raise CliError(f"--column {_excerpt(column)} not in the CSV header ({names})")
        idx = header.index(column)
        values = []
        for lineno, rec in enumerate(reader, start=2):
            if idx >= len(rec):
                raise CliError(f"FILE line {lineno}: missing column {_excerpt(column)}")
            values.append(rec[idx])
    else:
        values = rows
    out = np.empty(len(values))
    for i, v in enumerate(values):
        try:
            out[i] = float(v.strip())
        except ValueError:
            raise CliError(f"FILE entry {i + 1}: {_excerpt(v)} is not a number") from None
    if not np.all(np.isfinite(out)):
        bad = int(np.flatnonzero(~np.isfinite(out))[0]) + 1
        raise CliError(f"FILE entry {bad}: log-probabilities must be finite (found NaN or inf)")
    if np.any(out > 1e-12):
        bad = int(np.flatnonzero(out > 1e-12)[0]) + 1
        raise CliError(f"FILE entry {bad}: a log-probability must be <= 0, got {out[bad - 1]}")
    return np.minimum(out, 0.0)


def _read_bounded(stream: IO[bytes], name: str) -> str:
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise CliError(f"FILE {name} is larger than {MAX_INPUT_BYTES // 2**20} MiB (the input limit)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(f"FILE {name} is not UTF-8 text") from None


def _kappa(args: argparse.Namespace) -> dict[str, Any]:
    if args.file == "-":
        text = _read_bounded(sys.stdin.buffer, "'-' (standard input)")
    else:
        try:
            with open(args.file, "rb") as fh:
                text = _read_bounded(fh, _excerpt(args.file, 60))
        except OSError as exc:
            raise CliError(f"FILE {_excerpt(args.file, 60)} cannot be read: {exc.__class__.__name__}") from None
    lp = read_logprobs(text, args.column)
    log_kappa = float(log_condition_number_from_mode_logprobs(lp))
    kappa = math.exp(log_kappa) if log_kappa < 709.0 else None  # beyond float64: see log_kappa
    return {
        "prompts": int(lp.size),
        "kappa": kappa,
        "log_kappa": log_kappa,
        "min_confidence": float(math.exp(lp.min())),
        "note": "an upper bound on kappa if the log-probabilities are of greedy-decoded rather than modal responses",
    }


class _OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are a single line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _OneLineParser(prog="srlm", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"srlm {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    f = sub.add_parser(
        "floor",
        help="single-step failure floor: proven rate and idealised floor (Theorem 4.1)",
        description=FLOOR_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    f.add_argument("--kappa0", type=float, required=True, help="condition-number budget kappa0 > 1")
    f.add_argument("--log-pi", type=float, required=True, help="log|Pi| > 0")
    f.add_argument("--n", type=float, required=True, help="samples n > 0")
    f.add_argument("--g", type=float, default=1.0, help="bias g > 0 of the hard instance (default 1)")
    r = sub.add_parser(
        "rounds",
        help="kappa_inf, rho and rounds (Corollary 5.7)",
        description=ROUNDS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("--a", type=float, help="offset a > 0 of the recurrence")
    r.add_argument("--b", type=float, help="slope b > 0 of the recurrence")
    r.add_argument("--kappa0", type=float, required=True, help="initial condition number >= 1")
    r.add_argument("--n", type=float, help="samples per round (companion constants)")
    r.add_argument("--log-pi", type=float, help="log(|Pi|/delta) (companion constants)")
    r.add_argument("--gamma", type=float, help="margin gamma > 0 (companion constants)")
    r.add_argument(
        "--mu", type=float, help="minimum confidence in (0, 1] over all rounds (companion constants; caps kappa)"
    )
    k = sub.add_parser(
        "kappa",
        help="condition number from modal log-probabilities",
        description=KAPPA_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    k.add_argument("file", metavar="FILE", help="file of log-probabilities, or '-' for standard input")
    k.add_argument("--column", help="CSV column holding the log-probabilities")
    for sp in (f, r, k):
        sp.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


def _format(result: dict[str, Any]) -> str:
    lines = []
    for key, val in result.items():
        if isinstance(val, float):
            lines.append(f"{key:>15}: {val:.6g}")
        else:
            lines.append(f"{key:>15}: {val}")
    return "\n".join(lines)


def _strict_json(result: dict[str, Any]) -> str:
    """JSON without ``NaN``/``Infinity`` (not JSON): a non-finite float becomes ``null``."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in result.items()}
    return json.dumps(clean, sort_keys=True, allow_nan=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``srlm`` console script; returns the exit status.

    0 on success; 2 for bad input (one line on stderr naming the option); 1 for an internal
    error (one line, no traceback).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    handlers = {"floor": _floor, "rounds": _rounds, "kappa": _kappa}
    try:
        result = handlers[args.command](args)
        text = _strict_json(result) if args.json else _format(result)
    except (CliError, ValueError, OverflowError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"srlm {args.command}: error: {msg[:300]}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"srlm {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: one line, no traceback
        print(f"srlm {args.command}: internal error: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
        return 1
    print(text)
    return 0

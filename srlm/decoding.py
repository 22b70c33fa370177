r"""Decoding autoregressive policies: greedy, the exact mode, and the trap of paper Prop 4.3.

Greedy decoding picks :math:`y_l = \arg\max_v \pi(v \mid x, y_{<l})` for
:math:`l = 1, \dots, L`, breaking ties by a fixed deterministic rule: towards the
**smallest** token index (the default) or the **largest**.  The exact mode
:math:`\arg\max_y \pi(y \mid x)` is :func:`mode` (backward max-product recursion over the
prefix tree; ties towards the smallest sequence index).  Both work for every
:class:`~srlm.protocol.Policy`.

:func:`trap_construction` builds, for :math:`p < 1/2`, a model whose unique mode
has probability exactly :math:`p` while greedy decoding returns another sequence:
token 0 is a *trap* first token of probability :math:`p + \eta` whose
continuations are spread uniformly, token 1 starts the mode
:math:`y^\star = (1, 0, \dots, 0)` and continues deterministically, and the rest of
the first-token mass :math:`1 - 2p - \eta` is spread over tokens :math:`2..|V|-1`,
each with uniform continuations.  With ``tie_break="largest"`` tokens 0 and 1 swap
roles (the trap is token 1 and :math:`y^\star = (0, \dots, 0)`), so that at
:math:`p = 1/2`, where trap and mode tie at the first step, the chosen rule picks the
trap.  :func:`trap_conditions` are sufficient conditions for this family, not necessary
ones.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from srlm._validate import check_in_interval, check_int, check_scalar, check_size_power
from srlm.autoregressive import MAX_SEQUENCES, AutoregressivePolicy, index_to_tokens
from srlm.protocol import TIE_BREAKS, Policy, check_policy_protocol, check_prompts, check_tie_break
from srlm.protocol import mode as mode

__all__ = [
    "TIE_BREAKS",
    "greedy_decode",
    "index_to_tokens",
    "min_length_binary",
    "mode",
    "trap_conditions",
    "trap_construction",
]


def greedy_decode(
    policy: Policy, tie_break: str = "smallest", *, prompts: ArrayLike | None = None
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    r"""Greedy responses and their log-probabilities for any :class:`~srlm.protocol.Policy`.

    Returns ``(responses, logprob)`` (for sequence policies ``responses`` has shape ``(prompts, L)``).
    At each step the most likely next token is taken; exact ties go to the smallest token index
    (``tie_break="smallest"``) or to the largest (``tie_break="largest"``).  ``prompts=None``: every
    prompt id (``policy.greedy(prompts, tie_break)``).
    """
    pol = check_policy_protocol(policy)
    rule = check_tie_break(tie_break)
    return pol.greedy(check_prompts(prompts, pol.n_prompts), rule)


def trap_conditions(p: float, eta: float, vocab: int, length: int) -> dict[str, bool]:
    r"""Which of the sufficient conditions of the Prop 4.3 construction hold.

    If all are true, :func:`trap_construction` returns a valid trap.  They are not
    necessary: e.g. when the remaining tokens carry more mass than the trap, greedy
    decoding starts with one of them instead and still misses the mode, but
    ``rest_fits`` is false.

    - ``p_below_half_room``: :math:`2p + \eta \le 1` (room for the trap; forces :math:`p < 1/2` when :math:`\eta > 0`);
    - ``trap_beats_mode``: :math:`\eta > 0`, or :math:`\eta = 0` at :math:`p = 1/2` (a tie, which
      :func:`trap_construction` labels so that the chosen tie-break rule picks the trap);
    - ``trap_continuations_small``: :math:`(p + \eta)/|V|^{L-1} < p`, so every sequence starting
      with the trap is less likely than the mode;
    - ``rest_fits``: if :math:`r = 1 - 2p - \eta > 0`, then :math:`|V| \ge 3`, each other first
      token has probability :math:`r/(|V|-2) < p + \eta` (so greedy still takes the trap),
      and each of their sequences :math:`r/((|V|-2)|V|^{L-1}) < p`.
    """
    pp = check_in_interval(p, "p", 0.0, 0.5, closed_high=True)
    e = check_scalar(eta, "eta")
    v = check_int(vocab, "vocab", minimum=2)
    ell = check_int(length, "length", minimum=1)
    rest = 1.0 - 2.0 * pp - e
    tol = 1e-12
    cont = math.inf if (ell - 1) * math.log(v) > 700 else float(v) ** (ell - 1)
    rest_ok = rest <= tol or (v >= 3 and rest / (v - 2) < pp + e and rest / ((v - 2) * cont) < pp)
    return {
        "p_below_half_room": rest >= -tol and e >= 0,
        "trap_beats_mode": e > 0 or (e == 0 and abs(pp - 0.5) <= tol),
        "trap_continuations_small": (pp + e) / cont < pp,
        "rest_fits": bool(rest_ok),
    }


def trap_construction(
    p: float, vocab: int, length: int, eta: float | None = None, tie_break: str = "smallest"
) -> AutoregressivePolicy:
    r"""A one-prompt model whose unique mode has probability :math:`p` but on which greedy
    decoding (with the tie-break rule ``tie_break``) returns a sequence starting with the trap token.

    With ``tie_break="smallest"`` the trap is token 0 and :math:`y^\star = (1, 0, \dots, 0)`;
    with ``"largest"`` tokens 0 and 1 swap roles (trap 1, :math:`y^\star = (0, \dots, 0)`).

    Parameters
    ----------
    p
        Mode probability, :math:`0 < p \le 1/2` (:math:`p = 1/2` only with ``eta = 0``, where
        the construction relies on the tie-break rule ``tie_break`` picking the trap).
    vocab, length
        :math:`|V| \ge 2` and :math:`L \ge 2`, with :math:`|V|^L` at most the enumeration limit.
    eta
        Extra mass of the trap token; defaults to :math:`1 - 2p` for :math:`|V| = 2` and
        :math:`(1 - 2p)/2` otherwise.
    tie_break
        The rule of :func:`greedy_decode` the trap is labelled against (it matters only at
        :math:`p = 1/2`, where trap and mode tie at the first step).

    Raises
    ------
    ValueError
        Naming the first condition of :func:`trap_conditions` that fails.
    """
    pp = check_in_interval(p, "p", 0.0, 0.5, closed_high=True)
    v = check_int(vocab, "vocab", minimum=2)
    ell = check_int(length, "length", minimum=2)
    rule = check_tie_break(tie_break)
    check_size_power(v, ell, MAX_SEQUENCES, "vocab**length")
    e = (1 - 2 * pp if v == 2 else (1 - 2 * pp) / 2) if eta is None else check_scalar(eta, "eta")
    cond = trap_conditions(pp, e, v, ell)
    for name, ok in cond.items():
        if not ok:
            raise ValueError(
                f"trap construction impossible for p={pp:g}, eta={e:g}, vocab={v}, length={ell}: "
                f"condition {name!r} fails"
            )
    rest = max(1.0 - 2.0 * pp - e, 0.0)
    first = np.zeros(v)
    first[0], first[1] = pp + e, pp
    if v >= 3:
        first[2:] = rest / (v - 2)
    first /= first.sum()
    tables = [first.reshape(1, 1, v)]
    for pos in range(1, ell):
        tab = np.full((1, v**pos, v), 1.0 / v)
        # prefixes that start with token 1 are (1, 0, ..., 0) or unreachable; force token 0 after token 1
        start = v ** (pos - 1)
        tab[0, start : 2 * start] = 0.0
        tab[0, start : 2 * start, 0] = 1.0
        tables.append(tab)
    if rule == "largest":  # relabel: swap the roles of first tokens 0 and 1 (and their continuation blocks)
        tables[0] = tables[0][:, :, [1, 0, *range(2, v)]]
        for pos in range(1, ell):
            start = v ** (pos - 1)
            order = np.r_[start : 2 * start, 0:start, 2 * start : v**pos]
            tables[pos] = tables[pos][:, order]
    return AutoregressivePolicy(tuple(tables), np.array([1.0]))


def min_length_binary(p: float) -> int:
    r"""Smallest :math:`L` for which the :math:`|V| = 2` trap exists: :math:`2^{L-1} > (1-p)/p`."""
    pp = check_in_interval(p, "p", 0.0, 0.5)
    return int(math.floor(math.log2((1 - pp) / pp))) + 2

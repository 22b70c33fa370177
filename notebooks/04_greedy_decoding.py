# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# (greedy_decoding)=
# # Greedy decoding below one half
#
# The paper's guarantees are about the event $\pi(y^\star \mid x) > 1/2$. Why one
# half? Paper Proposition 4.3 (App. E) answers for decoding: a model can put the
# largest probability of any response on $y^\star$ and still have greedy decoding
# return something else, as long as that probability is at most one half. We state
# exactly what is proved, with its hypotheses — in particular what the tie-break rule
# of greedy decoding has to do with the boundary case $p = 1/2$ — verify the
# construction by exhaustive enumeration, and prove the converse: above one half
# greedy decoding always finds the mode, so $1/2$ is the threshold. Greedy decoding
# takes the most likely next token at each step; exact ties are broken by a **fixed
# deterministic rule**. We implement two, smallest index first and largest index first
# (`srlm.greedy_decode(model, tie_break=...)`).

# %%
import itertools
import math
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from myst_nb import glue

import srlm
from srlm import assert_identity
from srlm.report import glue_math

plt.style.use("../book/_static/srlm-book.mplstyle")
sp.init_printing(use_latex="mathjax")
SEED = 20260204
rng = np.random.default_rng(SEED)

# %% [markdown]
# ## The trap
#
# ```{prf:proposition} Greedy decoding can miss a mode of probability at most 1/2 (paper Prop. 4.3)
# :label: prop-greedy-trap
#
# Fix a deterministic tie-break rule for greedy decoding (a function of the prefix and
# the next-token distribution that returns one of the most likely tokens). For every
# $p \in (0, 1/2]$ there is an autoregressive policy, over any vocabulary with
# $|V| \ge 2$ and any length $L \ge 2$ with $|V|^{L-1} > (1-p)/p$, whose unique mode
# $y^\star$ has probability exactly $p$ and on which greedy decoding with that rule
# returns a sequence other than $y^\star$. For $p < 1/2$ one policy serves every rule;
# for $p = 1/2$ the policy depends on the rule.
#
# *Sharpness.* $1/2$ cannot be raised: above it no policy exists
# ({prf:ref}`prop-greedy-converse`). At $p = 1/2$ no single policy defeats both the
# smallest-index and the largest-index rule ({prf:ref}`prop-greedy-half`). The length
# condition is sufficient, not necessary: for $|V| = 2$, $L = 2$, $p = 0.3$ (where
# $2 < (1-p)/p$) the model with sequence probabilities $(0.275, 0.275, 0.3, 0.15)$ is a trap
# (checked below).
# ```
#
# *Construction* (`srlm.trap_construction`), for a trap mass $\eta \ge 0$. The first
# token is the trap $b$ with probability $p + \eta$, or $y^\star_1$ with probability
# $p$, or one of the remaining $|V| - 2$ tokens sharing $r = 1 - 2p - \eta$. After
# $y^\star_1$ the model continues deterministically, so $\pi(y^\star) = p$; after any
# other first token it spreads uniformly over the $|V|^{L-1}$ continuations.
#
# *Proof for $p < 1/2$.* Take $\eta = 1 - 2p > 0$, so $r = 0$ (tokens other than the trap and
# $y^\star_1$ get first-step probability 0). Greedy's first
# token is the trap, strictly more likely than $y^\star_1$, so no tie arises and the
# rule is irrelevant; greedy can no longer return $y^\star$. Every sequence through the
# trap has probability $(p + \eta)/|V|^{L-1} = (1-p)/|V|^{L-1} < p$ by hypothesis, so
# $y^\star$ is the unique mode. (For larger $|V|$ the same works with the remaining
# mass spread thinly enough: the sufficient conditions of `srlm.trap_conditions`,
#
# $$
# 0 < \eta \le 1 - 2p, \qquad |V|^{L-1} > 1 + \frac{\eta}{p},
# $$ (eq-trap-conditions)
#
# and, if $r > 0$, also $|V| \ge 3$, $r/(|V|-2) < p + \eta$ and $r/((|V|-2)|V|^{L-1}) < p$.)
#
# *Proof for $p = 1/2$.* Take $\eta = 0$ (so $r = 0$): the first-token distribution
# puts $1/2$ on each of tokens 0 and 1, whichever of them is the trap. The fixed rule,
# applied to the empty prefix and this distribution, picks one of them; **label that token the trap** and the other
# $y^\star_1$. Greedy then leaves $y^\star$ at the first step, and every trap sequence has
# probability $1/(2|V|^{L-1}) < 1/2$.
#
# Each condition is one line of algebra: the trap beats $y^\star_1$ iff $\eta > 0$;
# both fit in the first step iff $2p + \eta \le 1$, which with $\eta > 0$ forces
# $p < 1/2$; a sequence through the trap has probability $(p + \eta)/|V|^{L-1}$, below
# $p$ iff $|V|^{L-1} > 1 + \eta/p$.

# %%
p, eta, V, L = sp.symbols("p eta V L", positive=True)
room = sp.solve_univariate_inequality(2 * p + eta <= 1, p, relational=False)
assert room in (sp.Interval(-sp.oo, (1 - eta) / 2), sp.Interval(0, (1 - eta) / 2))
assert_identity(
    (1 - eta) / 2 - sp.Rational(1, 2),
    -eta / 2,
    "p <= (1-eta)/2 = 1/2 - eta/2 < 1/2",
)
K = sp.symbols("K", positive=True)  # K = |V|^(L-1) continuations after the trap
boundary = sp.solve(sp.Eq((p + eta) / K, p), K)
assert len(boundary) == 1
assert_identity(boundary[0], 1 + eta / p, "trap sequences < p iff K > 1 + eta/p")
assert_identity(sp.diff((p + eta) / K, K), -(p + eta) / K**2, "decreasing in K")
assert_identity(
    (1 + eta / p).subs(eta, 1 - 2 * p), (1 - p) / p, "binary case eta = 1 - 2p"
)
assert_identity(
    (1 + eta / p).subs({eta: 0, p: sp.Rational(1, 2)}),
    1,
    "p = 1/2, eta = 0: K > 1, i.e. L >= 2",
)
L_min_binary = 1 + sp.log((1 - p) / p) / sp.log(2)
assert_identity(
    2 ** (L_min_binary - 1),
    (1 - p) / p,
    "binary: 2^(L-1) = (1-p)/p at the boundary",
)
sp.Eq(sp.Symbol("L_{binary}"), L_min_binary)

# %% [markdown]
# **Exhaustive check.** For a grid of $p$, $|V| \in \{2, 3, 4\}$ and $L \in \{2, \dots, 7\}$,
# whenever `srlm.trap_conditions` says the construction exists we enumerate all
# $|V|^L$ sequences and confirm: the mode is unique, has probability $p$, and differs
# from the greedy output under both tie-break rules; whenever a condition fails, the
# constructor refuses with a `ValueError` naming it.

# %%
built, refused = 0, 0
for p_val in (0.01, 0.05, 0.1, 0.2, 1 / 3, 0.4, 0.45, 0.49):
    for vocab in (2, 3, 4):
        for length in range(2, 8):
            eta_val = 1 - 2 * p_val if vocab == 2 else (1 - 2 * p_val) / 2
            if not all(
                srlm.trap_conditions(p_val, eta_val, vocab, length).values()
            ):
                try:
                    srlm.trap_construction(p_val, vocab, length)
                except ValueError:
                    refused += 1
                    continue
                raise AssertionError("construction should have been refused")
            model = srlm.trap_construction(p_val, vocab, length)
            probs = np.sort(np.exp(model.sequence_logprobs()[0]))[::-1]
            assert abs(probs[0] - p_val) < 1e-12 and probs[1] < p_val
            # p < 1/2: no tie at the first step, so every rule misses
            for rule in srlm.TIE_BREAKS:
                greedy_out = srlm.greedy_decode(model, rule)[0]
                assert not np.array_equal(greedy_out, srlm.mode(model)[0])
            built += 1
glue("ch4_built", f"{built}", display=False)
glue("ch4_refused", f"{refused}", display=False)
print(
    f"{built} models built and verified by enumeration; "
    f"{refused} parameter sets refused"
)

# %% [markdown]
# {glue:text}`ch4_built` models pass the enumeration check and
# {glue:text}`ch4_refused` parameter sets are refused. One example, for
# $p = 0.3$, $|V| = 2$, $L = 3$:

# %%
example = srlm.trap_construction(0.3, 2, 3)
seq_probs = np.exp(example.sequence_logprobs()[0])
tokens = srlm.index_to_tokens(np.arange(8), 2, 3)
greedy_tokens = srlm.greedy_decode(example)[0][0]
for tok, prob in zip(tokens, seq_probs, strict=True):
    mark = (
        " <- mode"
        if prob == seq_probs.max()
        else (" <- greedy" if np.array_equal(tok, greedy_tokens) else "")
    )
    print(f"y = {tuple(int(t) for t in tok)}  pi(y) = {prob:.4f}{mark}")

# %% [markdown]
# ### The conditions are sufficient, not necessary
#
# A refused parameter set is not an impossible one. We rebuild the construction's
# family in plain Python with exact rational arithmetic (`fractions.Fraction`, so
# boundary cases are decided exactly) — the first-token probabilities $(p + \eta, p, r/(|V|-2), \dots)$,
# a deterministic continuation after $y^\star_1$ and uniform ones elsewhere, for any
# $\eta \ge -p$ with $r \ge 0$ — enumerate all sequences, run greedy decoding with the
# smallest-index rule, and ask whether the result is a trap (unique mode $y^\star$ of
# probability $p$, greedy output $\ne y^\star$). Many parameter sets that
# `srlm.trap_conditions` rejects are traps, typically because the remaining tokens carry
# more first-step mass than the trap, so greedy starts with one of them instead.
#
# ```{prf:remark} The exact condition for this family
# :label: rem-trap-family-exact
#
# With $a = p + \eta \ge 0$, $r = 1 - 2p - \eta \ge 0$ ($r = 0$ if $|V| = 2$) and
# $c = r/(|V|-2)$, the family is a trap for the smallest-index rule iff
# $a/|V|^{L-1} < p$, $c/|V|^{L-1} < p$, and either $\max(a, c) > p$ or $a = p$ (a tie
# with the trap, token 0). The enumeration below agrees with this on every grid point.
# ```


# %%
def family_sequences(p_val, eta_val, vocab, length):
    """Sequence probabilities and smallest-index greedy output, by plain loops."""
    rest = 1 - 2 * p_val - eta_val
    first = [p_val + eta_val, p_val] + (
        [rest / (vocab - 2)] * (vocab - 2) if vocab > 2 else []
    )

    def cond(prefix):
        if len(prefix) == 0:
            return first
        if prefix[0] == 1:
            return [Fraction(1)] + [Fraction(0)] * (vocab - 1)
        return [Fraction(1, vocab)] * vocab

    probs = {}
    for seq in itertools.product(range(vocab), repeat=length):
        prob = Fraction(1)
        for pos in range(length):
            prob *= cond(seq[:pos])[seq[pos]]
        probs[seq] = prob
    greedy = []
    for _ in range(length):
        row = cond(tuple(greedy))
        greedy.append(
            row.index(max(row))
        )  # first (smallest) index among the maxima
    return probs, tuple(greedy)


def is_trap(p_val, eta_val, vocab, length):
    probs, greedy = family_sequences(p_val, eta_val, vocab, length)
    star = (1,) + (0,) * (length - 1)
    others = max(v for k, v in probs.items() if k != star)
    return probs[star] == p_val and others < p_val and greedy != star


rejected, rejected_traps, agree, total = 0, [], 0, 0
p_grid = [
    Fraction(n_, d_) for n_, d_ in ((1, 20), (1, 10), (1, 5), (3, 10), (2, 5))
]
for p_val in p_grid:
    for vocab in (2, 3, 4):
        etas = (
            [1 - 2 * p_val]
            if vocab == 2
            else [-p_val + j * (1 - p_val) / 8 for j in range(9)]
        )
        for eta_val in etas:
            for length in (2, 3, 4, 5):
                trap = is_trap(p_val, eta_val, vocab, length)
                a, r = p_val + eta_val, 1 - 2 * p_val - eta_val
                c = r / (vocab - 2) if vocab > 2 else Fraction(0)
                k = vocab ** (length - 1)
                exact = (
                    a / k < p_val
                    and c / k < p_val
                    and (max(a, c) > p_val or a == p_val)
                )
                agree += exact == trap
                total += 1
                if not all(
                    srlm.trap_conditions(
                        float(p_val), float(eta_val), vocab, length
                    ).values()
                ):
                    rejected += 1
                    if trap:
                        rejected_traps.append(
                            (float(p_val), float(eta_val), vocab, length)
                        )
assert agree == total and len(rejected_traps) > 0
# the short binary trap of the sharpness line: first token 0 w.p. 0.55 (then
# uniform), token 1 w.p. 0.45
short = {
    (0, 0): Fraction(55, 200),
    (0, 1): Fraction(55, 200),
    (1, 0): Fraction(3, 10),
    (1, 1): Fraction(3, 20),
}
assert sum(short.values()) == 1 and max(short, key=short.get) == (1, 0)
assert sorted(short.values())[-2] < Fraction(3, 10)
assert Fraction(55, 100) > Fraction(45, 100)  # greedy starts with 0
assert 2 ** (2 - 1) < (1 - Fraction(3, 10)) / Fraction(3, 10)
glue("ch4_rejected", f"{rejected}", display=False)
glue("ch4_rejected_traps", f"{len(rejected_traps)}", display=False)
glue("ch4_family_grid", f"{total}", display=False)
print(
    f"{total} grid points: exact condition = enumeration on all;\n"
    f"{rejected} rejected by the sufficient conditions, "
    f"of which {len(rejected_traps)} are traps, e.g."
)
examples = rejected_traps[:: max(1, len(rejected_traps) // 4)][:4]
for p_val, eta_val, vocab, length in examples:
    conds = srlm.trap_conditions(p_val, eta_val, vocab, length)
    failed = ", ".join(k for k, ok in conds.items() if not ok)
    print(f"  p = {p_val:g}, eta = {eta_val:.3g}, |V| = {vocab}, L = {length}:")
    print(f"    rejected by {failed}")

# %% [markdown]
# Of the {glue:text}`ch4_family_grid` grid points, {glue:text}`ch4_rejected` are rejected
# by the sufficient conditions and {glue:text}`ch4_rejected_traps` of those are traps all
# the same; the exact condition of {prf:ref}`rem-trap-family-exact` matches the
# enumeration everywhere.
#
# ## The converse: above one half, greedy finds the mode
#
# ```{prf:proposition} Greedy decoding succeeds above 1/2 (converse; not in the paper)
# :label: prop-greedy-converse
#
# If $\pi(y^\star \mid x) > 1/2$ then greedy decoding returns $y^\star$, whatever the
# tie-break rule.
#
# *Sharpness.* The threshold is attained: at $\pi(y^\star \mid x) = 1/2$ greedy decoding can
# fail for every fixed rule ({prf:ref}`prop-greedy-trap`).
# ```
#
# *Proof.* Let $P_l = \pi(y^\star_{\le l} \mid x)$ be the probability of the first $l$
# tokens of $y^\star$; then $1 = P_0 \ge P_1 \ge \dots \ge P_L = \pi(y^\star) > 1/2$.
# Suppose greedy has produced $y^\star_{<l}$. The conditional probability of the
# next mode token is $q_l = P_l / P_{l-1} = P_l + P_l(1 - P_{l-1})/P_{l-1} \ge P_l > 1/2$,
# so every other token has conditional probability below $1 - q_l < 1/2 < q_l$ and
# greedy takes $y^\star_l$ — with no tie to break. By induction it returns $y^\star$.

# %%
P_prev, P_cur = sp.symbols("P_prev P_cur", positive=True)
q_l = P_cur / P_prev
assert_identity(
    q_l,
    P_cur + P_cur * (1 - P_prev) / P_prev,
    "q_l = P_l + P_l (1 - P_{l-1}) / P_{l-1}",
)
# the second term is >= 0 for 0 < P_{l-1} <= 1, so q_l >= P_l > 1/2;
# and then 1 - q_l < q_l:
h = sp.symbols("h", positive=True)
assert_identity((1 - q_l) - q_l, 1 - 2 * q_l, "other tokens minus mode token")
assert sp.ask(
    sp.Q.negative((1 - 2 * q_l).subs(P_cur, P_prev * (sp.Rational(1, 2) + h)))
)
q_l

# %% [markdown]
# **Check on random models, and the figure.** We draw $40\,000$ random models
# ($|V| = 3$, $L = 4$; Dirichlet next-token tables with concentrations from $0.05$ to
# $1$, so the mode's probability spans $(0, 1)$) in five independent batches of
# $8\,000$ (five seeds), decode greedily, find the exact mode (`srlm.mode`, a max-product recursion), and plot
# how often they agree against $\pi(y^\star)$ ({numref}`fig-ch4-greedy-success`).

# %%
mode_p, agree_all, seed_of = [], [], []
for k in range(5):
    gen = np.random.default_rng(SEED + 1 + k)
    for conc in (0.05, 0.15, 0.4, 1.0):
        model = srlm.AutoregressivePolicy.random(
            gen, n_prompts=2_000, vocab=3, length=4, concentration=conc
        )
        g_tok, _ = srlm.greedy_decode(model)
        m_tok, m_lp = srlm.mode(model)
        mode_p.append(np.exp(m_lp))
        agree_all.append(np.all(g_tok == m_tok, axis=1))
        seed_of.append(np.full(2_000, k))
mode_p, agree = np.concatenate(mode_p), np.concatenate(agree_all)
seed_of = np.concatenate(seed_of)
above = mode_p > 0.5
assert np.all(agree[above])  # the converse, on every model above one half
below = mode_p <= 0.5
band = (mode_p > 0.4) & (mode_p <= 0.5)
miss_rate_below, miss_band = 1 - agree[below].mean(), 1 - agree[band].mean()
per_seed_below = np.array(
    [1 - agree[below & (seed_of == k)].mean() for k in range(5)]
)
per_seed_band = np.array(
    [1 - agree[band & (seed_of == k)].mean() for k in range(5)]
)
assert miss_rate_below > 0  # greedy does miss below one half
edges = np.linspace(0, 1, 21)
idx = np.digitize(mode_p, edges) - 1
rate = np.array(
    [agree[idx == b].mean() if np.any(idx == b) else np.nan for b in range(20)]
)
glue("ch4_n_above", f"{above.sum()}", display=False)
glue("ch4_n_models", f"{mode_p.size}", display=False)
glue("ch4_miss_below", f"{100 * miss_rate_below:.1f}%", display=False)
glue("ch4_miss_band", f"{100 * miss_band:.1f}%", display=False)
glue(
    "ch4_miss_below_range",
    f"{100 * per_seed_below.min():.1f}–{100 * per_seed_below.max():.1f}%",
    display=False,
)
glue(
    "ch4_miss_band_range",
    f"{100 * per_seed_band.min():.1f}–{100 * per_seed_band.max():.1f}%",
    display=False,
)
print(f"miss rate per seed, below 1/2:   {np.round(100 * per_seed_below, 1)}%")
print(f"miss rate per seed, in (0.4, 0.5]: {np.round(100 * per_seed_band, 1)}%")

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-ch4-greedy-success", "caption": "Fraction of random autoregressive models on which greedy decoding returns the mode, in bins of the mode's probability $\\pi(y^\\star \\mid x)$; the dashed line marks $\\pi(y^\\star) = 1/2$."}}
fig, ax = plt.subplots(figsize=(6.0, 3.6))
label = "greedy = mode (fraction of models)"
ax.step(edges[:-1], rate, where="post", color="C0", label=label)
ax.axvline(0.5, color="C3", ls="--", lw=1, label=r"$\pi(y^\star) = 1/2$")
ax.set(
    xlabel=r"mode probability $\pi(y^\star \mid x)$",
    ylabel="greedy success rate",
    ylim=(0, 1.05),
    title=r"40 000 random models, $|V| = 3$, $L = 4$",
)
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# All {glue:text}`ch4_n_above` models whose mode has probability above $1/2$ are
# decoded correctly. Below $1/2$, greedy misses the mode in
# {glue:text}`ch4_miss_below` of the models (range over the five seeds
# {glue:text}`ch4_miss_below_range`), and still in {glue:text}`ch4_miss_band`
# ({glue:text}`ch4_miss_band_range`) of those with $\pi(y^\star) \in (0.4, 0.5]$.
#
# ## The boundary $p = 1/2$
#
# At exactly one half the trap needs $\eta = 0$: trap and mode tie at the first step
# with probability $1/2$ each, and which token greedy takes is decided by the rule. For
# each of the two rules we build the trap labelled against it
# (`srlm.trap_construction(0.5, |V|, L, eta=0, tie_break=rule)`) and verify by plain-Python
# enumeration that its unique mode has probability $1/2$ and that greedy decoding with
# that rule misses it — and that the *other* rule finds it.


# %%
def brute_force(model, rule):
    """Mode by enumeration, greedy output by plain loops over the tables."""
    v, ell = model.vocab, model.length
    probs = {}
    for seq in itertools.product(range(v), repeat=ell):
        prob, prefix = 1.0, 0
        for pos, tok in enumerate(seq):
            prob *= model.tables[pos][0, prefix, tok]
            prefix = prefix * v + tok
        probs[seq] = prob
    best = max(probs.values())
    modes = [k for k, val in probs.items() if val == best]
    greedy, prefix = [], 0
    for pos in range(ell):
        row = list(model.tables[pos][0, prefix])
        ties = [i for i in range(v) if row[i] == max(row)]
        tok = ties[0] if rule == "smallest" else ties[-1]
        greedy.append(tok)
        prefix = prefix * v + tok
    return modes, best, sorted(probs.values())[-2], tuple(greedy)


table = {}
for built_for in srlm.TIE_BREAKS:
    for vocab, length in ((2, 2), (2, 3), (3, 3), (4, 2)):
        model = srlm.trap_construction(
            0.5, vocab, length, eta=0.0, tie_break=built_for
        )
        for rule in srlm.TIE_BREAKS:
            modes, best, second, greedy = brute_force(model, rule)
            assert len(modes) == 1 and best == 0.5 and second < 0.5
            table[built_for, rule, vocab, length] = greedy == modes[0]
# each trap defeats its rule ... and not the other one
assert not any(ok for (bf, rule, *_), ok in table.items() if bf == rule)
assert all(ok for (bf, rule, *_), ok in table.items() if bf != rule)
tie = srlm.trap_construction(0.5, 2, 2, eta=0.0)
out = {
    rule: tuple(int(t) for t in srlm.greedy_decode(tie, rule)[0][0])
    for rule in srlm.TIE_BREAKS
}
print(
    "p = 1/2, |V| = 2, L = 2: trap for 'smallest' has mode (1, 0); greedy returns"
)
print(f"  {out['smallest']} (smallest) and {out['largest']} (largest)")
print(
    f"{len(table)} (model, rule) pairs: "
    "each relabelled trap defeats its own rule and no other"
)

# %% [markdown]
# So for each fixed rule a $p = 1/2$ counterexample exists. It cannot be the same model
# for both rules:
#
# ```{prf:proposition} One model cannot defeat two opposite rules at one half
# :label: prop-greedy-half
#
# If $\pi(y^\star \mid x) = 1/2$ for the unique mode $y^\star$, then greedy decoding returns
# $y^\star$ under the smallest-index rule or under the largest-index rule (or both).
#
# *Sharpness.* "Or both" cannot be strengthened to "both": the traps above defeat one of
# the two rules.
# ```
#
# *Proof.* As in {prf:ref}`prop-greedy-converse`, $q_l = P_l/P_{l-1} \ge P_l \ge 1/2$ along
# $y^\star$, so every other token has conditional probability $\le 1 - q_l \le 1/2 \le q_l$;
# a tie with $y^\star_l$ needs $q_l = 1/2$, which forces $P_{l-1} = 2P_l \ge 1$, i.e.
# $P_{l-1} = 1$ and $P_l = 1/2$: the first step at which $y^\star$ loses mass, and only there.
# The tie is then between exactly two tokens ($y^\star_l$ and one other with the remaining
# $1/2$), and one of the two rules picks $y^\star_l$; after it $q = 1$. Without a tie greedy
# follows $y^\star$ under any rule.

# %%
assert sp.solve(sp.Eq(P_cur / P_prev, sp.Rational(1, 2)), P_prev) == [2 * P_cur]
assert_identity(
    (2 * P_cur).subs(P_cur, sp.Rational(1, 2)),
    1,
    "q = 1/2 and P_l >= 1/2 force P_{l-1} = 1",
)
sp.Eq(P_prev, 2 * P_cur)

# %% [markdown]
# **Exhaustive check.** Every binary model of length 3 whose next-token probabilities lie on
# the grid $\{0, 1/4, 1/2, 3/4, 1\}$ ($5^7$ models; all products are exact in floating
# point, so ties are exact): for every one whose unique mode has probability exactly
# $1/2$, at least one of the two rules finds it; above $1/2$ both do.

# %%
grid = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
# rows: (), then (0), (1), then (00) ... (11)
choice = np.array(list(itertools.product(range(5), repeat=7)))
a = grid[choice]  # probability of token 0 in each of the 7 conditional rows
seqs = np.array(list(itertools.product(range(2), repeat=3)))
seq_p = np.ones((len(a), 8))
for j, (t1, t2, t3) in enumerate(seqs):
    for col, tok in ((0, t1), (1 + t1, t2), (3 + 2 * t1 + t2, t3)):
        seq_p[:, j] *= a[:, col] if tok == 0 else 1 - a[:, col]
best = seq_p.max(axis=1)
unique = (seq_p == best[:, None]).sum(axis=1) == 1
mode_idx = seq_p.argmax(axis=1)


def greedy_index(rule):
    on_tie = 0 if rule == "smallest" else 1

    def pick(row):  # token 0 has probability row
        return np.where(row > 0.5, 0, np.where(row < 0.5, 1, on_tie))

    tok1 = pick(a[:, 0])
    tok2 = pick(a[np.arange(len(a)), 1 + tok1])
    tok3 = pick(a[np.arange(len(a)), 3 + 2 * tok1 + tok2])
    return 4 * tok1 + 2 * tok2 + tok3


hit = {rule: greedy_index(rule) == mode_idx for rule in srlm.TIE_BREAKS}
half = unique & (best == 0.5)
# one of the two rules always finds it; above 1/2 both do
assert np.all(hit["smallest"][half] | hit["largest"][half])
above_half = unique & (best > 0.5)
assert np.all(hit["smallest"][above_half] & hit["largest"][above_half])
glue("ch4_grid_models", f"{len(a)}", display=False)
glue("ch4_half_models", f"{half.sum()}", display=False)
glue("ch4_half_miss_smallest", f"{(half & ~hit['smallest']).sum()}", display=False)
glue("ch4_half_miss_largest", f"{(half & ~hit['largest']).sum()}", display=False)
miss_s, miss_l = (half & ~hit["smallest"]).sum(), (half & ~hit["largest"]).sum()
print(f"{len(a)} grid models; {half.sum()} with a unique mode of probability 1/2:")
print(
    f"  smallest-index misses {miss_s}, largest-index misses {miss_l}, both miss 0"
)

# %% [markdown]
# Of the {glue:text}`ch4_grid_models` grid models, {glue:text}`ch4_half_models` have a
# unique mode of probability exactly $1/2$; the smallest-index rule misses it on
# {glue:text}`ch4_half_miss_smallest` of them and the largest-index rule on
# {glue:text}`ch4_half_miss_largest`, never both.
#
# So the statement with "$\le 1/2$" is right under the usual reading — fix the decoder,
# then choose the model — and "$< 1/2$" is what one needs only if a single model must
# defeat every tie-break rule at once. Above $1/2$ no counterexample exists.
#
# *What the paper says.* Paper Prop. 4.3 is an existence statement ("there exist autoregressive
# models ... for which the optimal sequence is unique" with a bound on its probability, and greedy
# decoding fails). The bound's symbols are not in the text we could recover; third-party summaries
# report it as "$\le 1/2$". The paper's App. E makes the trap token *strictly* more probable than
# $y^\star_1$ by a small positive constant, which covers $p < 1/2$; the case $p = 1/2$ needs the
# tie-break argument above, which the paper does not discuss. With "$\le 1/2$" and the usual
# reading the statement is correct.
#
# ## What this means
#
# A self-rewarding step that *fails* in the sense of Theorem 4.1 leaves the model
# with $\hat\pi(y^\star \mid x) \le 1/2$ at that prompt ({ref}`single_step_lower_bound`).
# The trap shows such a model can still rank $y^\star$ first among all responses
# and yet be decoded wrongly; once $\hat\pi(y^\star \mid x) > 1/2$, greedy decoding
# is guaranteed to output it. That is why the paper's failure event is
# "$\pi(y^\star) \le 1/2$" and not "$y^\star$ is not the mode".

# %% [markdown]
# ## Exercises
#
# ```{exercise} The binary trap: how long must the responses be?
# :label: ex-ch4-binary-length
#
# Take $|V| = 2$, $0 < p < 1/2$ and the construction of {prf:ref}`prop-greedy-trap` with
# $\eta = 1 - 2p$: the
# first token is the trap with probability $1 - p$ and $y^\star_1$ with probability $p$. Show
# that it is a trap if and only if $2^{L-1} > (1-p)/p$, find the smallest length $L$ for
# $p = 0.1$, $p = 0.3$ and $p = 0.45$, and show that $L = 2$ suffices exactly when $p > 1/3$.
# ```
#
# ```{solution-start} ex-ch4-binary-length
# :class: dropdown
# ```
#
# After the trap the model is uniform, so each of the $2^{L-1}$ sequences through the trap has
# probability $(1-p)/2^{L-1}$, while $y^\star$ keeps $p$ and greedy's first token is the trap
# ($1 - p > p$). So $y^\star$ is the unique mode, and the model a trap, iff
# $(1-p)/2^{L-1} < p$, i.e. $2^{L-1} > (1-p)/p$; the smallest length is the smallest $L \ge 2$
# with $L - 1 > \log_2((1-p)/p)$. For $p = 0.1$, $(1-p)/p = 9$ and $L = 5$; for $p = 0.3$,
# $7/3$ and $L = 3$; for $p = 0.45$, $11/9 < 2$ and $L = 2$. $L = 2$ works iff $(1-p)/p < 2$,
# i.e. $p > 1/3$ (at $p = 1/3$ the trap sequences tie with $y^\star$). The code solves the
# inequality with sympy, then builds the binary model by hand with exact fractions for
# $p = k/40$ and $L \le 8$, enumerates all sequences, and compares the smallest trap length
# with the formula; the three answers are also checked on `srlm.trap_construction`.

# %%
p_ex = sp.symbols("p", positive=True)
window = sp.solve_univariate_inequality(
    (1 - p_ex) / p_ex < 2, p_ex, relational=False
)
assert window.intersect(sp.Interval.open(0, sp.Rational(1, 2))) == sp.Interval.open(
    sp.Rational(1, 3), sp.Rational(1, 2)
)


def binary_trap_probs(p_val, length):
    """Sequence probabilities of the binary construction, by plain enumeration."""
    probs = {}
    for seq in itertools.product((0, 1), repeat=length):
        if seq[0] == 0:  # the trap, then uniform
            probs[seq] = (1 - p_val) / 2 ** (length - 1)
        else:  # y*_1 = 1, then deterministically 0
            probs[seq] = p_val if all(t == 0 for t in seq[1:]) else Fraction(0)
    return probs


def smallest_trap_length(p_val, max_length=8):
    """Smallest L at which y* = (1, 0, ..., 0) is the unique mode."""
    for length in range(2, max_length + 1):
        probs = binary_trap_probs(p_val, length)
        star = (1,) + (0,) * (length - 1)
        if all(v < probs[star] for k, v in probs.items() if k != star):
            return length
    return None


def formula_length(p_val):
    """Smallest L >= 2 with 2^(L-1) > (1-p)/p, exactly."""
    length = 2
    while 2 ** (length - 1) <= (1 - p_val) / p_val:
        length += 1
    return length


n_p_checked = 0
for k_ in range(1, 20):
    p_val = Fraction(k_, 40)
    expected = formula_length(p_val)
    found = smallest_trap_length(p_val)
    assert found == (expected if expected <= 8 else None), (p_val, found, expected)
    n_p_checked += 1
answers = {
    p_val: formula_length(Fraction(p_val).limit_denominator(100))
    for p_val in (0.1, 0.3, 0.45)
}
assert answers == {0.1: 5, 0.3: 3, 0.45: 2}
for (
    p_val,
    length,
) in answers.items():  # srlm builds exactly these, and refuses one shorter
    model = srlm.trap_construction(p_val, 2, length)
    assert not np.array_equal(srlm.greedy_decode(model)[0], srlm.mode(model)[0])
    if length > 2:
        try:
            srlm.trap_construction(p_val, 2, length - 1)
        except ValueError:
            pass
        else:
            raise AssertionError("one token shorter should be refused")
print(
    f"{n_p_checked} values p = k/40: enumeration = formula; smallest L: {answers}"
)

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} A large margin does not help greedy decoding
# :label: ex-ch4-margin
#
# Let $\gamma = \log\pi(y^\star \mid x) - \max_{y \ne y^\star}\log\pi(y \mid x)$ be the
# log-probability margin of the mode (the margin of {ref}`gaps_to_condition_numbers` with the
# self-reward $r = \log\pi$). Show that for the binary trap of {ref}`ex-ch4-binary-length`
# the margin is $\gamma = \log\big(p\,2^{L-1}/(1-p)\big)$, which grows without bound in $L$
# while greedy decoding still misses $y^\star$. For $p = 0.3$, what is the smallest $L$ at which
# the mode is at least ten times as likely as any other response?
# ```
#
# ```{solution-start} ex-ch4-margin
# :class: dropdown
# ```
#
# The runner-up responses are the $2^{L-1}$ trap sequences, each of probability
# $(1-p)/2^{L-1}$, so $\gamma = \log p - \log\big((1-p)/2^{L-1}\big)$, and greedy's first token
# is still the trap. $\gamma \ge \log 10$ iff $2^{L-1} \ge 10(1-p)/p = 70/3$, i.e. $L - 1 \ge 5$:
# $L = 6$, where the mode is $0.3 \cdot 32/0.7 \approx$ {glue:md}`ch4_ex_ratio6` times as likely as
# any other response (at $L = 5$ only {glue:md}`ch4_ex_ratio5` times). What protects greedy decoding is
# $\pi(y^\star \mid x) > 1/2$ ({prf:ref}`prop-greedy-converse`), not a margin over the runner-up.
# The code checks the margin formula with sympy, then builds the $p = 0.3$ models by hand
# (exact fractions, enumeration) and with `srlm` for $L = 5, 6$.

# %%
L_ex = sp.symbols("L", positive=True, integer=True)
runner_up = (1 - p_ex) / 2 ** (L_ex - 1)
margin = sp.log(p_ex) - sp.log(runner_up)
assert_identity(
    sp.expand_log(margin - sp.log(p_ex * 2 ** (L_ex - 1) / (1 - p_ex)), force=True),
    0,
    "gamma = log(p 2^(L-1) / (1 - p))",
)
assert sp.limit(margin.subs(p_ex, sp.Rational(3, 10)), L_ex, sp.oo) == sp.oo
p_val = Fraction(3, 10)
ratios_ex = {}
for length in (5, 6):
    probs = binary_trap_probs(p_val, length)
    star = (1,) + (0,) * (length - 1)
    ratios_ex[length] = probs[star] / max(v for k, v in probs.items() if k != star)
    model = srlm.trap_construction(
        0.3, 2, length
    )  # greedy misses on srlm's model too
    assert not np.array_equal(srlm.greedy_decode(model)[0], srlm.mode(model)[0])
    gap_srlm = np.diff(np.sort(model.sequence_logprobs()[0])[-2:])[0]
    assert abs(gap_srlm - math.log(ratios_ex[length])) < 1e-12
assert ratios_ex[5] < 10 <= ratios_ex[6] and ratios_ex[6] == Fraction(96, 7)
glue_math("ch4_ex_ratio6", float(ratios_ex[6]), 3)
glue_math("ch4_ex_ratio5", float(ratios_ex[5]), 2)
print(
    f"p = 0.3: pi(y*)/runner-up = {float(ratios_ex[5]):.3f} at L = 5, "
    f"{float(ratios_ex[6]):.3f} at L = 6; greedy misses both"
)

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} How close to one half can a missed mode be?
# :label: ex-ch4-near-half
#
# Consider the binary models of length $L = 2$ whose three next-token probabilities (of
# token 0 at the first step, and after each first token) lie on the grid
# $\{0, 1/12, 2/12, \dots, 1\}$. Among those with a unique mode $y^\star$ that greedy decoding
# with the smallest-index rule misses, find the largest $\pi(y^\star)$ (a) over all of them and
# (b) over those on which greedy decoding meets no tie. Explain the answers with
# {prf:ref}`prop-greedy-converse` and {prf:ref}`prop-greedy-half`.
# ```
#
# ```{solution-start} ex-ch4-near-half
# :class: dropdown
# ```
#
# If greedy misses $y^\star$, the two differ at the first step: after the first token greedy
# takes the most likely continuation, which is the best sequence of that branch. So
# $y^\star_1$ is not greedy's first token, and $\pi(y^\star) \le \pi(y^\star_1) \le 1 - z$ where
# $z \ge 1/2$ is the first-step probability of greedy's token. (a) With a tie $z = 1/2$ is
# allowed, and $\pi(y^\star) = 1/2$ is reached (first step $(1/2, 1/2)$, the rule picks token 0,
# the branch of token 1 continues deterministically, the branch of token 0 is split): the
# answer is $1/2$, as in {prf:ref}`prop-greedy-half`. (b) Without a tie $z > 1/2$, so on this
# grid $z \ge 7/12$ and $\pi(y^\star) \le 5/12$, which is reached (for example first step
# $(7/12, 5/12)$ and continuations $(7/12, 5/12)$ and $(0, 1)$, trap sequences at most
# $49/144 < 5/12$). The code enumerates all $13^3$ grid models with exact fractions.

# %%
grid_ex = [Fraction(k_, 12) for k_ in range(13)]
best_any, best_no_tie = Fraction(0), Fraction(0)
for u0, w0, w1 in itertools.product(grid_ex, repeat=3):
    # u0 = P(first token 0); w0, w1 = P(second token 0 | first token 0, 1)
    rows = {(): (u0, 1 - u0), (0,): (w0, 1 - w0), (1,): (w1, 1 - w1)}
    probs = {(i, j): rows[()][i] * rows[(i,)][j] for i in (0, 1) for j in (0, 1)}
    top = max(probs.values())
    modes = [k for k, v in probs.items() if v == top]
    if len(modes) != 1:
        continue
    greedy, tie = (), False
    for _ in range(2):
        row = rows[greedy]
        tie = tie or row[0] == row[1]
        greedy += (0 if row[0] >= row[1] else 1,)  # smallest index among the maxima
    if greedy != modes[0]:
        best_any = max(best_any, top)
        if not tie:
            best_no_tie = max(best_no_tie, top)
assert best_any == Fraction(1, 2) and best_no_tie == Fraction(5, 12)
print(
    f"largest missed mode: {best_any} with ties allowed, {best_no_tie} without ties"
)

# %% [markdown]
# ```{solution-end}
# ```

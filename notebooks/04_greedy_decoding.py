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
# return something else, as long as that probability is below one half. We derive
# the construction's constraints, verify it by exhaustive enumeration, and prove
# the converse — above one half greedy decoding always finds the mode — so $1/2$
# is exactly the threshold. Greedy decoding here takes the most likely next token
# at each step, breaking ties towards the smallest token index (`srlm.greedy_decode`).

# %%
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from myst_nb import glue

import srlm
from srlm import assert_identity

sp.init_printing(use_latex="mathjax")
rng = np.random.default_rng(20260204)

# %% [markdown]
# ## The trap
#
# ```{prf:proposition} Greedy decoding can miss a mode of probability below 1/2 (paper Prop. 4.3)
# :label: prop-greedy-trap
#
# For every $p \in (0, 1/2)$ there is an autoregressive policy with a unique mode
# $y^\star$ of probability exactly $p$ on which greedy decoding returns a different
# sequence. With vocabulary $V$ and length $L$, the construction below works with a
# trap mass $\eta$ exactly when
#
# $$
# 0 < \eta \le 1 - 2p, \qquad |V|^{L-1} > 1 + \frac{\eta}{p},
# $$ (eq-trap-conditions)
#
# and, if $r = 1 - 2p - \eta > 0$, also $|V| \ge 3$, $r/(|V|-2) < p + \eta$ and
# $r/((|V|-2)|V|^{L-1}) < p$. For $|V| = 2$ ($\eta = 1 - 2p$) the length must satisfy
# $2^{L-1} > (1-p)/p$.
# ```
#
# *Construction* (`srlm.trap_construction`). The first token is the trap $b = 0$
# with probability $p + \eta$, or $y^\star_1 = 1$ with probability $p$, or one of the
# remaining tokens sharing $r$. After $y^\star_1$ the model continues
# deterministically, so $\pi(y^\star) = p$; after any other first token it spreads
# uniformly over the $|V|^{L-1}$ continuations. Greedy decoding takes the trap at
# the first step (it is the largest first token) and can never return $y^\star$.
#
# Each condition is one line of algebra: the trap beats $y^\star_1$ iff $\eta > 0$;
# both fit in the first step iff $2p + \eta \le 1$, which with $\eta > 0$ forces
# $p < 1/2$; a sequence through the trap has probability $(p + \eta)/|V|^{L-1}$, below
# $p$ iff $|V|^{L-1} > 1 + \eta/p$.

# %%
p, eta, V, L = sp.symbols("p eta V L", positive=True)
room = sp.solve_univariate_inequality(2 * p + eta <= 1, p, relational=False)
assert room == sp.Interval(-sp.oo, (1 - eta) / 2) or room == sp.Interval(0, (1 - eta) / 2)
assert_identity((1 - eta) / 2 - sp.Rational(1, 2), -eta / 2, "p <= (1-eta)/2 = 1/2 - eta/2 < 1/2")
K = sp.symbols("K", positive=True)  # K = |V|^(L-1) continuations after the trap
boundary = sp.solve(sp.Eq((p + eta) / K, p), K)
assert len(boundary) == 1
assert_identity(boundary[0], 1 + eta / p, "trap sequences < p iff K > 1 + eta/p")
assert_identity(sp.diff((p + eta) / K, K), -(p + eta) / K**2, "decreasing in K")
assert_identity((1 + eta / p).subs(eta, 1 - 2 * p), (1 - p) / p, "binary case eta = 1 - 2p")
L_min_binary = 1 + sp.log((1 - p) / p) / sp.log(2)
assert_identity(2 ** (L_min_binary - 1), (1 - p) / p, "binary: 2^(L-1) = (1-p)/p at the boundary")
sp.Eq(sp.Symbol("L_{binary}"), L_min_binary)

# %% [markdown]
# **Exhaustive check.** For a grid of $p$, $|V| \in \{2, 3, 4\}$ and $L \in \{2, \dots, 7\}$,
# whenever `srlm.trap_conditions` says the construction exists we enumerate all
# $|V|^L$ sequences and confirm: the mode is unique, has probability $p$, and differs
# from the greedy output; whenever a condition fails, the constructor refuses with
# a `ValueError` naming it.

# %%
built, refused = 0, 0
for p_val in (0.01, 0.05, 0.1, 0.2, 1 / 3, 0.4, 0.45, 0.49):
    for vocab in (2, 3, 4):
        for length in range(2, 8):
            eta_val = 1 - 2 * p_val if vocab == 2 else (1 - 2 * p_val) / 2
            if not all(srlm.trap_conditions(p_val, eta_val, vocab, length).values()):
                try:
                    srlm.trap_construction(p_val, vocab, length)
                except ValueError:
                    refused += 1
                    continue
                raise AssertionError("construction should have been refused")
            model = srlm.trap_construction(p_val, vocab, length)
            probs = np.sort(np.exp(model.sequence_logprobs()[0]))[::-1]
            assert abs(probs[0] - p_val) < 1e-12 and probs[1] < p_val
            assert not np.array_equal(srlm.greedy_decode(model)[0], srlm.exact_mode(model)[0])
            built += 1
glue("ch4_built", f"{built}", display=False)
glue("ch4_refused", f"{refused}", display=False)
print(f"{built} models built and verified by enumeration; {refused} parameter sets refused")

# %% [markdown]
# {glue:text}`ch4_built` models pass the enumeration check and
# {glue:text}`ch4_refused` impossible parameter sets are refused. One example, for
# $p = 0.3$, $|V| = 2$, $L = 3$:

# %%
example = srlm.trap_construction(0.3, 2, 3)
seq_probs = np.exp(example.sequence_logprobs()[0])
tokens = srlm.index_to_tokens(np.arange(8), 2, 3)
greedy_tokens = srlm.greedy_decode(example)[0][0]
for tok, prob in zip(tokens, seq_probs, strict=True):
    mark = " <- mode" if prob == seq_probs.max() else (" <- greedy" if np.array_equal(tok, greedy_tokens) else "")
    print(f"y = {tuple(int(t) for t in tok)}  pi(y) = {prob:.4f}{mark}")

# %% [markdown]
# ## The converse: above one half, greedy finds the mode
#
# ```{prf:proposition} Greedy decoding succeeds above 1/2 (converse; not in the paper)
# :label: prop-greedy-converse
#
# If $\pi(y^\star \mid x) > 1/2$ then greedy decoding returns $y^\star$, whatever the
# tie-break rule.
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
assert_identity(q_l, P_cur + P_cur * (1 - P_prev) / P_prev, "q_l = P_l + P_l (1 - P_{l-1}) / P_{l-1}")
# the second term is >= 0 for 0 < P_{l-1} <= 1, so q_l >= P_l > 1/2; and then 1 - q_l < q_l:
h = sp.symbols("h", positive=True)
assert_identity((1 - q_l) - q_l, 1 - 2 * q_l, "other tokens minus mode token")
assert sp.ask(sp.Q.negative((1 - 2 * q_l).subs(P_cur, P_prev * (sp.Rational(1, 2) + h))))
q_l

# %% [markdown]
# **Check on random models, and the figure.** We draw $40\,000$ random models
# ($|V| = 3$, $L = 4$; Dirichlet next-token tables with concentrations from $0.05$ to
# $1$, so the mode's probability spans $(0, 1)$), decode greedily, find the exact
# mode by enumeration, and plot how often they agree against $\pi(y^\star)$.

# %%
batches = [
    srlm.AutoregressivePolicy.random(rng, n_prompts=10_000, vocab=3, length=4, concentration=conc)
    for conc in (0.05, 0.15, 0.4, 1.0)
]
mode_p, agree = [], []
for model in batches:
    g_tok, _ = srlm.greedy_decode(model)
    m_tok, m_lp = srlm.exact_mode(model)
    mode_p.append(np.exp(m_lp))
    agree.append(np.all(g_tok == m_tok, axis=1))
mode_p, agree = np.concatenate(mode_p), np.concatenate(agree)
above = mode_p > 0.5
assert np.all(agree[above])  # the converse, on every model above one half
below = mode_p <= 0.5
miss_rate_below = 1 - agree[below].mean()
band = (mode_p > 0.4) & (mode_p <= 0.5)
miss_band = 1 - agree[band].mean()
assert miss_rate_below > 0  # greedy does miss below one half
edges = np.linspace(0, 1, 21)
idx = np.digitize(mode_p, edges) - 1
rate = np.array([agree[idx == b].mean() if np.any(idx == b) else np.nan for b in range(20)])
fig, ax = plt.subplots(figsize=(6, 3.8))
ax.step(edges[:-1], rate, where="post", color="C0", label="greedy = mode (fraction of models)")
ax.axvline(0.5, color="C3", ls="--", lw=1, label=r"$\pi(y^\star) = 1/2$")
ax.set(xlabel=r"mode probability $\pi(y^\star \mid x)$", ylabel="greedy success rate", ylim=(0, 1.05),
       title=r"40 000 random models, $|V| = 3$, $L = 4$")
ax.legend(loc="lower right")
plt.show()
glue("ch4_n_above", f"{above.sum()}", display=False)
glue("ch4_n_models", f"{mode_p.size}", display=False)
glue("ch4_miss_below", f"{100 * miss_rate_below:.1f}%", display=False)
glue("ch4_miss_band", f"{100 * miss_band:.1f}%", display=False)

# %% [markdown]
# All {glue:text}`ch4_n_above` models whose mode has probability above $1/2$ are
# decoded correctly. Below $1/2$, greedy misses the mode in
# {glue:text}`ch4_miss_below` of the models, and still in {glue:text}`ch4_miss_band`
# of those with $\pi(y^\star) \in (0.4, 0.5]$.
#
# ## The boundary $p = 1/2$
#
# At exactly one half the trap needs $\eta = 0$: trap and mode tie at the first
# step with probability $1/2$ each. With the smallest-index rule and the trap as
# token 0, greedy takes the trap and misses the mode; with the opposite rule it
# finds it.

# %%
tie = srlm.trap_construction(0.5, 2, 2, eta=0.0)
greedy_tie = tuple(int(t) for t in srlm.greedy_decode(tie)[0][0])
mode_tie = tuple(int(t) for t in srlm.exact_mode(tie)[0][0])
assert greedy_tie == (0, 0) and mode_tie == (1, 0)
print(f"p = 1/2: mode {mode_tie} with probability 0.5, greedy (smallest-index tie-break) returns {greedy_tie}")

# %% [markdown]
# So the correct statement is: for $p < 1/2$ a counterexample exists under every
# tie-break rule; at $p = 1/2$ only under an unfavourable one; above $1/2$ none
# exists. See the errata page for the "$\le 1/2$" reading.
#
# ## What this means
#
# A self-rewarding step that *fails* in the sense of Theorem 4.1 leaves the model
# with $\hat\pi(y^\star \mid x) \le 1/2$ at that prompt ({ref}`single_step_lower_bound`).
# The trap shows such a model can still rank $y^\star$ first among all responses
# and yet be decoded wrongly; once $\hat\pi(y^\star \mid x) > 1/2$, greedy decoding
# is guaranteed to output it. That is why the paper's failure event is
# "$\pi(y^\star) \le 1/2$" and not "$y^\star$ is not the mode".

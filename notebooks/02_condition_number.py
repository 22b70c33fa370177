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
# (condition_number)=
# # The policy condition number
#
# The paper measures how hard a base model is to sharpen by one number
# (paper §4, Eq. 5; {prf:ref}`def-condition-number`):
#
# $$
# \kappa(\pi) = \mathbb{E}_{x \sim D}\left[\frac{1}{\pi(\hat y_\pi(x) \mid x)}\right],
# \qquad \hat y_\pi(x) = \arg\max_y \pi(y \mid x).
# $$ (eq-kappa)
#
# It plays the role a concentrability coefficient plays in offline RL: the
# expected inverse probability of the response we want the model to commit to.
# This chapter proves its basic properties, the two regimes of paper Remark 4.2
# in which it is large, and its exact evolution under self-rewarding.

# %%
import itertools

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from myst_nb import glue

import srlm
from srlm import assert_identity
from srlm.report import glue_math, glue_tex, tex_range

plt.style.use("../book/_static/srlm-book.mplstyle")
sp.init_printing(use_latex="mathjax")
rng = np.random.default_rng(20260131)

# %% [markdown]
# ## Range and the near-uniform regime
#
# ```{prf:proposition} Range of κ; near-uniform policies (paper §4; Remark 4.2)
# :label: prop-kappa-range
#
# For a policy with at most $M$ responses of positive probability at each prompt,
# $1 \le \kappa(\pi) \le M$, with $\kappa = 1$ exactly when $\pi(\cdot \mid x)$ is a
# point mass for $D$-almost every $x$. The uniform policy has $\kappa = M$; the
# near-uniform policy that gives one response $(1+g)/M$ and spreads the rest evenly
# has $\kappa = M/(1+g)$.
# ```
#
# *Sharpness.* Both bounds are attained: $\kappa = 1$ by any deterministic policy, $\kappa = M$
# exactly by the uniform policy (at every prompt, $1/\max_y \pi(y|x) = M$ forces all $M$
# probabilities to equal $1/M$). Both extremal instances are computed below from the definition.
#
# *Proof.* The mode's probability is at most 1, and at least $1/M$ because $M$
# probabilities that sum to one cannot all be below $1/M$; so
# $1 \le 1/\pi(\hat y \mid x) \le M$ at every prompt, with $1$ only for a point mass.
# Averaging over $D$ keeps both bounds. For the two examples the mode's
# probability is the same at every prompt, so $\kappa$ is its inverse:

# %%
M, g, pmax = sp.symbols("M g p_max", positive=True)
w = sp.symbols("w1:4", positive=True)  # a prompt law on three prompts: w3 = 1 - w1 - w2
law = [w[0], w[1], 1 - w[0] - w[1]]
assert_identity(sum(wi * M for wi in law), M, "uniform: kappa = M")
assert_identity(
    sum(wi / ((1 + g) / M) for wi in law), M / (1 + g), "near-uniform: kappa = M/(1+g)"
)
# the mode bound: sum of M probabilities each <= p_max is <= M p_max, so 1 <= M p_max
assert_identity(
    sp.solve(sp.Eq(M * pmax, 1), pmax)[0], 1 / M, "p_max >= 1/M at equality"
)
sp.Eq(sp.Symbol(r"\kappa_{\mathrm{near}}"), M / (1 + g))

# %% [markdown]
# **Numerical check.** The two extremal instances, with $\kappa$ computed from the definition
# in plain numpy (the expected inverse of the largest probability); on random policies the range
# holds and `srlm.condition_number` agrees with a Monte Carlo average of $1/\pi(\hat y \mid x)$ over
# prompts drawn from $D$ (within five standard errors); and perturbing a uniform policy by a
# small amount leaves $\kappa \approx M$.


# %%
def kappa_by_definition(probs, weights):
    """E_{x ~ D}[1 / max_y pi(y|x)], straight from Eq. 5 (no srlm)."""
    return float(np.dot(weights, 1.0 / np.max(probs, axis=1)))


# its own generator: the random cells below keep their draws
ext_rng = np.random.default_rng(7)
w_ext = ext_rng.dirichlet(np.ones(5))
for m in (2, 7, 50):
    det = np.zeros((5, m))
    det[np.arange(5), ext_rng.integers(m, size=5)] = 1.0  # a deterministic policy
    uni = np.full((5, m), 1.0 / m)
    assert kappa_by_definition(det, w_ext) == 1.0
    assert abs(kappa_by_definition(uni, w_ext) - m) < 1e-12 * m
    assert (
        abs(srlm.condition_number(srlm.TabularPolicy.from_probs(uni, w_ext)) - m)
        <= 1e-12 * m
    )
print("kappa = 1 (deterministic) and kappa = M (uniform) attained for M = 2, 7, 50")

# %%
checks = 0
for m in (2, 5, 20, 100):
    pol = srlm.TabularPolicy.random(rng, 30, m, 0.5, random_weights=True)
    k = srlm.condition_number(pol)
    assert 1 <= k <= m
    draws = 1 / pol.probs.max(axis=1)[rng.choice(30, size=200_000, p=pol.weights)]
    assert abs(draws.mean() - k) < 5 * draws.std() / np.sqrt(draws.size)
    checks += 1
assert srlm.condition_number(srlm.TabularPolicy.from_probs(np.eye(4))) == 1.0
print(f"{checks} random policies: 1 <= kappa <= M, and the Monte Carlo average agrees")
print("within 5 standard errors")

# %%
ms = np.array([2, 4, 8, 16, 32, 64, 128, 256])
mixes = (0.0, 0.2, 0.5)
near_uniform = {
    lam: [
        srlm.condition_number(
            srlm.TabularPolicy.from_probs(
                (1 - lam) / m + lam * rng.dirichlet(np.ones(m), size=50)
            )
        )
        for m in ms
    ]
    for lam in mixes
}
assert np.allclose(near_uniform[0.0], ms)
ratio_02 = np.array(near_uniform[0.2]) / ms
assert np.all((ratio_02 > 0.4) & (ratio_02 <= 1.0))
SEEDS = range(5)
seed_minima = []
# the same experiment on five seeds: the smallest kappa/M over the M shown
for seed in SEEDS:
    gen = np.random.default_rng(seed)
    seed_minima.append(
        min(
            kappa_by_definition(
                0.8 / m + 0.2 * gen.dirichlet(np.ones(m), size=50), np.full(50, 1 / 50)
            )
            / m
            for m in ms
        )
    )
glue("ch2_ratio_lam02_min", f"{ratio_02.min():.2f}", display=False)
glue_tex("ch2_ratio_lam02_seeds", tex_range(min(seed_minima), max(seed_minima), 2))

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-ch2-near-uniform", "caption": "$\\kappa(\\pi)$ against the number of responses $M$ for uniform policies perturbed by Dirichlet draws of weight $\\lambda$; the dashed line is $\\kappa = M$."}}
fig, ax = plt.subplots(figsize=(6.0, 3.6))
for lam in mixes:
    label = rf"$(1-\lambda)\,$uniform $+ \lambda\,$Dirichlet, $\lambda={lam}$"
    ax.loglog(ms, near_uniform[lam], marker="o", label=label)
ax.loglog(ms, ms, color="grey", ls="--", lw=0.8, label=r"$\kappa = M$")
ax.set(
    xlabel="number of responses $M$",
    ylabel=r"$\kappa(\pi)$",
    title="near-uniform policies",
)
ax.legend()
plt.show()

# %% [markdown]
# A 20% Dirichlet perturbation of the uniform policy keeps at least
# {glue:text}`ch2_ratio_lam02_min` of $\kappa = M$ for every $M$ shown ({numref}`fig-ch2-near-uniform`'s draw; over five
# other seeds the smallest ratio is {glue:md}`ch2_ratio_lam02_seeds`): a model that
# is nearly indifferent among $M$ answers has $\kappa$ of order $M$. The ratio
# slowly falls with $M$ because the largest Dirichlet weight grows like
# $\log M / M$, i.e. the perturbed mode has probability about
# $(0.8 + 0.2 \log M)/M$.
#
# ## Low-confidence autoregressive policies
#
# ```{prf:proposition} Autoregressive models with capped next-token probabilities (paper Remark 4.2)
# :label: prop-kappa-autoregressive
#
# Let $\pi(y \mid x) = \prod_{l=1}^L \pi(y_l \mid x, y_{<l})$ with every next-token
# probability at most $\alpha < 1$. Then $\max_y \pi(y \mid x) \le \alpha^L$, so
# $\kappa(\pi) \ge \alpha^{-L}$; with $L = \lceil \log n / \log(1/\alpha) \rceil$ this gives
# $\kappa(\pi) \ge n$.
# ```
#
# *Sharpness.* $\kappa = \alpha^{-L}$ exactly when, at $D$-almost every prompt, some sequence has
# every conditional equal to $\alpha$ — for instance when every next-token row is
# $(\alpha, \tfrac{1-\alpha}{|V|-1}, \dots, \tfrac{1-\alpha}{|V|-1})$ with $\alpha \ge 1/|V|$ (computed below). On
# that model $\alpha^{-(L-1)} < n$ for $L = \lceil \log n/\log(1/\alpha) \rceil$ (as $L - 1 < \log n/\log(1/\alpha)$),
# so no shorter length works for every model.
#
# *Proof.* Every factor of the product is at most $\alpha$, so every sequence,
# the mode included, has probability at most $\alpha^L$. For the second claim,
# $\alpha^{-L}$ increases with $L$, and at the real value $L = \log n/\log(1/\alpha)$
# it equals $n$:

# %%
alpha, n, L = sp.symbols("alpha n L", positive=True)
L_star = sp.log(n) / sp.log(1 / alpha)
assert_identity(alpha ** (-L_star), n, "alpha^(-L) = n at L = log n / log(1/alpha)")
# > 0 for alpha < 1
assert_identity(
    sp.diff(alpha ** (-L), L), -sp.log(alpha) * alpha ** (-L), "d/dL alpha^(-L)"
)
sp.Eq(alpha ** (-L_star), sp.simplify(alpha ** (-L_star)))

# %% [markdown]
# **Numerical check.** `srlm.AutoregressivePolicy.random(..., max_prob=α)` draws
# Dirichlet next-token tables and mixes each row with the uniform row just enough
# that no entry exceeds $\alpha$. The exact mode comes from a backward
# max-product recursion over the prefix tree; we check it against an exhaustive
# enumeration of all $|V|^L$ sequences written here (each conditional looked up by its prefix),
# and $\kappa$ against the bound.


# %%
def mode_prob_by_enumeration(tables):
    """max_y pi(y|x) per prompt, over every token tuple (no srlm).

    Each conditional probability is looked up by the tuple's prefix.
    """
    vocab, ell = tables[0].shape[2], len(tables)
    # all |V|^L sequences
    tokens = np.array(list(itertools.product(range(vocab), repeat=ell)))
    prob = np.ones((tables[0].shape[0], tokens.shape[0]))
    for pos in range(ell):
        prefix = (
            tokens[:, :pos] @ (vocab ** np.arange(pos - 1, -1, -1))
            if pos
            else np.zeros(len(tokens), int)
        )
        prob *= tables[pos][:, prefix, tokens[:, pos]]
    return prob.max(axis=1)


V, lengths, alphas = 4, np.arange(1, 9), (0.4, 0.6, 0.8)
# the extremal model, every row (alpha, (1-alpha)/(V-1), ...): kappa = alpha^{-L}
for a in alphas:
    for ell in (1, 3, 6):
        row = np.array([a] + [(1 - a) / (V - 1)] * (V - 1))
        tabs = tuple(np.broadcast_to(row, (3, V**pos, V)).copy() for pos in range(ell))
        kappa_ext = float(np.mean(1 / mode_prob_by_enumeration(tabs)))
        assert abs(kappa_ext - a ** (-ell)) <= 1e-12 * a ** (-ell)
        kappa_srlm = srlm.condition_number(
            srlm.AutoregressivePolicy(tabs, np.full(3, 1 / 3))
        )
        assert abs(kappa_srlm - a ** (-ell)) <= 1e-9 * a ** (-ell)
print(
    "extremal model: kappa = alpha^{-L} exactly"
    " for alpha in (0.4, 0.6, 0.8), L in (1, 3, 6)"
)
kappa_ar = {a: [] for a in alphas}
for a in alphas:
    for ell in lengths:
        ar = srlm.AutoregressivePolicy.random(
            rng, n_prompts=20, vocab=V, length=int(ell), concentration=0.3, max_prob=a
        )
        assert ar.max_conditional() <= a + 1e-12
        assert np.allclose(
            np.exp(ar.mode_logprobs()),
            mode_prob_by_enumeration(ar.tables),
            rtol=1e-10,
            atol=0,
        )
        k = srlm.condition_number(ar)
        assert k >= a ** (-ell) * (1 - 1e-12)
        kappa_ar[a].append(k)
n_example, alpha_example = 10**6, 0.6
L_needed = int(np.ceil(np.log(n_example) / np.log(1 / alpha_example)))
assert alpha_example ** (-L_needed) >= n_example > alpha_example ** (-(L_needed - 1))
glue("ch2_L_needed", f"{L_needed}", display=False)
glue_math("ch2_n_example", n_example, 1)
glue("ch2_kappa_L8_a06", f"{kappa_ar[0.6][-1]:.3g}", display=False)
kappa_seeds = [
    srlm.condition_number(
        srlm.AutoregressivePolicy.random(
            np.random.default_rng(seed),
            n_prompts=20,
            vocab=V,
            length=8,
            concentration=0.3,
            max_prob=0.6,
        )
    )
    for seed in SEEDS
]
glue_tex("ch2_kappa_L8_a06_seeds", tex_range(min(kappa_seeds), max(kappa_seeds), 3))
glue("ch2_bound_L8_a06", f"{0.6**-8:.3g}", display=False)

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-ch2-autoregressive", "caption": "$\\kappa(\\pi)$ of random autoregressive policies with next-token probabilities capped at $\\alpha$, against the response length $L$; dashed lines are the bound $\\alpha^{-L}$."}}
fig, ax = plt.subplots(figsize=(6.0, 3.6))
for a, color in zip(alphas, ("C0", "C1", "C2"), strict=True):
    ax.semilogy(
        lengths, kappa_ar[a], marker="o", color=color, label=rf"random, $\alpha = {a}$"
    )
    ax.semilogy(lengths, a ** (-lengths.astype(float)), color=color, ls="--", lw=0.9)
ax.set(
    xlabel="response length $L$",
    ylabel=r"$\kappa(\pi)$",
    title=r"dashed: the bound $\alpha^{-L}$",
)
ax.legend()
plt.show()

# %% [markdown]
# The bound is reached when every step is as unsure as allowed, and random
# models sit above it ({numref}`fig-ch2-autoregressive`; at $L = 8$, $\alpha = 0.6$: $\kappa =$
# {glue:text}`ch2_kappa_L8_a06` for the drawn model, {glue:md}`ch2_kappa_L8_a06_seeds` over five other
# seeds, against the bound {glue:text}`ch2_bound_L8_a06`). With next-token confidence at most $0.6$, responses
# of only {glue:text}`ch2_L_needed` tokens already give $\kappa \ge$ {glue:md}`ch2_n_example`: for a
# language model, $\kappa$ is exponential in the response length unless the model
# is confident token by token.
#
# ## Exact evolution under self-rewarding
#
# ```{prf:proposition} Doubly exponential decay of κ − 1 (paper §3 with Eq. 5)
# :label: prop-kappa-dynamics
#
# Fix a prompt with probabilities $p_1 > p_2 \ge \dots \ge p_M$ under $\pi_0$ and let
# $s = 1 + 1/\beta$. After $T$ exact self-rewarding steps,
#
# $$
# \begin{aligned}
# &\frac{1}{\pi_T(\hat y \mid x)} = \sum_{j=1}^M \left(\frac{p_j}{p_1}\right)^{s^T}, \\
# &0 \le \frac{1}{\pi_T(\hat y \mid x)} - 1 \\
# &\qquad \le (M-1)\left(\frac{p_2}{p_1}\right)^{s^T}.
# \end{aligned}
# $$ (eq-kappa-dynamics)
#
# Averaging over $D$: $\kappa(\pi_T) \to 1$, with $\kappa(\pi_T) - 1$ decaying doubly
# exponentially in $T$ (in the population limit).
# ```
#
# *Sharpness.* The upper bound is attained, for every $T$, exactly when all non-top probabilities
# equal $p_2$ ($p = (p_1, p_2, \dots, p_2)$): each of the $M - 1$ terms is then $(p_2/p_1)^{s^T}$. The
# lower bound $0$ is attained by a point mass ($p_2 = 0$). Averaged over $D$ the bound is attained
# when this holds at every prompt; the extremal instance is computed below.

# %%
m_T = sp.symbols("m", positive=True)  # the exponent s^T
ps = sp.symbols("p1:5", positive=True)
pi_T_mode = ps[0] ** m_T / sum(pj**m_T for pj in ps)
assert_identity(
    1 / pi_T_mode,
    sum((pj / ps[0]) ** m_T for pj in ps),
    "1/pi_T(mode) = sum (p_j/p_1)^m",
)
# each term j >= 2 is (p_j/p_1)^m <= (p_2/p_1)^m,
# because p_j <= p_2 and t -> t^m is increasing
assert_identity(
    sp.diff((ps[2] / ps[0]) ** m_T, ps[2]),
    m_T * (ps[2] / ps[0]) ** m_T / ps[2],
    "monotone in p_j",
)
sum((pj / ps[0]) ** m_T for pj in ps)  # = 1 / pi_T(mode | x) for M = 4


# %%
def self_reward_steps(probs, beta, steps):
    """T exact self-rewarding steps (no srlm).

    pi_{t+1} ∝ pi_t exp(log pi_t / beta) = pi_t^(1 + 1/beta).
    """
    p_ = probs.copy()
    for _ in range(steps):
        p_ = p_ ** (1 + 1 / beta)
        p_ /= p_.sum(axis=1, keepdims=True)
    return p_


ext_rng2 = np.random.default_rng(11)
m_ext = 6
p1 = ext_rng2.uniform(0.3, 0.9, size=4)
p2 = (1 - p1) / (m_ext - 1)  # all non-top probabilities equal
p_ext = np.column_stack([p1, np.repeat(p2[:, None], m_ext - 1, axis=1)])
for T in range(6):
    p_T = self_reward_steps(p_ext, 1.0, T)
    # 1/pi_T(mode) - 1 without cancellation (mode = column 0)
    excess_ext = p_T[:, 1:].sum(axis=1) / p_T[:, 0]
    bound_ext = (m_ext - 1) * (p2 / p1) ** (2.0**T)
    assert np.allclose(excess_ext, bound_ext, rtol=1e-9, atol=0)
    srlm_ext = srlm.iterate_self_rewarding(srlm.TabularPolicy.from_probs(p_ext), 1.0, T)
    assert (
        abs(srlm.condition_number_excess(srlm_ext) - bound_ext.mean())
        <= 1e-9 * bound_ext.mean()
    )
print(
    "extremal instance p = (p1, p2, ..., p2):"
    " the bound holds with equality for T = 0..5"
)

# %% [markdown]
# **Numerical check and figure.** For random policies (eight prompts, six
# responses, $\beta = 1$, so $s = 2$) we compare `srlm.condition_number_excess` of
# the closed-form $\pi_T$ (an accurate $\kappa - 1$ that does not lose digits by
# subtraction) with the sum in {eq}`eq-kappa-dynamics` evaluated directly, and
# check the bound at every $T$. Plotting $\log(\kappa_T - 1)$ against $s^T$
# ({numref}`fig-ch2-kappa-decay`, right) gives an asymptotically straight line whose
# slope is the worst prompt's $\log(p_2/p_1)$.

# %%
BETA, s_val, T_max = 1.0, 2.0, 9
pol0 = srlm.TabularPolicy.random(rng, 8, 6, 0.4)
p_sorted = -np.sort(-pol0.probs, axis=1)
excess = []
for T in range(T_max + 1):
    e_T = s_val**T
    direct = np.dot(
        pol0.weights, ((p_sorted[:, 1:] / p_sorted[:, :1]) ** e_T).sum(axis=1)
    )
    bound = np.dot(pol0.weights, 5 * (p_sorted[:, 1] / p_sorted[:, 0]) ** e_T)
    exc = srlm.condition_number_excess(srlm.iterate_self_rewarding(pol0, BETA, T))
    assert abs(exc - direct) <= 1e-10 * direct and exc <= bound * (1 + 1e-12)
    excess.append(exc)
excess = np.array(excess)
e_grid = s_val ** np.arange(T_max + 1)
worst = np.max(np.log(p_sorted[:, 1] / p_sorted[:, 0]))
slope = np.polyfit(e_grid[-4:], np.log(excess[-4:]), 1)[0]
SLOPE_TOL = 0.01  # relative
assert abs(slope - worst) < SLOPE_TOL * abs(worst)
glue("ch2_slope_tol", f"{100 * SLOPE_TOL:.0f}%", display=False)
glue("ch2_kappa0", f"{srlm.condition_number(pol0):.3g}", display=False)
glue_math("ch2_excess_T5", excess[5], 2)
glue("ch2_slope", f"{slope:.4f}", display=False)
glue("ch2_worst", f"{worst:.4f}", display=False)
slope_dev, excess5_seeds = [], []
for seed in SEEDS:  # the same fit on five other random policies
    pol_s = srlm.TabularPolicy.random(np.random.default_rng(seed), 8, 6, 0.4)
    ps_s = -np.sort(-pol_s.probs, axis=1)
    exc_s = [
        np.dot(pol_s.weights, ((ps_s[:, 1:] / ps_s[:, :1]) ** (s_val**T)).sum(axis=1))
        for T in range(T_max + 1)
    ]
    worst_s = np.max(np.log(ps_s[:, 1] / ps_s[:, 0]))
    slope_dev.append(
        abs(np.polyfit(e_grid[-4:], np.log(exc_s[-4:]), 1)[0] / worst_s - 1)
    )
    excess5_seeds.append(exc_s[5])
glue_tex("ch2_excess_T5_seeds", tex_range(min(excess5_seeds), max(excess5_seeds), 2))
glue("ch2_slope_dev_seeds", f"{100 * max(slope_dev):.2g}%", display=False)

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-ch2-kappa-decay", "caption": "Left: $\\kappa(\\pi_T) - 1$ over self-rewarding rounds at $\\beta = 1$ on a log scale. Right: $\\log(\\kappa_T - 1)$ against the exponent $s^T$, with the line of slope $\\max_x \\log(p_2/p_1)$ dashed."}}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.2))
ax1.semilogy(range(T_max + 1), excess, marker="o")
ax1.set(
    xlabel="round $T$",
    ylabel=r"$\kappa(\pi_T) - 1$",
    title=r"$\beta = 1$: doubly exponential decay",
)
ax2.plot(e_grid, np.log(excess), marker="o", label=r"$\log(\kappa_T - 1)$")
ax2.plot(
    e_grid,
    worst * e_grid + np.log(excess[-1]) - worst * e_grid[-1],
    ls="--",
    color="grey",
    label=r"slope $\max_x \log(p_2/p_1)$",
)
ax2.set(
    xlabel=r"exponent $s^T$", ylabel=r"$\log(\kappa_T - 1)$", title="straight in $s^T$"
)
ax2.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Starting from $\kappa_0 =$ {glue:text}`ch2_kappa0`, five exact rounds leave
# $\kappa - 1 =$ {glue:md}`ch2_excess_T5` (five other random policies of the same kind:
# {glue:md}`ch2_excess_T5_seeds`). The fitted slope of the last four
# points, {glue:text}`ch2_slope`, matches $\max_x \log(p_2/p_1) =$
# {glue:text}`ch2_worst` to within {glue:text}`ch2_slope_tol` (over five other seeds the largest relative deviation is
# {glue:text}`ch2_slope_dev_seeds`): the prompt with the closest runner-up dominates.
#
# ## What this means
#
# - In the population limit the condition number collapses to 1 doubly
#   exponentially fast; everything interesting in the paper is about finite $n$,
#   where each round's estimate of the Gibbs step is noisy and the noise is paid
#   in units of $\kappa_t$ (Chapter 3 for one step).
# - The rate is set by the gap between the best and second-best responses. A
#   prompt with an exact tie ($p_1 = p_2$) never resolves: both tied responses
#   tend to $1/2$ and that prompt contributes $1$ to $\kappa - 1$ forever. This is
#   the "margin collapse" a reviewer asked about; the closed form shows the loop
#   neither creates nor breaks an exact tie.
# - For sequence models $\kappa$ is exponential in the length unless every step is
#   confident, which is why a practical estimate of $\kappa$ must be computed from
#   sequence-level probabilities of the modal (or greedy) response.

# %% [markdown]
# ## Exercises
#
# ```{exercise} How many rounds to bring κ − 1 below η
# :label: ex-ch2-rounds-to-eta
#
# Let every prompt have a unique mode, $M$ responses, and $\omega = \max_x p_2(x)/p_1(x) < 1$.
# Show from {eq}`eq-kappa-dynamics` that $\kappa(\pi_T) - 1 \le \eta$ as soon as
# $s^T \ge \log((M-1)/\eta)/\log(1/\omega)$, and that for the extremal policy of the sharpness
# paragraph (one prompt, $p = (p_1, p_2, \dots, p_2)$) this sufficient condition is also
# necessary: the first round with $\kappa(\pi_T) - 1 \le \eta$ is
# $T_\eta = \big\lceil \log R/\log s \big\rceil$ with $R = \log((M-1)/\eta)/\log(p_1/p_2)$ (and
# $T_\eta = 0$ if $R \le 1$). For $p = (0.5, 0.1, 0.1, 0.1, 0.1, 0.1)$ and $\beta = 1$, how many
# rounds bring $\kappa - 1$ below $10^{-6}$, and how many below $10^{-12}$?
# ```
#
# ```{solution-start} ex-ch2-rounds-to-eta
# :class: dropdown
# ```
#
# Averaging the upper bound of {eq}`eq-kappa-dynamics`,
# $\kappa(\pi_T) - 1 \le (M-1)\omega^{s^T}$, and $(M-1)\omega^{m} \le \eta$ iff
# $m \ge \log((M-1)/\eta)/\log(1/\omega)$ because $\omega < 1$. On the extremal policy the bound is
# an equality, so $\kappa(\pi_T) - 1 \le \eta$ iff $s^T \ge R$, i.e. $T \ge \log R/\log s$. In
# the example $R = \log(5 \cdot 10^6)/\log 5 \approx$ {glue:md}`ch2_ex_R6` and $s = 2$:
# $T_\eta = 4$; for $\eta = 10^{-12}$, $R \approx$ {glue:md}`ch2_ex_R12` and $T_\eta = 5$. Squaring the target costs one round:
# that is doubly exponential decay. The code checks the crossing exactly, then the formula
# against plain iteration (no `srlm`) on 72 extremal instances.

# %%
omega_s, eta_s, m_s = sp.symbols("omega eta M", positive=True)
m_cross = sp.log((m_s - 1) / eta_s) / sp.log(1 / omega_s)
assert_identity(sp.simplify((m_s - 1) * omega_s**m_cross), eta_s, "(M-1) omega^m = eta")


def rounds_formula(p1_, p2_, m, beta_, eta):
    """T_eta from the closed form above."""
    big_r = np.log((m - 1) / eta) / np.log(p1_ / p2_)
    return int(np.ceil(np.log(big_r) / np.log(1 + 1 / beta_))) if big_r > 1 else 0


def rounds_iterated(p1_, p2_, m, beta_, eta):
    """The first T with kappa(pi_T) - 1 <= eta, by iterating the step (no srlm)."""
    p_t = np.array([[p1_] + [p2_] * (m - 1)])
    for t_ in range(100):
        if p_t[0, 1:].sum() / p_t[0, 0] <= eta:
            return t_
        p_t = self_reward_steps(p_t, beta_, 1)
    raise AssertionError("not reached in 100 rounds")


n_cases = 0
for p1_ex in (0.3, 0.5, 0.8):
    for m_ex in (3, 6, 20):
        for beta_ex in (0.5, 1.0, 4.0):
            for eta_ex in (1e-2, 1e-6, 1e-12):
                p2_ex = (1 - p1_ex) / (m_ex - 1)
                if p2_ex >= p1_ex:  # no unique mode (p1 = 0.3 with M = 3)
                    continue
                want = rounds_iterated(p1_ex, p2_ex, m_ex, beta_ex, eta_ex)
                assert rounds_formula(p1_ex, p2_ex, m_ex, beta_ex, eta_ex) == want
                n_cases += 1
assert n_cases == 72
example = [rounds_formula(0.5, 0.1, 6, 1.0, eta_ex) for eta_ex in (1e-6, 1e-12)]
glue_math("ch2_ex_R6", np.log(5e6) / np.log(5), 2)
glue_math("ch2_ex_R12", np.log(5e12) / np.log(5), 3)
assert example == [4, 5]
print(f"{n_cases} extremal instances: T_eta = first round with kappa - 1 <= eta")
print(
    f"p = (0.5, 0.1, ..., 0.1), beta = 1: {example[0]} rounds for 1e-6,"
    f" {example[1]} for 1e-12"
)

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} The response length, in exact arithmetic
# :label: ex-ch2-length-exact
#
# {prf:ref}`prop-kappa-autoregressive` needs $L = \lceil \log n/\log(1/\alpha) \rceil$ tokens for
# $\kappa \ge n$. Show that this is the least integer $L$ with $\alpha^{-L} \ge n$, and reproduce
# the chapter's {glue:text}`ch2_L_needed` tokens for $\alpha = 0.6$, $n = 10^6$ in exact rational
# arithmetic: $(5/3)^{27} < 10^6 \le (5/3)^{28}$. How long must responses be for the
# proposition to give $\kappa \ge 10^6$ at $\alpha = 1/2$, and $\kappa \ge 10^9$ for a fairly
# confident model, $\alpha = 0.9$?
# ```
#
# ```{solution-start} ex-ch2-length-exact
# :class: dropdown
# ```
#
# $L \mapsto \alpha^{-L}$ is increasing, and $\alpha^{-L} \ge n$ iff
# $L \ge \log n/\log(1/\alpha)$, whose least integer solution is the ceiling. Floating point
# can put $\log n/\log(1/\alpha)$ on the wrong side of an integer, so we decide each case by
# exact rationals (sympy), searching $L$ upwards: $28$ for $\alpha = 0.6$, $20$ for
# $\alpha = 1/2$ ($2^{20} \ge 10^6 > 2^{19}$), and $197$ for $\alpha = 0.9$, $n = 10^9$. Even a
# model whose next-token probabilities never exceed 90% has $\kappa \ge 10^9$ on responses of
# 197 tokens.


# %%
def least_length(alpha_, n_min):
    """Least integer L with alpha^(-L) >= n_min, in exact rationals."""
    length = 0
    while (1 / alpha_) ** length < n_min:
        length += 1
    return length


exact_cases = (
    (sp.Rational(3, 5), 10**6),
    (sp.Rational(1, 2), 10**6),
    (sp.Rational(9, 10), 10**9),
)
lengths_exact = [least_length(a_, n_) for a_, n_ in exact_cases]
assert (sp.Rational(5, 3)) ** 27 < 10**6 <= (sp.Rational(5, 3)) ** 28
assert lengths_exact == [int(L_needed), 20, 197]
for (a_, n_), ell in zip(exact_cases, lengths_exact, strict=True):
    assert ell == int(
        np.ceil(np.log(n_) / np.log(1 / float(a_)))
    )  # the ceiling formula
    print(f"alpha = {a_}, n = 10^{len(str(n_)) - 1}: least L = {ell}")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} Exact ties never resolve
# :label: ex-ch2-ties
#
# Drop the hypothesis $p_1 > p_2$ of {prf:ref}`prop-kappa-dynamics`: at prompt $x$ let the
# largest probability be shared by $k(x) \ge 1$ responses. Show that under exact
# self-rewarding $1/\pi_T(\hat y \mid x) \to k(x)$, so $\kappa(\pi_T) \to \mathbb{E}_x[k(x)]$ —
# not $1$ — and that the approach is still doubly exponential, at the rate of the largest
# probability below the tied maximum.
# ```
#
# ```{solution-start} ex-ch2-ties
# :class: dropdown
# ```
#
# The first identity of {eq}`eq-kappa-dynamics` holds for any $p_1 = \max_j p_j$: with $k$
# responses at the maximum, $1/\pi_T(\hat y \mid x) = k + \sum_{j:\,p_j < p_1}(p_j/p_1)^{s^T}$,
# and each remaining term is at most $(p_{k+1}/p_1)^{s^T} \to 0$ doubly exponentially. The code
# checks the limit with sympy (for $M = 4$, $k = 2$), then on a random five-prompt policy with
# $k = (1, 2, 3, 1, 4)$ tied modes: $\kappa(\pi_T)$ computed from the definition in plain numpy
# reaches $\mathbb{E}_x[k(x)]$ and stays there.

# %%
# M = 4, k = 2: the other two ratios p_j/p_1 < 1 are exp(-lambda_j), lambda_j > 0,
# and 1/pi_T(mode) = 2 + sum_j exp(-lambda_j m) with m = s^T
lam3, lam4 = sp.symbols("lambda3 lambda4", positive=True)
assert sp.limit(2 + sp.exp(-lam3 * m_T) + sp.exp(-lam4 * m_T), m_T, sp.oo) == 2
tie_gen = np.random.default_rng(5)
tie_rows, k_ties = [], [1, 2, 3, 1, 4]
for k_tie in k_ties:
    top = tie_gen.uniform(0.5 / k_tie, 0.9 / k_tie)  # k_tie responses share the maximum
    rest = np.minimum(tie_gen.dirichlet(np.ones(5)) * (1 - k_tie * top), 0.95 * top)
    row = np.pad(np.concatenate([np.full(k_tie, top), rest]), (0, 9 - k_tie - 5))
    tie_rows.append(row / row.sum())
tie_probs, tie_w = np.array(tie_rows), np.full(5, 0.2)
kappa_path = [
    kappa_by_definition(self_reward_steps(tie_probs, 1.0, t_), tie_w)
    for t_ in range(31)
]
assert abs(kappa_path[-1] - np.dot(tie_w, k_ties)) < 1e-12
assert all(abs(kp - np.dot(tie_w, k_ties)) < 1e-12 for kp in kappa_path[10:])
print(f"E[k(x)] = {np.dot(tie_w, k_ties):.1f}; kappa(pi_T) for T = 0, 2, 4, 6, 8:")
print(np.round(kappa_path[0:10:2], 6).tolist())

# %% [markdown]
# ```{solution-end}
# ```

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
# (gaps_to_condition_numbers)=
# # From performance gaps to condition numbers
#
# The upper-bound half of the paper turns a *statistical* statement — each round's
# DPO fit has a small performance gap — into a statement about *confidence* and
# then about the next round's *condition number*. Two lemmas do this (paper
# App. C, Lemma C.1 with Eq. 8–10 and Eq. 43, 118–120; Lemma C.3 with Eq. 44–58).
#
# For a reward table $r$ with best response $y^\star(x) = \arg\max_y r(x, y)$, write
# $J(\pi) = \mathbb{E}_x \mathbb{E}_{y\sim\pi} r(x, y)$, $\pi^\star$ the point mass at $y^\star$ (the
# policy with $\pi^\star(y^\star(x) \mid x) = 1$), the
# margin $\gamma = \min_x (r(x, y^\star) - \max_{y\ne y^\star} r(x, y))$ (paper Def. 5.2;
# with $r = \log\pi_t$ it is the log-probability gap of $\pi_t$) and the minimum
# confidence $\mu = \min_{t,x}\max_y \pi_t(y \mid x)$ (the paper's $c$).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from myst_nb import glue
from scipy.integrate import quad
from scipy.optimize import brentq, differential_evolution, linprog, minimize

import srlm
from srlm import assert_identity
from srlm.report import glue_math

plt.style.use("../book/_static/srlm-book.mplstyle")
sp.init_printing(use_latex="mathjax")
rng = np.random.default_rng(20260205)

# %% [markdown]
# ## A performance gap bounds the failure probability
#
# ```{prf:lemma} Gap to failure (paper Lemma C.1)
# :label: lem-gap-to-failure
#
# For every policy $\pi$ and $\varepsilon \in (0, 1)$,
#
# $$
# P_x\big[\pi(y^\star \mid x) \le 1 - \varepsilon\big] \le \frac{J(\pi^\star) - J(\pi)}{\gamma\,\varepsilon}.
# $$ (eq-gap-to-failure)
#
# **Sharpness: attained** (for every $\gamma$, at $\varepsilon = 1/2$ by the four-prompt instance computed
# below: both sides equal $1/2$).
# ```
#
# ```{prf:lemma} The policy's own mode (paper Eq. 43, 118–120)
# :label: lem-own-mode
#
# $\pi(\hat y_\pi \mid x) \ge \pi(y^\star \mid x)$, so {eq}`eq-gap-to-failure` also bounds
# $P_x[\pi(\hat y_\pi \mid x) \le 1 - \varepsilon]$.
#
# **Sharpness: attained** whenever the mode is $y^\star$ (the same instance).
# ```
#
# *Proof.* $J(\pi^\star) - J(\pi) = \mathbb{E}_x\sum_{y} \pi(y|x)\,(r(x,y^\star) - r(x,y))$; the
# term $y = y^\star$ vanishes and every other term is at least $\gamma\,\pi(y|x)$, so
# the gap is at least $\gamma\,\mathbb{E}_x[1 - \pi(y^\star|x)]$. Markov's inequality
# for the non-negative $1 - \pi(y^\star|x)$ at level $\varepsilon$ gives the lemma.
# Lemma C.2 holds because the mode is the most likely response. We check the
# gap decomposition for three responses symbolically:

# %%
q1, q2 = sp.symbols("q1 q2", positive=True)  # pi(y*), pi(y2); pi(y3) = 1 - q1 - q2
# r(y*) = r1, r(y_j) = r1 - d_j, d_j >= gamma
r1, d2, d3, gam = sp.symbols("r1 d2 d3 gamma", positive=True)
pis = [q1, q2, 1 - q1 - q2]
rewards = [r1, r1 - d2, r1 - d3]
# J(pi*) - J(pi) at one prompt
gap = r1 - sum(p_ * r_ for p_, r_ in zip(pis, rewards, strict=True))
assert_identity(
    gap,
    q2 * d2 + (1 - q1 - q2) * d3,
    "gap = sum over y != y* of pi(y) (r(y*) - r(y))",
)
u2, u3 = sp.symbols("u2 u3", nonnegative=True)  # d_j = gamma + u_j
slack = sp.expand(gap - gam * (1 - q1)).subs({d2: gam + u2, d3: gam + u3})
assert_identity(
    slack,
    q2 * u2 + (1 - q1 - q2) * u3,
    "gap - gamma (1 - pi(y*)) = sum pi(y) (d_y - gamma) >= 0",
)
sp.simplify(slack)

# %% [markdown]
# **Numerical check.** $2\,000$ random instances (12 prompts with random weights,
# 5 responses, Dirichlet policies, Gaussian rewards; 5 seeds of 400 instances each), three
# values of $\varepsilon$: the inequality must hold on every draw, for the target response and
# for the policy's own mode. We also record how tight it is, per seed.

# %%
ratios, seed_medians, seed_mins, n_checked = [], [], [], 0
for seed in range(5):
    rng_c1 = np.random.default_rng([20260205, seed])
    seed_ratios = []
    for _ in range(400):
        pol = srlm.TabularPolicy.random(rng_c1, 12, 5, 0.7, random_weights=True)
        reward = rng_c1.normal(size=(12, 5))
        gamma = srlm.reward_margin(reward)
        gap_val = srlm.performance_gap(pol, reward)
        target = reward.argmax(axis=1)
        for eps in (0.1, 0.5, 0.9):
            bound = srlm.gap_failure_bound(gap_val, gamma, eps)
            fail_target = srlm.failure_probability(pol, eps, target)
            fail_mode = srlm.failure_probability(pol, eps)
            assert fail_mode <= fail_target <= bound + 1e-12
            n_checked += 1
            if fail_target > 0:
                seed_ratios.append(bound / fail_target)
    seed_medians.append(np.median(seed_ratios))
    seed_mins.append(np.min(seed_ratios))
    ratios += seed_ratios
ratios = np.array(ratios)
glue("ch5_n_checked", f"{n_checked}", display=False)
glue("ch5_ratio_median", f"{np.median(ratios):.3g}", display=False)
glue(
    "ch5_ratio_median_range",
    f"{min(seed_medians):.3g}–{max(seed_medians):.3g}",
    display=False,
)
glue("ch5_ratio_min", f"{ratios.min():.3g}", display=False)
glue(
    "ch5_ratio_min_range",
    f"{min(seed_mins):.3g}–{max(seed_mins):.3g}",
    display=False,
)
print(f"{n_checked} checks passed; bound / failure:")
print(
    f"  median {np.median(ratios):.3g} "
    f"(per seed {min(seed_medians):.3g}-{max(seed_medians):.3g}), "
    f"min {ratios.min():.3g} (per seed {min(seed_mins):.3g}-{max(seed_mins):.3g})"
)

# %% [markdown]
# All {glue:text}`ch5_n_checked` checks pass. On random instances the bound is
# loose — the median ratio of bound to actual failure probability is
# {glue:text}`ch5_ratio_median` (per-seed medians {glue:text}`ch5_ratio_median_range` over 5 seeds) —
# because the margin $\gamma$ is the *smallest*
# gap over all prompts while most prompts have much larger gaps; the closest
# instance comes within a factor {glue:text}`ch5_ratio_min` (per-seed minima
# {glue:text}`ch5_ratio_min_range`). Random draws show
# validity, not sharpness; the next cell shows the bound is **attained**.
#
# **Sharpness (attained).** Markov's inequality is an equality for a two-point law of
# $1 - \pi(y^\star \mid x)$ on $\{0, \varepsilon\}$, and the gap equals $\gamma\,\mathbb{E}[1 - \pi(y^\star)]$
# when every suboptimal reward sits exactly $\gamma$ below the best. The instance: four
# prompts, two with $\pi(y^\star) = 1/2$ exactly and two with $\pi(y^\star) = 1$, all suboptimal
# rewards $r^\star - \gamma$, and $\varepsilon = 1/2$ (the boundary value $1 - \varepsilon$ counts as a
# failure, as in the lemma's "$\le$"). Both sides equal $1/2$, for the target and for the
# own mode (so {prf:ref}`lem-own-mode` is attained too).

# %%
probs_tight = np.array(
    [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.5, 0.25, 0.25], [1.0, 0.0, 0.0]]
)
pol_tight = srlm.TabularPolicy.from_probs(probs_tight)
gamma_tight = 0.5
reward_tight = np.array([[1.0, 1 - gamma_tight, 1 - gamma_tight]] * 4)
gap_tight = srlm.performance_gap(pol_tight, reward_tight)
lhs_target = srlm.failure_probability(pol_tight, 0.5, np.zeros(4, dtype=int))
lhs_mode = srlm.failure_probability(pol_tight, 0.5)
# independent evaluation of both sides from the table itself
gap_hand = np.mean(
    [(row * (reward_tight[0, 0] - reward_tight[0])).sum() for row in probs_tight]
)
assert abs(gap_tight - gap_hand) < 1e-15
assert lhs_target == lhs_mode == np.mean(probs_tight[:, 0] <= 0.5) == 0.5
assert abs(gap_hand / (gamma_tight * 0.5) - 0.5) < 1e-15
rhs_tight = gap_hand / (gamma_tight * 0.5)
print(
    f"attained: P[pi(y*) <= 1/2] = {lhs_target:.3g} "
    f"= gap/(gamma eps) = {rhs_tight:.3g}"
)

# %% [markdown]
# ## The next condition number: the sharp bound
#
# Lemma C.1's proof gives more than a tail bound: it gives the **mean** bound
# $\mathbb{E}_x[1 - \pi_{t+1}(y^\star \mid x)] \le K$ with $K = (J(\pi^\star) - J(\pi_{t+1}))/\gamma$, and by
# {prf:ref}`lem-own-mode` the same for the own mode $\hat y$. With the minimum confidence,
# $\pi_{t+1}(\hat y \mid x) \in [\mu, 1]$. This is all the information the paper's Lemma C.3
# uses (App. C.6: the tail probabilities come from Eq. 43, the support from the lower bound
# on probabilities).
#
# ```{prf:lemma} Next condition number, sharp form (paper Lemma C.3, companion form)
# :label: lem-kappa-sharp
#
# Let $P = \pi_{t+1}(\hat y \mid x)$ with $x \sim D$, and suppose $\mathbb{E}[1 - P] \le K$ and $P \in [\mu, 1]$
# almost surely, $0 < \mu \le 1$. Then
#
# $$
# \kappa_{t+1} = \mathbb{E}\Big[\frac{1}{P}\Big] \le \min\Big(1 + \frac{K}{\mu},\ \frac{1}{\mu}\Big).
# $$ (eq-kappa-sharp)
#
# **Sharpness: attained**, for every $K \ge 0$ and $\mu \in (0, 1]$, by the two-point law
# $P[P = \mu] = q = \min(K/(1-\mu), 1)$, $P[P = 1] = 1 - q$ (`srlm.two_point_law`): no better bound
# follows from these hypotheses.
# ```
#
# *Proof.* On $[\mu, 1]$ the convex function $1/p$ lies below its chord through $(\mu, 1/\mu)$ and
# $(1, 1)$, which is $1 + (1-p)/\mu$: the difference is $(p - \mu)(1 - p)/(\mu p) \ge 0$. Taking
# expectations, $\mathbb{E}[1/P] \le 1 + \mathbb{E}[1 - P]/\mu \le 1 + K/\mu$; and $1/P \le 1/\mu$. The two-point law
# puts its mass on the chord's end points, where the chord is exact. sympy:

# %%
p_, mu_, K_, q_ = sp.symbols("p mu K q", positive=True)
chord = 1 + (1 - p_) / mu_
assert_identity(
    chord - 1 / p_,
    (p_ - mu_) * (1 - p_) / (mu_ * p_),
    "chord - 1/p = (p - mu)(1 - p)/(mu p)",
)
# p - mu = alpha >= 0, 1 - p = beta >= 0
alpha_, beta_ = sp.symbols("alpha beta", nonnegative=True)
assert (alpha_ * beta_ / (mu_ * p_)).is_nonnegative
assert_identity(chord.subs(p_, mu_), 1 / mu_, "chord = 1/p at p = mu")
assert_identity(chord.subs(p_, 1), 1, "chord = 1/p at p = 1")
# the two-point law on {mu, 1} with P[mu] = q: mean of 1 - P and of 1/P
mean_gap = q_ * (1 - mu_)
mean_inv = q_ / mu_ + (1 - q_)
q_star = K_ / (1 - mu_)
assert_identity(mean_gap.subs(q_, q_star), K_, "E[1 - P] = K at q = K/(1 - mu)")
assert_identity(
    mean_inv.subs(q_, q_star), 1 + K_ / mu_, "E[1/P] = 1 + K/mu: attained"
)
assert_identity(
    mean_inv.subs(q_, 1), 1 / mu_, "q = 1 (K >= 1 - mu): E[1/P] = 1/mu, attained"
)
assert_identity(
    (1 + K_ / mu_ - 1 / mu_).subs(K_, 1 - mu_), 0, "the branches meet at K = 1 - mu"
)
sp.Eq(sp.Symbol(r"\kappa_{t+1}"), sp.Min(1 + K_ / mu_, 1 / mu_), evaluate=False)

# %% [markdown]
# **Independent check: a linear programme.** For each $(K, \mu)$ on a grid, `scipy.optimize.linprog`
# maximises $\mathbb{E}[1/P]$ over *all* laws on a 401-point grid of $[\mu, 1]$ (end points included)
# subject to $\mathbb{E}[1 - P] \le K$. Its optimum must equal {eq}`eq-kappa-sharp` (it cannot exceed it,
# and the grid contains the extremal support), within the solver tolerance {glue:md}`ch5_lp_tol` (relative);
# and the LP's optimal law must sit on $\{\mu, 1\}$.

# %%
LP_TOL = 1e-8  # the solver tolerance (relative), stated in the prose
glue_math("ch5_lp_tol", LP_TOL, 1)
lp_max_rel, lp_off_support, n_lp = 0.0, 0.0, 0
for K_val in (1e-4, 1e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 0.95):
    for mu_val in (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8):
        grid = np.linspace(mu_val, 1.0, 401)
        res = linprog(
            -1 / grid,
            A_ub=[1 - grid],
            b_ub=[K_val],
            A_eq=[np.ones_like(grid)],
            b_eq=[1.0],
            bounds=(0, None),
            method="highs",
        )
        assert res.status == 0
        rel = abs(-res.fun / srlm.kappa_mean_bound(K_val, mu_val) - 1)
        lp_max_rel = max(lp_max_rel, rel)
        lp_off_support = max(lp_off_support, res.x[1:-1].sum())
        n_lp += 1
assert lp_max_rel <= LP_TOL and lp_off_support <= LP_TOL
glue("ch5_n_lp", f"{n_lp}", display=False)
print(
    f"{n_lp} LPs: optimum = min(1 + K/mu, 1/mu) "
    f"within {lp_max_rel:.1e} (relative);\n"
    f"mass off {{mu, 1}} at most {lp_off_support:.1e}"
)

# %% [markdown]
# All {glue:text}`ch5_n_lp` linear programmes agree, and each optimal law is the two-point law.
#
# ## What the paper's proof technique gives: a tail integral
#
# The paper's proof of Lemma C.3 (App. C.6, Eq. 44–56) does not use the mean bound
# directly. It writes $\kappa_{t+1} = \mathbb{E}Z$ with $Z = 1/\pi_{t+1}(\hat y \mid x)$ as a tail integral
# (layer-cake), bounds each tail probability separately by Lemma C.1 at level
# $\varepsilon = 1 - 1/s$, and integrates. We evaluate that integral exactly; it is a valid bound,
# but **looser** than {eq}`eq-kappa-sharp`.
#
# ```{prf:lemma} Tail-integral bound on κ (paper Lemma C.3, Eq. 44–56: the paper's technique, evaluated exactly)
# :label: lem-tail-integral
#
# Let $K = (J(\pi^\star) - J(\pi_{t+1}))/\gamma > 0$, $Z = 1/\pi_{t+1}(\hat y \mid x) \in [1, 1/\mu]$, and
# suppose $P[Z > s] \le \min\{1, Ks/(s-1)\}$ for $s > 1$ (which {prf:ref}`lem-gap-to-failure`
# gives with $\varepsilon = 1 - 1/s$). Then, with the switch point $s_0 = 1/(1-K)$ ($K < 1 - \mu$
# exactly when $s_0 < 1/\mu$),
#
# $$
# \begin{aligned}
# &\kappa_{t+1} = 1 + \int_1^{1/\mu} P[Z > s]\,ds \\
# &\le \begin{cases}
# 1 + \dfrac{K}{\mu} \\
# \; + K \log\dfrac{(1-\mu)(1-K)}{\mu K} \\
# \qquad \text{if } K < 1 - \mu,\\[6pt]
# 1/\mu \quad \text{otherwise}.
# \end{cases}
# \end{aligned}
# $$ (eq-tail-bound)
#
# **Sharpness.** Attained under its own (per-level) hypothesis, by the law whose tail equals
# $\min\{1, Ks/(s-1)\}$ (`srlm.sample_extremal_inverse_confidence`); but that law has
# $\mathbb{E}[1 - 1/Z] = K(1 + \log((1-\mu)/K)) > K$, so it is excluded by the mean bound that
# Lemma C.1 also gives. Against {prf:ref}`lem-kappa-sharp` the gap is a factor of at most
# {glue:text}`ch5_tail_ratio_max` (found by optimisation over all $(K, \mu)$, below), and the
# excess $K\log((1-\mu)(1-K)/(\mu K))$ is unbounded as $\mu \to 0$.
# ```
#
# *Derivation.* $P[Z > s] = P[\pi(\hat y) < 1/s] \le P[\pi(\hat y) \le 1 - (1 - 1/s)]$, and
# $1/(1 - 1/s) = s/(s-1)$. The minimum switches where $Ks = s - 1$, i.e. at $s_0$, and
# the identity $s_0(1 - K) = 1$ collapses the constant terms. sympy evaluates the
# integral piece by piece:

# %%
K, mu, s = sp.symbols("K mu s", positive=True)
s0 = sp.solve(sp.Eq(K * s / (s - 1), 1), s)
assert len(s0) == 1
s0 = s0[0]
assert_identity(s0, 1 / (1 - K), "switch point")
assert_identity(s0 * (1 - K), 1, "s0 (1 - K) = 1")
first_piece = sp.integrate(1, (s, 1, s0))  # min = 1 on [1, s0]
antiderivative = sp.integrate(K * s / (s - 1), s)
assert_identity(sp.diff(antiderivative, s), K * s / (s - 1), "antiderivative")
# Parameterise by the positive gaps m = 1/mu - 1 and k = s0 - 1 = K/(1-K),
# so every log is of a positive symbol.
m, k = sp.symbols("m k", positive=True)
to_gaps = {K: k / (1 + k), mu: 1 / (1 + m)}
# from s0 = 1 + k to 1/mu = 1 + m
second_piece = antiderivative.subs(s, 1 + m) - antiderivative.subs(s, 1 + k)
total = 1 + first_piece.subs(to_gaps) + second_piece.subs(to_gaps)
closed_form = 1 + K / mu + K * sp.log((1 - mu) * (1 - K) / (mu * K))
assert_identity(
    sp.simplify(((1 - mu) * (1 - K) / (mu * K)).subs(to_gaps)),
    m / k,
    "log argument = m/k",
)
closed_in_gaps = 1 + (K / mu).subs(to_gaps) + K.subs(to_gaps) * sp.log(m / k)
assert_identity(
    total,
    closed_in_gaps,
    "1 + (s0 - 1) + int_{s0}^{1/mu} Ks/(s-1) ds = closed form",
)
# the excess over the sharp bound is K log(m/k) >= 0 exactly when m >= k,
# i.e. K <= 1 - mu
assert_identity(
    closed_in_gaps - (1 + (K / mu).subs(to_gaps)),
    K.subs(to_gaps) * sp.log(m / k),
    "excess",
)
assert_identity(
    sp.solve(sp.Eq(m, k), k)[0].subs(m, 1 / mu - 1) / (1 + 1 / mu - 1),
    1 - mu,
    "m = k iff K = 1 - mu",
)
# the tail technique's extremal law: P[1 - P >= eps] = min(1, K/eps) on
# (0, 1 - mu), so E[1 - P] = K(1 + log((1-mu)/K))
eps_ = sp.symbols("epsilon", positive=True)
mean_gap_tail = sp.integrate(1, (eps_, 0, K)) + sp.integrate(
    K / eps_, (eps_, K, 1 - mu)
)
assert_identity(
    sp.expand_log(mean_gap_tail - K * (1 + sp.log((1 - mu) / K)), force=True),
    0,
    "E[1-P] of the tail law",
)
closed_form

# %% [markdown]
# **Quadrature check.** `srlm.kappa_tail_bound` against `scipy.integrate.quad` of
# $\min\{1, Ks/(s-1)\}$ on a grid of $(K, \mu)$, both branches, relative error at most
# {glue:md}`ch5_quad_tol`; and the sharp bound is never larger.

# %%
QUAD_TOL = (
    1e-9  # relative agreement of closed form and quadrature, stated in the prose
)
glue_math("ch5_quad_tol", QUAD_TOL, 1)
max_rel, n_quad = 0.0, 0
for K_val in np.geomspace(1e-5, 0.95, 25):
    for mu_val in np.linspace(0.02, 0.98, 25):
        s_switch = 1 / (1 - K_val)
        pts = [s_switch] if s_switch < 1 / mu_val else None
        tail, _ = quad(
            lambda t, k=K_val: min(1.0, k * t / (t - 1)),
            1,
            1 / mu_val,
            points=pts,
            limit=200,
            epsabs=1e-13,
        )
        integral = 1 + tail
        closed = srlm.kappa_tail_bound(K_val, mu_val)
        max_rel = max(max_rel, abs(closed / integral - 1))
        assert srlm.kappa_mean_bound(K_val, mu_val) <= closed + 1e-12
        n_quad += 1
assert max_rel <= QUAD_TOL
print(
    f"{n_quad} (K, mu) pairs: closed form = quadrature "
    f"within {QUAD_TOL:.0e} (relative)"
)

# %% [markdown]
# **Monte Carlo check.** The tail law attains {eq}`eq-tail-bound` (mean within 5 standard errors)
# but violates the mean bound: its $\mathbb{E}[1 - 1/Z]$ matches $K(1 + \log((1-\mu)/K))$, several times $K$.

# %%
mc_rows = []
for K_val, mu_val in ((0.02, 0.2), (0.1, 0.4), (0.3, 0.5)):
    z = srlm.sample_extremal_inverse_confidence(K_val, mu_val, 200_000, rng)
    se = z.std() / np.sqrt(z.size)
    bound = srlm.kappa_tail_bound(K_val, mu_val)
    assert abs(z.mean() - bound) < 5 * se
    gap_mc = np.mean(1 - 1 / z)
    gap_se = np.std(1 - 1 / z) / np.sqrt(z.size)
    gap_exact = K_val * (1 + np.log((1 - mu_val) / K_val))
    assert abs(gap_mc - gap_exact) < 5 * gap_se and gap_exact > K_val
    sharp = srlm.kappa_mean_bound(K_val, mu_val)
    mc_rows.append((K_val, mu_val, bound, z.mean(), se, gap_mc, sharp))
head = ("K", "mu", "tail bd", "MC mean", "s.e.", "E[1-P]", "sharp")
widths = (5, 5, 8, 8, 7, 7, 7)
print(" ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)))
for row in mc_rows:
    cols = [f"{row[0]:5g}", f"{row[1]:5g}", f"{row[2]:8.4f}", f"{row[3]:8.4f}"]
    cols += [f"{row[4]:7.4f}", f"{row[5]:7.4f}", f"{row[6]:7.4f}"]
    print(" ".join(cols))

# %% [markdown]
# **The gap, by optimisation.** The ratio of {eq}`eq-tail-bound` to {eq}`eq-kappa-sharp` over the
# whole non-trivial region $0 < K < 1 - \mu < 1$: differential evolution over
# $(\mu, K/(1-\mu)) \in (0,1)^2$, polished by Nelder–Mead, and confirmed by a dense grid.


# %%
def neg_ratio(v):
    mu_v, K_v = v[0], v[1] * (1 - v[0])
    return -srlm.kappa_tail_bound(K_v, mu_v) / srlm.kappa_mean_bound(K_v, mu_v)


opt = differential_evolution(
    neg_ratio, [(1e-6, 1 - 1e-6), (1e-6, 1 - 1e-6)], seed=0, tol=1e-12, polish=False
)
opt = minimize(
    neg_ratio, opt.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14}
)
ratio_max, mu_arg, K_arg = -opt.fun, opt.x[0], opt.x[1] * (1 - opt.x[0])
grid_mu, grid_t = np.meshgrid(
    np.linspace(1e-3, 0.999, 200), np.linspace(1e-3, 0.999, 200)
)
grid_ratio = np.vectorize(lambda a_, b_: -neg_ratio((a_, b_)))(grid_mu, grid_t)
assert grid_ratio.max() <= ratio_max + 1e-9 and ratio_max > 1
# closed form on the diagonal: ratio - 1 = (mu K/(mu + K)) log((1-mu)(1-K)/(mu K))
# is symmetric in (K, mu); on K = mu it is mu log((1-mu)/mu), maximal where
# log((1-mu)/mu) = 1/(1-mu), with value mu/(1-mu)
Ks, ms = sp.symbols("K mu", positive=True)
tail_closed = 1 + Ks / ms + Ks * sp.log((1 - ms) * (1 - Ks) / (ms * Ks))
excess = tail_closed / (1 + Ks / ms) - 1
sym_form = ms * Ks / (ms + Ks) * sp.log((1 - ms) * (1 - Ks) / (ms * Ks))
assert_identity(excess, sym_form, "ratio - 1, symmetric in K and mu")
diag = sp.expand_log(sym_form.subs(Ks, ms), force=True)
assert_identity(diag, ms * (sp.log(1 - ms) - sp.log(ms)), "diagonal K = mu")
mu_star = sp.nsolve(sp.diff(diag, ms), ms, 0.2)
ratio_diag = float(1 + diag.subs(ms, mu_star))
assert_identity(
    sp.diff(diag, ms),
    sp.log(1 - ms) - sp.log(ms) - 1 / (1 - ms),
    "stationarity on the diagonal",
)
assert abs(ratio_diag - 1 / (1 - float(mu_star))) < 1e-12
assert (
    abs(ratio_diag - ratio_max) < 1e-9
    and abs(mu_arg - float(mu_star)) < 1e-4
    and abs(K_arg - mu_arg) < 1e-4
)
K_ex, mu_ex = 0.02, 0.2
glue("ch5_tail_ratio_max", f"{ratio_max:.4g}", display=False)
glue("ch5_tail_ratio_mu", f"{mu_arg:.3g}", display=False)
glue("ch5_tail_ratio_K", f"{K_arg:.3g}", display=False)
glue("ch5_ex_sharp", f"{srlm.kappa_mean_bound(K_ex, mu_ex):.4g}", display=False)
glue("ch5_ex_tail", f"{srlm.kappa_tail_bound(K_ex, mu_ex):.4g}", display=False)
print(
    f"max tail/sharp = {ratio_max:.4g} at mu = {mu_arg:.3g}, K = {K_arg:.3g} "
    f"(grid max {grid_ratio.max():.4g});"
)
print(
    f"K = {K_ex}, mu = {mu_ex}: sharp {srlm.kappa_mean_bound(K_ex, mu_ex):.4g}, "
    f"tail {srlm.kappa_tail_bound(K_ex, mu_ex):.4g}"
)

# %% [markdown]
# The tail-integral bound is at most a factor {glue:text}`ch5_tail_ratio_max` above the sharp
# bound, reached at $\mu \approx$ {glue:text}`ch5_tail_ratio_mu`, $K \approx$ {glue:text}`ch5_tail_ratio_K`.
# The optimiser lands on the diagonal $K = \mu$ for a reason: the excess ratio is
# $\frac{\mu K}{\mu + K}\log\frac{(1-\mu)(1-K)}{\mu K}$, symmetric in $K$ and $\mu$, and on the diagonal its
# maximum is $1/(1-\mu^\star)$ with $\log((1-\mu^\star)/\mu^\star) = 1/(1-\mu^\star)$ — the same number, found
# by `sympy.nsolve` independently of the search;
# at $K = 0.02$, $\mu = 0.2$ the two are {glue:text}`ch5_ex_tail` and {glue:text}`ch5_ex_sharp`. The ratio
# tends to 1 as $K \to 0$ or $\mu \to 0$, but what matters downstream is the **slope in $K$**: $1/\mu$
# for the sharp bound against $1/\mu + \log((1-\mu)(1-K)/(\mu K))$ for the tail integral, which grows
# without bound as $K \to 0$. In the recurrence of {ref}`contraction_main_theorem` $K$ is of order
# $1/\sqrt n$, so the technique's extra logarithm multiplies the slope by
# $1 + \mu\log((1-\mu)(1-K)/(\mu K)) \approx 1 + \tfrac{\mu}{2}\log n$, a factor that grows without bound in $n$.
#
# ### Figure: the bounds against K
#
# For several minimum confidences $\mu$ ({numref}`fig-ch5-bounds`), the sharp bound {eq}`eq-kappa-sharp` (solid) rises
# linearly from $\kappa = 1$ with slope $1/\mu$ and saturates at $1/\mu$ when $K = 1 - \mu$; the
# tail-integral bound (dashed) lies above it on the whole non-trivial range.

# %%
K_small, mu_small = 1e-3, 0.25
small_K = srlm.kappa_mean_bound(K_small, mu_small)
glue_math("ch5_small_K_at", K_small, 1)
glue("ch5_small_K", f"{small_K:.4f}", display=False)

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-ch5-bounds", "caption": "Bounds on $\\kappa_{t+1}$ against the normalised gap $K$ for four minimum confidences $\\mu$: the sharp bound (solid), the tail-integral bound (dashed) and the trivial bound $1/\\mu$ (dotted)."}}
fig, ax = plt.subplots(figsize=(6.0, 3.6))
for mu_val, color in zip(
    (0.1, 0.25, 0.5, 0.8), ("C0", "C1", "C2", "C3"), strict=True
):
    ks = np.geomspace(1e-4, 0.999, 300)
    sharp = [srlm.kappa_mean_bound(k, mu_val) for k in ks]
    tail = [srlm.kappa_tail_bound(k, mu_val) for k in ks]
    ax.plot(ks, sharp, color=color, label=rf"$\mu = {mu_val}$")
    ax.plot(ks, tail, color=color, ls="--", lw=0.9)
    ax.axhline(1 / mu_val, color=color, ls=":", lw=0.7)
ax.set(
    xscale="log",
    yscale="log",
    xlabel=r"$K = (J(\pi^\star) - J(\pi_{t+1}))/\gamma$",
    ylabel=r"bound on $\kappa_{t+1}$",
    title=r"sharp $\min(1 + K/\mu, 1/\mu)$ (solid), tail integral (dashed), "
    r"$1/\mu$ (dotted)",
)
ax.legend()
plt.show()

# %% [markdown]
# ## What this means, and where the paper's technique is loose
#
# - The offset of the bound is **1**, not $1/\mu$: as the performance gap $K \to 0$ the
#   bound tends to $\kappa = 1$ (at $K =$ {glue:md}`ch5_small_K_at`, $\mu = 0.25$ it is
#   {glue:text}`ch5_small_K`). The trivial bound $\kappa \le 1/\mu$ is reached only once
#   $K \ge 1 - \mu$. This is the key to the question raised in the next chapter about the
#   stable part of the main theorem.
# - Integrating per-level Markov bounds (the paper's route) loses the information that a
#   single law must satisfy all of them *through one mean*; the loss is a factor of at most
#   {glue:text}`ch5_tail_ratio_max` in the value but an unbounded logarithm in the slope.
#   Convexity of $1/p$ uses the mean directly and is exact.
# - $\mu$ enters as $1/\mu$ in the slope: a model that is very unsure somewhere
#   ($\mu$ small) pays for it in every round's condition number, even though the
#   condition number itself is an average. Since $\mu$ is a minimum over all rounds, also
#   $\kappa_t \le 1/\mu$ for every $t$, the base model included.
# - Both lemmas hold for *any* policy and reward; nothing here uses that the
#   reward is the self-reward. The self-reward enters through $\gamma$ and $\mu$,
#   which a reviewer rightly noted may be tiny for a large vocabulary (a near
#   tie makes $\gamma \approx 0$ and the bound {eq}`eq-gap-to-failure` vacuous).

# %% [markdown]
# ## Exercises
#
# ```{exercise} Markov's inequality is attained at every threshold
# :label: ex-ch5-tight-every-eps
#
# The instance above attains {eq}`eq-gap-to-failure` at $\varepsilon = 1/2$. Show that for every
# $\varepsilon \in (0, 1)$ and every fraction $w \in (0, 1]$ of prompts there is an instance on
# which both sides of {eq}`eq-gap-to-failure` equal $w$, whatever the margin $\gamma$. Which two
# features of the instance does equality need?
# ```
#
# ```{solution-start} ex-ch5-tight-every-eps
# :class: dropdown
# ```
#
# The proof loses in two places: a suboptimal reward more than $\gamma$ below $r(x, y^\star)$, and
# Markov's inequality, which is an equality only for a law of $1 - \pi(y^\star \mid x)$ on
# $\{0, \varepsilon\}$. So give every suboptimal response the reward $r(x, y^\star) - \gamma$, and let a
# fraction $w$ of the prompt mass have $\pi(y^\star \mid x) = 1 - \varepsilon$ and the rest
# $\pi(y^\star \mid x) = 1$. Then $J(\pi^\star) - J(\pi) = \gamma\,w\,\varepsilon$, the right side is $w$,
# and the failure probability is $w$ (the boundary value counts, by the "$\le$"). The code builds
# such instances for four $\varepsilon$ (dyadic, so $1 - \varepsilon$ is exact in floating point), three
# $w$ and two margins, evaluates both sides from the tables in plain numpy and with `srlm`, and
# shows that lowering one suboptimal reward further makes the inequality strict.

# %%
n_tight = 0
for eps in (0.125, 0.25, 0.5, 0.75):
    for n_fail, n_prompts in ((1, 4), (2, 4), (4, 4)):
        for gamma_ex in (0.3, 2.0):
            w_ex = n_fail / n_prompts
            probs_ex = np.zeros((n_prompts, 3))
            probs_ex[:, 0] = 1.0
            probs_ex[:n_fail] = [1 - eps, eps / 2, eps / 2]
            reward_ex = np.tile([1.0, 1 - gamma_ex, 1 - gamma_ex], (n_prompts, 1))
            gap_np = np.mean(
                (probs_ex * (reward_ex[:, :1] - reward_ex)).sum(axis=1)
            )
            lhs_np = np.mean(probs_ex[:, 0] <= 1 - eps)
            assert abs(gap_np / (gamma_ex * eps) - w_ex) < 1e-14 and lhs_np == w_ex
            pol_ex = srlm.TabularPolicy.from_probs(probs_ex)
            bound_ex = srlm.gap_failure_bound(
                srlm.performance_gap(pol_ex, reward_ex), gamma_ex, eps
            )
            assert abs(bound_ex - w_ex) < 1e-14
            assert (
                srlm.failure_probability(pol_ex, eps, np.zeros(n_prompts, int))
                == w_ex
            )
            reward_lower = reward_ex.copy()
            reward_lower[0, 2] -= 1.0  # one suboptimal reward further below: strict
            strict = srlm.gap_failure_bound(
                srlm.performance_gap(pol_ex, reward_lower), gamma_ex, eps
            )
            assert strict > w_ex + 1e-3
            n_tight += 1
print(f"{n_tight} instances: both sides equal w; a lower suboptimal reward: strict")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} Without the minimum confidence the mean bound says nothing
# :label: ex-ch5-no-floor
#
# Drop the hypothesis $P \ge \mu$ from {prf:ref}`lem-kappa-sharp` and keep only
# $\mathbb{E}[1 - P] \le K$ with $0 < P \le 1$. Show that then $\kappa_{t+1} = \mathbb{E}[1/P]$ can be
# arbitrarily large for every $K \in (0, 1)$: for $v \in (0, 1 - K]$ the law with
# $P[P = v] = K/(1-v)$ and $P[P = 1] = 1 - K/(1-v)$ has $\mathbb{E}[1 - P] = K$ and
# $\mathbb{E}[1/P] = 1 + K/v$. How small must $v$ be for $\kappa_{t+1} > 100$ at $K = 0.05$?
# ```
#
# ```{solution-start} ex-ch5-no-floor
# :class: dropdown
# ```
#
# The law is the extremal two-point law of {prf:ref}`lem-kappa-sharp` with $\mu$ replaced by $v$:
# $\mathbb{E}[1 - P] = \frac{K}{1-v}(1 - v) = K$ and
# $\mathbb{E}[1/P] = \frac{K}{(1-v)v} + 1 - \frac{K}{1-v} = 1 + \frac{K}{v}$, which tends to $\infty$ as
# $v \to 0$. So $\kappa_{t+1} > 100$ iff $v < K/99$, i.e. $v <$ {glue:md}`ch5_ex_v_max` at $K = 0.05$.
# The minimum confidence is what turns the mean bound into a bound on $\kappa$: with it the
# best bound is $1 + K/\mu$, exactly this law's value at $v = \mu$. The code checks the algebra
# exactly and the law by Monte Carlo (seeded, $10^6$ draws, within 5 standard errors).

# %%
v_ex, K_ex_s = sp.symbols("v K", positive=True)
q_ex = K_ex_s / (1 - v_ex)
assert_identity(q_ex * (1 - v_ex), K_ex_s, "E[1 - P] = K")
assert_identity(q_ex / v_ex + (1 - q_ex), 1 + K_ex_s / v_ex, "E[1/P] = 1 + K/v")
assert sp.limit(1 + K_ex_s / v_ex, v_ex, 0, "+") == sp.oo
v_star = sp.solve(sp.Eq(1 + sp.Rational(1, 20) / v_ex, 100), v_ex)
assert v_star == [sp.Rational(1, 20) / 99]
glue_math("ch5_ex_v_max", float(v_star[0]), 3)
rng_ex = np.random.default_rng([20260205, 55])
K_val, v_val = 0.05, 4e-4  # below 0.05/99: kappa > 100
draws = np.where(rng_ex.random(1_000_000) < K_val / (1 - v_val), v_val, 1.0)
for stat, exact in ((1 - draws, K_val), (1 / draws, 1 + K_val / v_val)):
    assert abs(stat.mean() - exact) < 5 * stat.std() / np.sqrt(stat.size)
assert 1 + K_val / v_val > 100
print(
    f"K = {K_val}, v = {v_val:g}: E[1 - P] = {(1 - draws).mean():.4f}, "
    f"E[1/P] = {(1 / draws).mean():.1f} (exact {1 + K_val / v_val:.1f})"
)

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} Where the tail integral is loosest
# :label: ex-ch5-worst-ratio
#
# Write the ratio of the tail-integral bound {eq}`eq-tail-bound` to the sharp bound
# {eq}`eq-kappa-sharp` on $0 < K < 1 - \mu$ as
# $1 + \frac{\mu K}{\mu + K}\log\frac{(1-\mu)(1-K)}{\mu K}$. Prove that its maximum lies on the
# diagonal $K = \mu$ (hint: fix the product $\mu K$), that on the diagonal the maximum is
# $1/(1-\mu^\star)$ where $\log((1-\mu^\star)/\mu^\star) = 1/(1-\mu^\star)$, and compute $\mu^\star$ and the
# maximum with a bracketing root finder.
# ```
#
# ```{solution-start} ex-ch5-worst-ratio
# :class: dropdown
# ```
#
# With $\mu K = m$ fixed, the first factor is $m/(\mu + K)$ and the argument of the logarithm
# is $(1 - (\mu + K) + m)/m$; both decrease in $\mu + K$ (the logarithm is positive in the
# region), and $\mu + K \ge 2\sqrt m$ with equality iff $\mu = K$ (AM–GM). So for each $m$ the
# ratio is largest on the diagonal, where it is $1 + \mu\log((1-\mu)/\mu)$ for $\mu < 1/2$. Its
# derivative $\log((1-\mu)/\mu) - 1/(1-\mu)$ decreases from $+\infty$ to $-2$ on $(0, 1/2)$, so it
# has one root $\mu^\star$, where $1 + \mu^\star\log((1-\mu^\star)/\mu^\star) = 1 + \mu^\star/(1-\mu^\star)
# = 1/(1-\mu^\star)$. `scipy.optimize.brentq` gives $\mu^\star \approx$ {glue:md}`ch5_ex_mu_star` and
# the maximum {glue:md}`ch5_ex_ratio_star`, the chapter's optimiser value
# {glue:text}`ch5_tail_ratio_max`; a dense grid of the closed form (written here from
# {eq}`eq-tail-bound`, not from `srlm`) over the whole region confirms it.

# %%
mu_e, K_e = sp.symbols("mu K", positive=True)
ratio_e = 1 + mu_e * K_e / (mu_e + K_e) * sp.log(
    (1 - mu_e) * (1 - K_e) / (mu_e * K_e)
)
tail_e = 1 + K_e / mu_e + K_e * sp.log((1 - mu_e) * (1 - K_e) / (mu_e * K_e))
assert_identity(tail_e / (1 + K_e / mu_e), ratio_e, "ratio = tail / sharp")
diag_e = sp.expand_log(ratio_e.subs(K_e, mu_e), force=True)
slope_e = sp.diff(diag_e, mu_e)
assert_identity(slope_e, sp.log(1 - mu_e) - sp.log(mu_e) - 1 / (1 - mu_e), "slope")
assert sp.limit(slope_e, mu_e, sp.Rational(1, 2), "-") == -2


def diag_slope(x):
    return math.log((1 - x) / x) - 1 / (1 - x)


mu_root = brentq(diag_slope, 1e-6, 0.5 - 1e-9, xtol=1e-15)
ratio_root = 1 / (1 - mu_root)
assert abs((1 + mu_root * math.log((1 - mu_root) / mu_root)) - ratio_root) < 1e-12
assert (
    abs(ratio_root - ratio_max) < 1e-9
)  # the optimiser's maximum, found independently


def ratio_grid(mu_v, K_v):
    """Closed forms of eq-tail-bound and eq-kappa-sharp, written out."""
    tail = 1 + K_v / mu_v + K_v * np.log((1 - mu_v) * (1 - K_v) / (mu_v * K_v))
    return tail / (1 + K_v / mu_v)


mu_g, t_g = np.meshgrid(
    np.linspace(1e-3, 0.999, 1500), np.linspace(1e-3, 0.999, 1500)
)
K_g = t_g * (1 - mu_g)  # covers 0 < K < 1 - mu
r_g = ratio_grid(mu_g, K_g)
i_max = np.unravel_index(np.argmax(r_g), r_g.shape)
assert r_g.max() <= ratio_root + 1e-12 and ratio_root - r_g.max() < 1e-5
assert abs(mu_g[i_max] - K_g[i_max]) < 5e-3  # the grid maximum sits on the diagonal
glue_math("ch5_ex_mu_star", mu_root, 4)
glue_math("ch5_ex_ratio_star", ratio_root, 4)
print(f"mu* = {mu_root:.6f}, maximum ratio 1/(1 - mu*) = {ratio_root:.6f}")
print(
    f"grid maximum {r_g.max():.6f} at mu = {mu_g[i_max]:.4f}, K = {K_g[i_max]:.4f}"
)

# %% [markdown]
# ```{solution-end}
# ```

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
# (contraction_main_theorem)=
# # Contraction of κ and the main theorem
#
# {ref}`gaps_to_condition_numbers` turned each round's performance gap into a bound
# on the next condition number. Feeding in the paper's statistical bound on the
# gap, $K_t \le (c_1\sqrt{\kappa_t L/n} + c_2\beta\log\kappa_t)/\gamma$ with
# $L = \log(|\Pi|/\delta)$ (paper Eq. 58), gives a *recurrence*
# $\kappa_{t+1} \le a + b\sqrt{\kappa_t} + c\log\kappa_t$ (paper Eq. 58–59). This
# chapter solves it (paper Lemma C.4, Eq. 60–77), derives the main theorem (paper
# Theorem 5.3, Eq. 7) and the number of rounds it needs (paper Corollary 5.7;
# App. C.8, Eq. 78–80), and settles a discrepancy between the paper's stable term
# and what the derivation gives. The constants $c_1, c_2$ are the paper's
# unspecified ones; we keep them as explicit parameters (set to 1 in the figures).

# %%
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from myst_nb import glue

import srlm
from srlm import assert_identity

sp.init_printing(use_latex="mathjax")
rng = np.random.default_rng(20260206)

# %% [markdown]
# ## The fixed point, and the root sympy should not have returned
#
# Since $\log x \le \sqrt x$ for all $x > 0$ (the difference $\log x - \sqrt x$ peaks at
# $x = 4$ with value $\log 4 - 2 < 0$), the recurrence is dominated by
# $f(k) = a + b'\sqrt k$ with $b' = b + c$.
#
# ```{prf:lemma} Fixed point (paper Lemma C.4)
# :label: lem-fixed-point
#
# For $a, b' > 0$, $f(k) = a + b'\sqrt k$ has exactly one fixed point,
#
# $$
# \kappa_\infty = \left(\frac{b' + \sqrt{b'^2 + 4a}}{2}\right)^2 = a + \frac{b'^2}{2} + \frac{b'}{2}\sqrt{b'^2 + 4a},
# $$ (eq-fixed-point)
#
# and for small $b'$ (large $n$), $\kappa_\infty = a + b'\sqrt a + b'^2/2 + O(b'^3)$.
# ```

# %%
x = sp.symbols("x", positive=True)
peak = sp.solve(sp.diff(sp.log(x) - sp.sqrt(x), x), x)
assert peak == [4] and (sp.log(4) - 2).evalf() < 0
k, a, b = sp.symbols("k a b", positive=True)
roots = sp.solve(k - a - b * sp.sqrt(k), k)
assert len(roots) == 2
roots

# %% [markdown]
# `sympy.solve` returns **two** roots: it squares $k - a = b'\sqrt k$ into
# $(k - a)^2 = b'^2 k$, which also admits $\sqrt k = (b' - \sqrt{b'^2+4a})/2 < 0$. With
# $u = \sqrt k$ the fixed-point equation is the quadratic $u^2 - b'u - a = 0$, whose
# roots have product $-a < 0$: exactly one is positive. Substituting back confirms
# that the smaller root is spurious.

# %%
u = sp.symbols("u", real=True)
u_roots = sp.solve(u**2 - b * u - a, u)
u_pos = (b + sp.sqrt(b**2 + 4 * a)) / 2
assert any(sp.simplify(r - u_pos) == 0 for r in u_roots)
assert_identity(u_roots[0] * u_roots[1], -a, "product of roots = -a")
kinf = u_pos**2
genuine = [r for r in roots if sp.simplify(r - kinf) == 0]
spurious = [r for r in roots if sp.simplify(r - kinf) != 0]
assert len(genuine) == 1 and len(spurious) == 1
assert_identity((genuine[0] - a - b * sp.sqrt(genuine[0])).subs({a: 2, b: 3}), 0, "genuine root solves f(k) = k")
residual = (spurious[0] - a - b * sp.sqrt(spurious[0])).subs({a: 2, b: 3})
assert sp.N(residual) < -1  # = -2 b' sqrt(k_spurious) != 0
assert_identity(sp.series(kinf, b, 0, 3).removeO(), a + sp.sqrt(a) * b + b**2 / 2, "large-n form")
sp.Eq(sp.Symbol(r"\kappa_\infty"), sp.expand(genuine[0]))

# %% [markdown]
# ## Contraction
#
# ```{prf:lemma} Contraction (paper Lemma C.4, Eq. 60–77)
# :label: lem-contraction
#
# $f$ is increasing and concave. If $\kappa_{t+1} \le f(\kappa_t)$ for all $t$, then
#
# $$
# \kappa_T \le \kappa_\infty + \rho^T(\kappa_0 - \kappa_\infty)_+
# $$ (eq-envelope)
#
# with the contraction factor
#
# $$
# \rho = f'(\kappa_\infty) = \frac{b'}{2\sqrt{\kappa_\infty}} = \frac{b'}{b' + \sqrt{b'^2 + 4a}} < 1,
# $$
#
# and for small $b'$, $\rho = b'/(2\sqrt a) + O(b'^2)$.
# ```
#
# *Proof.* Because $f$ is increasing, $\kappa_t \le f^t(\kappa_0)$ by induction. If
# $\kappa_0 \le \kappa_\infty$ the iterates stay below $f(\kappa_\infty) = \kappa_\infty$. Otherwise,
# concavity puts $f$ below its tangent at $\kappa_\infty$:
# $f(k) - \kappa_\infty \le \rho\,(k - \kappa_\infty)$ for $k \ge \kappa_\infty$, and $f^t(\kappa_0)$
# stays $\ge \kappa_\infty$, so the distance shrinks by $\rho$ each round.

# %%
f = a + b * sp.sqrt(k)
assert_identity(sp.diff(f, k), b / (2 * sp.sqrt(k)), "f' > 0")
assert_identity(sp.diff(f, k, 2), -b / (4 * k ** sp.Rational(3, 2)), "f'' < 0")
rho = sp.diff(f, k).subs(k, kinf)
assert_identity(rho, b / (b + sp.sqrt(b**2 + 4 * a)), "rho = b'/(b' + sqrt(b'^2 + 4a))")
assert_identity(1 - rho, sp.sqrt(b**2 + 4 * a) / (b + sp.sqrt(b**2 + 4 * a)), "1 - rho > 0")
assert_identity(sp.series(rho, b, 0, 2).removeO(), b / (2 * sp.sqrt(a)), "large-n form of rho")
rho

# %% [markdown]
# **Numerical check.** We iterate $f$ exactly for $2\,000$ random $(a, b', \kappa_0)$
# (log-uniform $a \in [1, 10]$, $b' \in [10^{-3}, 10]$, $\kappa_0 \in [1, 10^6]$) for
# 60 rounds and assert the envelope {eq}`eq-envelope` at every $T$; and Corollary
# 5.7's round count (below) against the first $T$ at which the transient part
# falls below the stable part.

# %%
n_env = 0
for _ in range(2000):
    a_v, b_v, k0 = 10 ** rng.uniform(0, 1), 10 ** rng.uniform(-3, 1), 10 ** rng.uniform(0, 6)
    traj = srlm.iterate_recurrence(a_v, b_v, k0, 60)
    env = srlm.envelope(a_v, b_v, k0, np.arange(61))
    assert np.all(traj <= env * (1 + 1e-12))
    stable, transient = srlm.failure_bound(np.arange(1, 400), 1e4, 10.0, 0.05, 1.0, k0, a_v, b_v)
    first = int(np.argmax(transient <= stable * (1 + 1e-12))) + 1
    assert first == srlm.rounds_needed(a_v, b_v, k0)
    n_env += 1
print(f"{n_env} random recurrences: envelope holds at every T <= 60; Corollary 5.7's T matches the iteration")

# %%
fig, ax = plt.subplots(figsize=(6.2, 4))
for (a_v, b_v, k0), color in zip(((1.0, 0.2, 1e4), (1.0, 1.0, 1e4), (1.0, 3.0, 1e4), (1.0, 1.0, 1.0)),
                                 ("C0", "C1", "C2", "C3"), strict=True):
    T = np.arange(0, 25)
    ax.semilogy(T, srlm.iterate_recurrence(a_v, b_v, k0, 24), "o", ms=3, color=color,
                label=rf"$b' = {b_v:g}$, $\kappa_0 = {k0:g}$: $\kappa_\infty = {srlm.fixed_point(a_v, b_v):.3g}$")
    ax.semilogy(T, srlm.envelope(a_v, b_v, k0, T), "-", lw=1, color=color)
ax.set(xlabel="round $T$", ylabel=r"$\kappa_T$",
       title=r"iterates (dots) and envelope $\kappa_\infty + \rho^T(\kappa_0 - \kappa_\infty)$")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Where the recurrence comes from: explicit constants
#
# Composing the paper's gap bound with the exact tail bound {eq}`eq-tail-bound`
# gives the one-round map $F(\kappa)$ (`srlm.composed_map`). Since $\kappa_t \ge 1$, every
# round has $K \ge K_{\min} = c_1\sqrt{L/n}/\gamma$, which bounds the logarithm in
# {eq}`eq-tail-bound`; with $\log\kappa \le \sqrt\kappa$ this gives the companion form
#
# $$
# F(\kappa) \le 1 + b'\sqrt\kappa,
# $$ (eq-companion-recurrence)
#
# $$
# b' = \frac{c_1\sqrt{L/n} + c_2\beta}{\gamma}\left(\frac1\mu + \log\frac{1}{\mu K_{\min}}\right),
# $$
#
# i.e. $a = 1$ (`srlm.recurrence_constants`, with $\beta = \sqrt{L/n}$). When
# $K \ge 1 - \mu$ the tail bound saturates at $1/\mu$, and then
# $b'\sqrt\kappa \ge K/\mu \ge 1/\mu - 1$, so the form still holds. We check
# $F \le 1 + b'\sqrt\kappa$ on a grid.

# %%
n_dom = 0
for n_val in np.geomspace(1e2, 1e8, 13):
    for gamma_val in (0.1, 0.5, 2.0):
        for mu_val in (0.05, 0.3, 0.8):
            a_c, b_c = srlm.recurrence_constants(n_val, 20.0, gamma_val, mu_val)
            for kap in np.linspace(1, 1 / mu_val, 30):
                assert srlm.composed_map(kap, n_val, 20.0, gamma_val, mu_val) <= a_c + b_c * np.sqrt(kap) + 1e-12
                n_dom += 1
glue("ch6_n_dom", f"{n_dom}", display=False)
print(f"{n_dom} points: F(kappa) <= 1 + b' sqrt(kappa)")

# %% [markdown]
# ## The main theorem
#
# ```{prf:theorem} Failure after T rounds (paper Theorem 5.3, companion form)
# :label: thm-main
#
# Under realizability and the paper's per-round gap bound, with probability at least
# $1 - \delta$ over all $T$ rounds (a union bound: $L_T = \log(T|\Pi|/\delta)$) and
# $\beta = \sqrt{L_T/n}$,
#
# $$
# \begin{aligned}
# P_x\big[\pi_T(\hat y_T \mid x) \le \tfrac12\big]
# &\le \frac{C}{\gamma}\sqrt{\frac{L_T}{n}}\,\sqrt{\min(\kappa_\infty, 1/\mu)} \\
# &\quad + \frac{C}{\gamma}\sqrt{\frac{L_T}{n}}\,\rho^{(T-1)/2}\sqrt{\kappa_0},
# \end{aligned}
# $$ (eq-main-theorem)
#
# with $C = 2(c_1 + c_2)$ and $\kappa_\infty, \rho$ from {eq}`eq-fixed-point`–{eq}`eq-envelope`
# for $a = 1$ and $b'$ of {eq}`eq-companion-recurrence`.
# ```
#
# *Proof.* {prf:ref}`lem-own-mode` with $\varepsilon = 1/2$ bounds the failure by
# $2K_T \le 2(c_1\sqrt{\kappa_{T-1}L_T/n} + c_2\beta\log\kappa_{T-1})/\gamma
# \le (C/\gamma)\sqrt{L_T/n}\,\sqrt{\kappa_{T-1}}$. By {prf:ref}`lem-contraction`,
# $\kappa_{T-1} \le \kappa_\infty + \rho^{T-1}\kappa_0$, and $\kappa_{T-1} \le 1/\mu$ always;
# finally $\sqrt{x + y} \le \sqrt x + \sqrt y$.
#
# ```{prf:corollary} Rounds needed (paper Corollary 5.7, companion form)
# :label: cor-rounds
#
# If $T \ge 1 + \log(\kappa_0/\kappa_\infty)/\log(1/\rho)$ the transient part is at most the
# stable part, and the bound is at most $(2C/\gamma)\sqrt{\kappa_\infty L_T/n}$. Since
# $\log(1/\rho) \approx \tfrac12\log n$ for large $n$, $T$ grows like
# $2\log\kappa_0/\log n$.
# ```

# %%
def parts(T, n_val, k0, mu_val=0.2, gamma_val=1.0, log_pi=20.0, delta=0.05):
    a_c, b_c = srlm.recurrence_constants(n_val, log_pi, gamma_val, mu_val)
    stable, transient = srlm.failure_bound(T, n_val, log_pi, delta, gamma_val, k0, a_c, b_c)
    return stable, transient, a_c, b_c


T = np.arange(1, 16)
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for n_val, color in zip((1e4, 1e6, 1e8), ("C0", "C1", "C2"), strict=True):
    stable, transient, _, _ = parts(T, n_val, 1e3)
    axes[0].semilogy(T, stable, "--", color=color)
    axes[0].semilogy(T, transient, "-", color=color, label=f"$n = 10^{int(np.log10(n_val))}$")
axes[0].set(xlabel="rounds $T$", ylabel="bound", ylim=(1e-8, 10),
            title=r"$\kappa_0 = 10^3$: transient (solid), stable $\propto\sqrt{\kappa_\infty}$ (dashed)")
axes[0].legend()
k0_grid = np.geomspace(1.5, 1e8, 40)
for n_val, color in zip((1e4, 1e6, 1e8), ("C0", "C1", "C2"), strict=True):
    a_c, b_c = srlm.recurrence_constants(n_val, 20.0, 1.0, 0.2)
    axes[1].semilogx(k0_grid, [srlm.rounds_needed(a_c, b_c, k0) for k0 in k0_grid], color=color,
                     label=f"$n = 10^{int(np.log10(n_val))}$ ($\\rho = {srlm.contraction_factor(a_c, b_c):.2g}$)")
axes[1].set(xlabel=r"$\kappa_0$", ylabel="rounds $T$ (Cor. 5.7)",
            title=r"rounds grow like $\log\kappa_0 / \log(1/\rho)$")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The rounds needed grow linearly in $\log\kappa_0$ with slope $1/\log(1/\rho)$, and the
# slope falls as $n$ grows.
#
# ## Which stable part is right: $\sqrt{\kappa_\infty}$ or $1/\sqrt{c}$?
#
# The published form (paper Eq. 7, as quoted in a public review) has stable part
# $1/\sqrt c = 1/\sqrt\mu$ — the trivial bound $\kappa \le 1/\mu$. The exact tail integral
# has offset **1**, so $a = 1$ and $\kappa_\infty \to 1$ as $n \to \infty$: the stable part
# tends to $1$, not $1/\sqrt\mu$. Both are valid upper bounds (any $\kappa_t \le 1/\mu$);
# the question is which is *tight*. The figure compares them as $n$ grows
# ($\mu = 0.2$, $\gamma = 1$, $\log|\Pi| = 20$, $c_1 = c_2 = 1$).

# %%
n_grid = np.geomspace(1e2, 1e12, 60)
kinf_n = np.array([srlm.fixed_point(*srlm.recurrence_constants(nv, 20.0, 1.0, 0.2)) for nv in n_grid])
crossover = n_grid[np.argmax(kinf_n < 1 / 0.2)]
assert kinf_n[-1] < 1.1 and np.all(np.diff(kinf_n) < 0)
fig, ax = plt.subplots(figsize=(6.2, 4))
ax.loglog(n_grid, kinf_n, label=r"companion $\kappa_\infty(n)$ (offset $a = 1$)")
ax.axhline(1 / 0.2, color="C3", ls="--", label=r"paper's stable term$^2$: $1/c = 1/\mu$")
ax.axhline(1.0, color="grey", lw=0.7)
ax.set(xlabel="samples per round $n$", ylabel=r"floor of $\kappa$", title=r"$\mu = 0.2$")
ax.legend()
plt.show()
glue("ch6_crossover", f"{crossover:.2g}", display=False)
glue("ch6_kinf_1e12", f"{kinf_n[-1]:.3f}", display=False)

# %% [markdown]
# With these constants the companion floor is below $1/\mu$ once $n \gtrsim$
# {glue:text}`ch6_crossover` and reaches {glue:text}`ch6_kinf_1e12` at $n = 10^{12}$.
#
# **Simulation.** The real loop settles the question for a concrete model: 200
# prompts, 8 responses, $\kappa_0 \approx 5$, each round fits the square-loss ERM to $n$
# samples labelled by a *noisy* judge (self-reward difference plus Gaussian noise,
# $\sigma = 1$) with $\beta = 1$. If the stable term were really $1/\mu$, $\kappa_t$
# would stall at a constant of that order; instead it collapses towards $1$.

# %%
base = srlm.TabularPolicy.random(rng, 200, 8, 2.0)
mu0 = srlm.min_confidence(base)
traj = {}
for n_val in (2_000, 20_000):
    pol, ks = base, [srlm.condition_number(base)]
    for _ in range(8):
        pol = srlm.tabular_dpo_erm(pol, srlm.sample_round(pol, n_val, rng, noise_scale=1.0), 1.0)
        ks.append(srlm.condition_number(pol))
    traj[n_val] = np.array(ks)
assert traj[20_000][-1] < 1.05 < 1 / mu0
fig, ax = plt.subplots(figsize=(6.2, 3.8))
for n_val, ks in traj.items():
    ax.semilogy(ks - 1, marker="o", label=f"$n = {n_val}$ per round")
ax.axhline(1 / mu0 - 1, color="C3", ls="--", label=r"$1/\mu_0 - 1$")
ax.set(xlabel="round $t$", ylabel=r"$\kappa_t - 1$", title=r"noisy judge ($\sigma = 1$), $\beta = 1$")
ax.legend()
plt.show()
glue("ch6_inv_mu0", f"{1 / mu0:.2f}", display=False)
glue("ch6_kappa0_sim", f"{traj[2_000][0]:.2f}", display=False)
glue("ch6_kappa8_small", f"{traj[2_000][-1]:.3g}", display=False)
glue("ch6_kappa8_big", f"{traj[20_000][-1]:.3g}", display=False)

# %% [markdown]
# From $\kappa_0 =$ {glue:text}`ch6_kappa0_sim` (where $1/\mu_0 =$ {glue:text}`ch6_inv_mu0`),
# eight rounds reach $\kappa_8 =$ {glue:text}`ch6_kappa8_small` with $n = 2\,000$ and
# {glue:text}`ch6_kappa8_big` with $n = 20\,000$: the floor is near $1$, as the companion
# form says, not near $1/\mu$. (Chapter 7 studies the loop in detail, including
# when confidence in the own mode is *not* correctness.)
#
# ## Where the paper and the specification are loose
#
# - **Stable part.** The paper's $1/\sqrt c$ is valid but loose by up to a factor
#   $1/\sqrt\mu$ for large $n$; the derivation gives $\sqrt{\min(\kappa_\infty, 1/\mu)}$ with
#   $\kappa_\infty \to 1$.
# - **Where the logarithm sits.** The published rate has $\log(n|\Pi|/\rho)$ *outside*
#   the square root, i.e. $O(\log n/\sqrt n)$. The chain above gives
#   $\sqrt{\log(T|\Pi|/\delta)/n}$ times $b'$-dependent factors whose own logarithm
#   ($\log(1/(\mu K_{\min})) \approx \tfrac12\log n$) enters only through $\kappa_\infty$ and
#   $\rho$, i.e. only as a lower-order term of the stable part.
# - **Constants.** $c_1, c_2$ (and hence $C$) are not specified in the paper; every
#   figure here sets $c_1 = c_2 = 1$, so absolute values are illustrative and only the
#   shapes (contraction, the $\log\kappa_0$ law, the floor $\to 1$) are claims.

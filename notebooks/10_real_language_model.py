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
# (real_language_model)=
# # Self-rewarding on a real (small) language model
#
# The theorems speak of language models. This chapter runs the self-rewarding step on one
# trained on text nobody here wrote: a character trigram model of English technical prose.
# Because an $n$-gram model is a Markov chain, everything the earlier chapters did by
# enumeration can be done **exactly by dynamic programming**: the mode of
# $\pi(\cdot \mid x)$ over all $|V|^L$ responses (Viterbi), the second most likely response and
# hence the margin $\gamma$ of paper Def. 5.2 ($k$-best Viterbi), the condition number, greedy
# decoding, and the exact self-rewarding step $\pi^{1+1/\beta}/Z$ on *sequences*, which is
# again a (time-inhomogeneous) Markov chain computed by a backward recursion
# (`srlm.ngram.MarkovPolicy.temper`).
#
# Every number that depends on which prompts were drawn is reported over **ten prompt sets
# (seeds 0–9)**, next to its exact value under the prompt law; the finite-sample loop runs
# for five seeds (0–4). No seed was chosen for its result.

# %%
import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

import srlm
from srlm.ngram import NGramModel, normalise_text
from srlm.report import glue_math
from srlm.text import corpus_sha256, docstring_corpus

SEEDS, LOOP_SEEDS, LOOP_NS, N_PROMPTS = range(10), range(5), (125, 500, 2000), 300
plt.style.use("../book/_static/srlm-book.mplstyle")

# %% [markdown]
# ## Corpus, model and prompt law
#
# The corpus is the docstrings of `sympy`'s public callables: real English prose (with
# some mathematics) that every reader has offline, fixed by the pinned sympy version
# in the lock file and identified by its SHA-256. Text is lower-cased and reduced to
# the 28 characters `a–z`, space and full stop. Every tenth docstring is held out;
# a prompt is a 24-character snippet of held-out text (a uniformly random held-out
# docstring, then a uniformly random position in it), and a response is the next
# $L = 8$ characters.
#
# A trigram model sees only the last two characters of a prompt, its *state*, so the prompt
# law $D$ is a law on the $28^2 = 784$ states, which we compute exactly from the held-out text
# ({glue:text}`ch10_support` states have positive probability).
# Every per-prompt quantity below is computed once for all 784 states; a prompt set of
# 300 prompts (one per seed) is a sample from $D$.

# %%
corpus = docstring_corpus("sympy")
train = normalise_text(" ".join(doc for j, (_, doc) in enumerate(corpus) if j % 10))
held = [normalise_text(doc) for j, (_, doc) in enumerate(corpus) if j % 10 == 0]
held = [h for h in held if len(h) > 40]
model = NGramModel.fit(train, order=3, smoothing=0.1)
L, V = 8, model.vocab.size
policy = model.policy(L)
states = np.arange(policy.n_states)

law = np.zeros(policy.n_states)  # exact law of the state of a random prompt
for h in held:
    # prompt h[p : p + 24], p = 0..len(h) - 25, ends in ids[p + 22], ids[p + 23]
    ids = model.vocab.encode(h)
    weight = 1.0 / (len(held) * (len(h) - 24))
    np.add.at(law, ids[22 : len(h) - 2] * V + ids[23 : len(h) - 1], weight)
assert abs(law.sum() - 1.0) < 1e-12
support = law > 0


def wquantile(values: np.ndarray, level: float) -> float:
    """Quantile of a per-state quantity under the prompt law.

    The lower quantile of the weighted distribution.
    """
    order = np.argsort(values[support], kind="stable")
    cum = np.cumsum(law[support][order])
    return float(values[support][order][np.searchsorted(cum, level * cum[-1])])


def prompt_set(seed: int) -> list[str]:
    """300 prompts: a uniformly random held-out docstring, then a uniformly random
    24-character window."""
    g = np.random.default_rng(seed)
    docs = g.integers(0, len(held), N_PROMPTS)
    windows = ((i, int(g.integers(0, len(held[i]) - 24))) for i in docs)
    return [held[i][p : p + 24] for i, p in windows]


prompts = {s: prompt_set(s) for s in SEEDS}
init = {s: np.array([model.state_of(pr) for pr in prompts[s]]) for s in SEEDS}
glue("ch10_sha", corpus_sha256(corpus)[:16], display=False)
glue("ch10_train_chars", f"{len(train):,}", display=False)
glue("ch10_support", f"{support.sum()}", display=False)
glue("ch10_n_seeds", f"{len(SEEDS)}", display=False)
print(
    f"corpus sha256 {corpus_sha256(corpus)[:16]}...; {len(corpus)} docstrings; "
    f"training text {len(train):,} characters;\nresponses of {L} characters "
    f"({V}^{L} = {V**L:.2e} each)"
)
print(
    f"prompt law: {support.sum()} of {policy.n_states} states have positive "
    f"probability; {len(SEEDS)} prompt sets of {N_PROMPTS}"
)

# %% [markdown]
# ## Mode, runner-up and greedy decoding, for every state
#
# The $k$-best max-product recursion (`MarkovPolicy.k_best`) returns the two most likely
# responses of every state exactly. An independent check on the real model: for responses of
# $L = 4$ characters ($28^4 = 614\,656$ of them) we enumerate every response of the 8 most
# likely states with plain numpy on the trigram table and compare the top two.

# %%
top_tok, top_lp = policy.k_best(states, 2)
mode_tokens, mode_logp = top_tok[:, 0], top_lp[:, 0]
gamma = top_lp[:, 0] - top_lp[:, 1]  # margin of paper Def. 5.2, r = log pi, per state
mu = np.exp(mode_logp)  # mode probability max_y pi(y|x), per state
greedy_tokens, greedy_logp = srlm.greedy_decode(policy, prompts=states)
assert np.allclose(srlm.mode(policy, states)[1], mode_logp, atol=1e-12)
assert np.all(greedy_logp <= mode_logp + 1e-12)

logt = np.log(model.probs)
grid = np.stack(np.meshgrid(*[np.arange(V)] * 4, indexing="ij"), -1).reshape(-1, 4)
_, lp4 = model.policy(4).k_best(states, 2)
check_states = np.argsort(-law, kind="stable")[:8]
worst_err = 0.0
for q in check_states:
    full = (
        logt[q, grid[:, 0]]
        + logt[(q % V) * V + grid[:, 0], grid[:, 1]]
        + logt[grid[:, 0] * V + grid[:, 1], grid[:, 2]]
        + logt[grid[:, 1] * V + grid[:, 2], grid[:, 3]]
    )
    worst_err = max(worst_err, float(np.max(np.abs(np.sort(full)[::-1][:2] - lp4[q]))))
assert worst_err < 1e-10
print(
    "top-2 by k-best DP vs enumeration of 28^4 responses for 8 states:\n"
    f"  max |difference| {worst_err:.1e}"
)

# %% [markdown]
# ## κ of a real model
#
# $\kappa_0 = \mathbb{E}_{x \sim D}[1/\pi(\hat y \mid x)]$: exactly under the prompt law, and as the
# average over each prompt set, with a percentile bootstrap interval over the 300 prompts
# (2 000 resamples).

# %%
inv_conf = 1.0 / mu
kappa0 = float(law @ inv_conf)
kappa0_sets = np.array([inv_conf[init[s]].mean() for s in SEEDS])
boot = np.random.default_rng(12345)
resample = [
    inv_conf[init[s]][boot.integers(0, N_PROMPTS, (2000, N_PROMPTS))] for s in SEEDS
]
ci = np.array([np.percentile(r.mean(axis=1), [2.5, 97.5]) for r in resample])
covered = int(np.sum((ci[:, 0] <= kappa0) & (kappa0 <= ci[:, 1])))
glue("ch10_kappa0", f"{kappa0:.4g}", display=False)
glue("ch10_kappa0_min", f"{kappa0_sets.min():.4g}", display=False)
glue("ch10_kappa0_max", f"{kappa0_sets.max():.4g}", display=False)
glue("ch10_kappa0_ci0", f"{ci[0, 0]:.4g}–{ci[0, 1]:.4g}", display=False)
glue("ch10_kappa0_covered", f"{covered}", display=False)
glue("ch10_median_inv", f"{wquantile(inv_conf, 0.5):.3g}", display=False)
glue("ch10_max_mode_p", f"{mu[support].max():.3f}", display=False)
print(
    f"kappa_0: exact {kappa0:.4g}; prompt sets {kappa0_sets.min():.4g}-"
    f"{kappa0_sets.max():.4g} (mean {kappa0_sets.mean():.4g}, "
    f"sd {kappa0_sets.std(ddof=1):.3g});\n"
    f"{covered}/{len(SEEDS)} bootstrap intervals contain the exact value"
)

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-ch10-kappa0", "caption": "Left: the distribution of the inverse mode probability $1/\\pi(\\hat y \\mid x)$ under the prompt law. Right: the estimate of $\\kappa_0$ from each prompt set with its bootstrap interval, against the exact value under the prompt law."}}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.2))
ax1.hist(np.log10(inv_conf[support]), bins=30, weights=law[support])
ax1.set(
    xlabel=r"$\log_{10} 1/\pi(\hat y \mid x)$",
    ylabel="prompt-law mass",
    title="per-prompt inverse mode probability",
)
yerr = [kappa0_sets - ci[:, 0], ci[:, 1] - kappa0_sets]
ax2.errorbar(
    list(SEEDS),
    kappa0_sets,
    yerr=yerr,
    fmt="o",
    capsize=3,
    label="prompt set (95% bootstrap)",
)
ax2.axhline(kappa0, color="k", lw=1, label="exact under the prompt law")
ax2.set(
    xlabel="seed", ylabel=r"$\kappa_0$", title="300-prompt estimates of $\\kappa_0$"
)
ax2.margins(y=0.3)  # room for the legend above the intervals
ax2.legend(loc="upper right")
fig.tight_layout()
plt.show()

# %% [markdown]
# The exact condition number of the trained model under the prompt law is
# $\kappa_0 =$ {glue:text}`ch10_kappa0`; the ten 300-prompt estimates range from
# {glue:text}`ch10_kappa0_min` to {glue:text}`ch10_kappa0_max` (seed 0: 95% bootstrap interval
# {glue:text}`ch10_kappa0_ci0`; {glue:text}`ch10_kappa0_covered` of the ten intervals contain the
# exact value; {numref}`fig-ch10-kappa0`). The median of $1/\pi(\hat y)$ is {glue:text}`ch10_median_inv`, and the most
# confident state's mode has probability only {glue:text}`ch10_max_mode_p`.
#
# ## Margin γ and minimum confidence μ of a real model
#
# The public reviewers of the paper asked what the margin and the minimum confidence of paper
# Def. 5.2 mean for a real model. Per prompt, with the self-reward $r = \log\pi$, they are
#
# $$
# \begin{aligned}
# \gamma(x) &= \log\pi(\hat y \mid x) - \max_{y \ne \hat y}\log\pi(y \mid x), \\
# \mu(x) &= \max_y \pi(y \mid x),
# \end{aligned}
# $$
#
# and the paper's constants are their minima over inputs (and rounds). Both are exact here.

# %%
gamma_min, mu_min = float(gamma[support].min()), float(mu[support].min())
gamma_sets = np.array([gamma[init[s]].min() for s in SEEDS])
mu_sets = np.array([mu[init[s]].min() for s in SEEDS])
summary = {
    "gamma_min": gamma_min,
    "mu_min": mu_min,
    "gamma_median": wquantile(gamma, 0.5),
    "mu_median": wquantile(mu, 0.5),
    "gamma_p10": wquantile(gamma, 0.1),
    "gamma_sets_min": gamma_sets.min(),
    "gamma_sets_max": gamma_sets.max(),
    "mu_sets_min": mu_sets.min(),
    "mu_sets_max": mu_sets.max(),
}
for key, val in summary.items():
    glue(f"ch10_{key}", f"{val:.2g}", display=False)
print(
    f"gamma: min over the support {gamma_min:.3g}, "
    f"10% quantile {wquantile(gamma, 0.1):.3g}, median {wquantile(gamma, 0.5):.3g};\n"
    f"       per prompt set (min) {gamma_sets.min():.2g}-{gamma_sets.max():.2g}"
)
print(
    f"mu:    min over the support {mu_min:.3g}, median {wquantile(mu, 0.5):.3g}, "
    f"max {mu[support].max():.3g};\n"
    f"       per prompt set (min) {mu_sets.min():.2g}-{mu_sets.max():.2g}"
)

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-ch10-margin", "caption": "Distributions under the prompt law of the margin $\\gamma(x)$ (left) and of the mode probability $\\mu(x)$ (right), with their minima over the support (dashed)."}}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.2))
ax1.hist(np.log10(gamma[support]), bins=30, weights=law[support])
ax1.axvline(
    np.log10(gamma_min),
    color="k",
    ls="--",
    lw=1,
    label=r"min over the support $= \gamma$",
)
ax1.set(
    xlabel=r"$\log_{10}\gamma(x)$", ylabel="prompt-law mass", title="margin of the mode"
)
ax2.hist(np.log10(mu[support]), bins=30, weights=law[support])
ax2.axvline(
    np.log10(mu_min), color="k", ls="--", lw=1, label=r"min over the support $= \mu$"
)
ax2.set(xlabel=r"$\log_{10}\mu(x)$", title="mode probability")
ax1.margins(y=0.15)  # room for the legends above the histograms
ax2.margins(y=0.15)
ax1.legend(loc="upper left")
ax2.legend(loc="upper right")
fig.tight_layout()
plt.show()

# %% [markdown]
# The margin is $\gamma =$ {glue:text}`ch10_gamma_min` (median prompt {glue:text}`ch10_gamma_median`,
# 10% of the prompt mass below {glue:text}`ch10_gamma_p10`) and the minimum confidence is
# $\mu =$ {glue:text}`ch10_mu_min` (median {glue:text}`ch10_mu_median`; {numref}`fig-ch10-margin`). A
# 300-prompt set sees minima between {glue:text}`ch10_gamma_sets_min` and {glue:text}`ch10_gamma_sets_max` for $\gamma$
# and between {glue:text}`ch10_mu_sets_min` and {glue:text}`ch10_mu_sets_max` for $\mu$: the minimum
# is a property of rare prompts, so a sample estimates it poorly.
#
# **What this does to the bound.** The stable part of the paper's Eq. 7 (as quoted in a public
# ICLR 2026 review; {ref}`contraction_main_theorem`) is
# $\log(n|\Pi|/\zeta)/(\gamma\,\varepsilon\sqrt{n\mu})$ for the event $\pi_T(\hat y_T) \le 1 - \varepsilon$. We
# evaluate it as favourably as possible: hidden constant 1, $|\Pi| = 1$ (the class of free transition
# tables used below is infinite, so in truth $\log|\Pi| = \infty$ and the bound is vacuous at every
# $n$), $\zeta = 0.05$, $\varepsilon = 1/2$.

# %%
rho, delta = 0.05, 0.5


def stable_part(n: float, g: float, m: float) -> float:
    """Eq. 7's stable part, hidden constant 1, |Pi| = 1."""
    return srlm.published_stable_part(n, g, m, delta=delta, rho=rho)


def n_nonvacuous(g: float, m: float) -> float:
    """The smallest n beyond which that stable part is <= 1."""
    return srlm.published_bound_sample_size(g, m, delta=delta, rho=rho)


at_nmax = stable_part(max(LOOP_NS), gamma_min, mu_min)
n_star = n_nonvacuous(gamma_min, mu_min)
n_star_med = n_nonvacuous(wquantile(gamma, 0.5), wquantile(mu, 0.5))
assert abs(stable_part(n_star, gamma_min, mu_min) - 1) < 1e-9 and at_nmax > 1
glue_math("ch10_bound_nmax", at_nmax, 2)
glue_math("ch10_bound_nstar", n_star, 2)
glue_math("ch10_bound_nstar_median", n_star_med, 2)
print(
    f"stable part at n = {max(LOOP_NS)}: {at_nmax:.3g}; "
    f"it falls below 1 only for n >= {n_star:.2e}\n"
    f"(with the median prompt's gamma and mu instead of the minima: "
    f"n >= {n_star_med:.2e})"
)

# %% [markdown]
# At the largest sample size used below ($n = 2\,000$) the stable part alone is
# {glue:md}`ch10_bound_nmax` — a bound on a probability. It drops below 1 only from
# $n \approx$ {glue:md}`ch10_bound_nstar` triples per round, and even with the *median* prompt's
# $\gamma$ and $\mu$ in place of the minima it needs $n \approx$ {glue:md}`ch10_bound_nstar_median`.
# On this model the theorem's bound is vacuous by many orders of magnitude, before the class size
# is even counted; the experiments below show what the dynamics do, not what the theorem promises.
#
# ## Greedy decoding below one half
#
# Every mode here has probability below $1/2$, so {prf:ref}`prop-greedy-converse` does not
# apply and greedy decoding may miss it ({prf:ref}`prop-greedy-trap` shows that it can).
# How often does it?

# %%
miss = np.any(greedy_tokens != mode_tokens, axis=1)
below_half = mu < 0.5
miss_sets = np.array([miss[init[s]].mean() for s in SEEDS])
glue("ch10_miss", f"{law @ miss:.0%}", display=False)
glue("ch10_miss_min", f"{miss_sets.min():.0%}", display=False)
glue("ch10_miss_max", f"{miss_sets.max():.0%}", display=False)
glue("ch10_below_half", f"{law @ below_half:.0%}", display=False)
print(
    f"mode probability < 1/2: {law @ below_half:.0%} of the prompt mass;\n"
    f"greedy misses the mode on {law @ miss:.1%} "
    f"(prompt sets {miss_sets.min():.0%}-{miss_sets.max():.0%})"
)
print("first misses of prompt set 0:")
for j in [j for j in range(N_PROMPTS) if miss[init[0][j]]][:4]:
    q = init[0][j]
    greedy_text = model.vocab.decode(greedy_tokens[q])
    mode_text = model.vocab.decode(mode_tokens[q])
    print(
        f"  ...{prompts[0][j][-16:]!r:>20} greedy {greedy_text!r} "
        f"(p={np.exp(greedy_logp[q]):.2e})  mode {mode_text!r} (p={mu[q]:.2e})"
    )

# %% [markdown]
# {glue:text}`ch10_below_half` of the prompt mass has a mode below one half, and greedy decoding
# misses the mode on {glue:text}`ch10_miss` of it (prompt sets: {glue:text}`ch10_miss_min` to
# {glue:text}`ch10_miss_max`) — typically by locking into a frequent short loop such as " the the".
#
# ## The exact self-rewarding dynamics on sequences
#
# With the backward recursion we iterate $\pi_{t+1} \propto \pi_t^{1+1/\beta}$ exactly, for every state,
# for three values of $\beta$, and track (under the prompt law) $\kappa_t$, the share of prompts on
# which greedy decoding returns the mode, and the mean mode probability. Since
# $\log\pi_{t+1} = s\log\pi_t - \log Z_t$ with $s = 1 + 1/\beta$, every log-probability gap, the
# margin included, is multiplied by $s$ each round; we check that too.

# %%
betas, T = (0.5, 1.0, 2.0), 8
dyn, kappa_t_sets = {}, {}
for b in betas:
    pol, rows, inv_rows = policy, [], []
    for _t in range(T + 1):
        t_tok, t_lp = pol.k_best(states, 2)
        g_tok, _ = srlm.greedy_decode(pol, prompts=states)
        inv_rows.append(np.exp(-t_lp[:, 0]))
        greedy_ok = np.all(g_tok == t_tok[:, 0], axis=1)
        mode_p = np.exp(t_lp[:, 0])
        rows.append(
            (law @ inv_rows[-1], law @ greedy_ok, law @ mode_p, mode_p[support].min())
        )
        assert np.all(t_tok[support, 0] == mode_tokens[support])  # the mode never moves
        margin_t = (t_lp[:, 0] - t_lp[:, 1])[support]
        assert np.allclose(margin_t, (1 + 1 / b) ** _t * gamma[support], rtol=1e-8)
        pol = srlm.temper(pol, b)
    dyn[b] = np.array(rows)
    kappa_t_sets[b] = np.array([[r[init[s]].mean() for r in inv_rows] for s in SEEDS])
    assert np.all(np.diff(dyn[b][:, 0]) < 0)  # kappa falls
all_greedy = {b: dyn[b][:, 1] >= 1 - 1e-12 for b in betas}
first_all_greedy = {
    b: int(np.argmax(ok)) if np.any(ok) else None for b, ok in all_greedy.items()
}
k1_sets = kappa_t_sets[1.0][:, 1]
glue("ch10_kappa1_beta1", f"{dyn[1.0][1, 0]:.3g}", display=False)
glue(
    "ch10_kappa1_beta1_range", f"{k1_sets.min():.3g}–{k1_sets.max():.3g}", display=False
)
glue("ch10_kappa3_beta1", f"{dyn[1.0][3, 0]:.3g}", display=False)
glue("ch10_greedy_T_beta1", f"{first_all_greedy[1.0]}", display=False)
above_half_T = int(np.argmax(dyn[1.0][:, 3] > 0.5))
assert dyn[1.0][above_half_T, 3] > 0.5
glue("ch10_half_T_beta1", f"{above_half_T}", display=False)
print(
    f"beta = 1: kappa_1 = {dyn[1.0][1, 0]:.3g} (prompt sets {k1_sets.min():.3g}-"
    f"{k1_sets.max():.3g}), kappa_3 = {dyn[1.0][3, 0]:.3g};\n"
    f"greedy exact on every state of the support from round {first_all_greedy[1.0]};\n"
    f"every mode above 1/2 from round {above_half_T}"
)

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-ch10-exact-dynamics", "caption": "The exact self-rewarding dynamics for three values of $\\beta$, under the prompt law: $\\kappa_t - 1$ (left), the share of prompts on which greedy decoding returns the mode (middle), and the mean mode probability (right)."}}
fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.7))
for b in betas:
    axes[0].semilogy(dyn[b][:, 0] - 1, "o-", ms=3, label=rf"$\beta = {b}$")
    axes[1].plot(dyn[b][:, 1], "o-", ms=3)
    axes[2].plot(dyn[b][:, 2], "o-", ms=3)
axes[0].set(
    xlabel="round $t$", ylabel=r"$\kappa_t - 1$", title="condition number (prompt law)"
)
axes[1].set(
    xlabel="round $t$",
    ylabel="greedy = mode",
    title="greedy finds the mode",
    ylim=(0, 1.05),
)
axes[2].set(
    xlabel="round $t$",
    ylabel=r"mean $\pi_t(\hat y|x)$",
    title="mode probability",
    ylim=(0, 1.05),
)
axes[0].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# With $\beta = 1$ one exact step takes $\kappa$ from {glue:text}`ch10_kappa0` to
# {glue:text}`ch10_kappa1_beta1` (prompt sets: {glue:text}`ch10_kappa1_beta1_range`), three steps to
# {glue:text}`ch10_kappa3_beta1`, and from round {glue:text}`ch10_greedy_T_beta1` on greedy decoding
# returns the mode on every state the prompt law can produce; from round {glue:text}`ch10_half_T_beta1`
# on, every mode has probability above one half. The mode itself never changes (in the
# population limit self-rewarding only sharpens) and the margin grows as $s^t\gamma$: the exact
# iteration turns a model on which greedy decoding is unreliable into one on which it is exact
# ({numref}`fig-ch10-exact-dynamics`).
#
# ## The finite-sample loop
#
# Now each round fits the square DPO loss on sampled data (`MarkovPolicy.dpo_step`):
# $n$ triples from the prompt set, labels $\Delta r = \log\pi_t(y) - \log\pi_t(y')$ (exact, no judge
# noise), free transition log-ratios fitted by minimum-norm least squares (LSQR), renormalised by
# the backward recursion. $\beta = 1$, six rounds, three sample sizes, prompt sets and sampling
# seeds 0–4 (the only part not run for all ten prompt sets: its least-squares fits dominate the
# chapter's run time). {numref}`fig-ch10-loop` shows the mean over seeds, with the range as a band.

# %%
loop = {}
for n in LOOP_NS:
    runs = []
    for s in LOOP_SEEDS:
        g, pol, rows = np.random.default_rng([s, n]), policy, []
        for _t in range(7):
            m_tok, m_lp = srlm.mode(pol, init[s])
            same = np.all(m_tok == mode_tokens[init[s]], axis=1)
            rows.append((float(np.mean(np.exp(-m_lp))), np.mean(same)))
            pol = pol.dpo_step(init[s], n, 1.0, g)
        runs.append(rows)
    loop[n] = np.array(runs)  # (seed, round, [kappa, same mode])
assert all(np.all(runs[:, -1, 0] < runs[:, 0, 0]) for runs in loop.values())
for n, runs in loop.items():
    k6, c6 = runs[:, -1, 0], runs[:, -1, 1]
    glue(f"ch10_loop_kappa_n{n}", f"{k6.mean():.3g}", display=False)
    glue(f"ch10_loop_kappa_n{n}_range", f"{k6.min():.3g}–{k6.max():.3g}", display=False)
    glue(f"ch10_loop_correct_n{n}", f"{c6.mean():.0%}", display=False)
    glue(
        f"ch10_loop_correct_n{n}_range", f"{c6.min():.0%}–{c6.max():.0%}", display=False
    )
    print(
        f"n = {n:5d}: kappa_6 {k6.mean():.3g} (seeds {k6.min():.3g}-{k6.max():.3g}); "
        f"base mode kept on {c6.mean():.0%} (seeds {c6.min():.0%}-{c6.max():.0%})"
    )

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-ch10-loop", "caption": "The finite-sample loop with $\\beta = 1$ for three sample sizes $n$: $\\kappa_t - 1$ against the exact dynamics (left, dashed) and the share of prompts whose mode is still the base mode (right); lines are means over the seeds, bands their range."}}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.2))
for (n, runs), col in zip(loop.items(), ("C0", "C1", "C2"), strict=True):
    for ax, j, f in ((ax1, 0, lambda x: x - 1), (ax2, 1, lambda x: x)):
        v = runs[:, :, j]
        ax.plot(f(v.mean(axis=0)), "o-", ms=3, color=col, label=f"$n = {n}$")
        lo, hi = f(v.min(axis=0)), f(v.max(axis=0))
        ax.fill_between(range(7), lo, hi, color=col, alpha=0.2)
ax1.plot(dyn[1.0][:7, 0] - 1, "k--", lw=1, label="exact (prompt law)")
ax1.set_yscale("log")
ax1.set(
    xlabel="round $t$",
    ylabel=r"$\kappa_t - 1$",
    title=r"finite-sample loop, $\beta = 1$",
)
ax2.set(
    xlabel="round $t$",
    ylabel=r"$P_x[\hat y_t = \hat y_0]$",
    title="is the mode still the base mode?",
    ylim=(0, 1.05),
)
ax1.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# After six rounds $\kappa$ is {glue:text}`ch10_loop_kappa_n125` ($n = 125$; seeds
# {glue:text}`ch10_loop_kappa_n125_range`), {glue:text}`ch10_loop_kappa_n500` ($n = 500$;
# {glue:text}`ch10_loop_kappa_n500_range`) and {glue:text}`ch10_loop_kappa_n2000` ($n = 2\,000$;
# {glue:text}`ch10_loop_kappa_n2000_range`), and the mode is still the base model's mode on
# {glue:text}`ch10_loop_correct_n125` ({glue:text}`ch10_loop_correct_n125_range`),
# {glue:text}`ch10_loop_correct_n500` ({glue:text}`ch10_loop_correct_n500_range`) and
# {glue:text}`ch10_loop_correct_n2000` ({glue:text}`ch10_loop_correct_n2000_range`) of the prompts
# (mean over the five seeds, range in brackets).
# Sampled data concentrate on the likely continuations, so the loop sharpens the model where it
# samples — and, as in {ref}`two_stage_simulation`, where the minimum-norm fit sees too little it
# leaves old log-probabilities in place and can settle on another response, with exact labels.
#
# ## One exact step on the least and the best conditioned prompts
#
# How much does a single *exact* (population) step do? We take the 10% of the prompt mass with
# the largest $1/\pi(\hat y \mid x)$ and the 10% with the smallest, and compare the mean mode
# probability before and after one step with $\beta = 1$. No samples are involved: this is the
# exact map $\pi \mapsto \pi^2/Z$ of this model.

# %%
order = np.argsort(inv_conf[support], kind="stable")
sup_states, mass = states[support][order], np.cumsum(law[support][order])
best, worst = sup_states[mass <= 0.1], sup_states[mass >= 0.9]
_, after_lp = srlm.mode(srlm.temper(policy, 1.0), states)


def mean_under_law(values: np.ndarray, idx: np.ndarray) -> float:
    return float(law[idx] @ values[idx] / law[idx].sum())


for key, idx in (("worst", worst), ("best", best)):
    before, after = mean_under_law(mu, idx), mean_under_law(np.exp(after_lp), idx)
    fmt = ".1e" if key == "worst" else ".2g"
    glue_math(f"ch10_{key}_before", before, 2)
    glue_math(f"ch10_{key}_after", after, 2)
    gain = np.median(np.exp(after_lp[idx] - mode_logp[idx]))
    print(
        f"{key} 10%: mean mode probability {before:{fmt}} -> {after:{fmt}} "
        f"(median gain x{gain:.3g})"
    )
for q in worst[-3:]:
    state_text = model.vocab.decode([q // V, q % V])
    print(f"  state {state_text!r}: mode {model.vocab.decode(mode_tokens[q])!r}")

# %% [markdown]
# One exact step multiplies the mode probability of the worst-conditioned prompts by a large
# factor yet leaves it tiny (mean {glue:md}`ch10_worst_before` → {glue:md}`ch10_worst_after`),
# while the best-conditioned prompts move from {glue:md}`ch10_best_before` to
# {glue:md}`ch10_best_after`; iterating the exact step carries every prompt above one half (from
# round {glue:text}`ch10_half_T_beta1` on). This is a fact about the exact map on this model. It is *not* an
# instance of paper Theorem 4.1: that theorem ({prf:ref}`thm-single-step-floor`) is a minimax lower
# bound on the samples a single step needs, over a class of instances constructed for the proof,
# and it makes no statement about any particular model, this one included.
#
# ## What this chapter shows, and what it cannot
#
# - A real small language model is badly conditioned at the sequence level ($\kappa_0 =$
#   {glue:text}`ch10_kappa0` under the prompt law for eight characters; 300-prompt estimates
#   {glue:text}`ch10_kappa0_min`–{glue:text}`ch10_kappa0_max`), its modes are far below $1/2$,
#   and greedy decoding misses them on {glue:text}`ch10_miss` of the prompt mass.
# - Its margin and minimum confidence are $\gamma =$ {glue:text}`ch10_gamma_min` and
#   $\mu =$ {glue:text}`ch10_mu_min`: the paper's bound is vacuous for it by orders of magnitude,
#   even with the hidden constant set to 1 and the class size ignored.
# - Exact self-rewarding steps collapse $\kappa$ within a few rounds without changing any mode. The
#   finite-sample loop collapses $\kappa$ too, but with these sample sizes it keeps the base mode on
#   only part of the prompts: confidence, which the theorems bound, arrives long before
#   correctness, which they do not.
# - An $n$-gram model is far from a transformer; what transfers is the arithmetic of $\kappa$,
#   $\gamma$ and $\mu$, not the size of the numbers.

# %% [markdown]
# ## Exercises
#
# ```{exercise} One exact step by matrix products
# :label: ex-ch10-kappa-one-step
#
# One exact step with parameter $\beta$ maps $\pi$ to $\pi_1 = \pi^{s}/Z$ with
# $s = 1 + 1/\beta$. Show that
#
# $$
# \kappa_1 = \mathbb{E}_{x \sim D}\Big[\sum_{y}
# \Big(\frac{\pi(y \mid x)}{\pi(\hat y \mid x)}\Big)^{s}\Big],
# $$
#
# and that for the trigram model the inner sum $\sum_y \pi(y \mid x)^s$ over all $|V|^L$
# responses is the entry of $Q_s^L \mathbf{1}$ at the state of $x$, where $Q_s$ moves the
# state $(v_1, v_2)$ to $(v_2, v_3)$ with weight $P(v_3 \mid v_1 v_2)^s$. Use this to
# recompute, without tempering the policy, $\kappa_1$ for the three values of $\beta$ of
# {numref}`fig-ch10-exact-dynamics` (the chapter states the value for $\beta = 1$ in the
# text and shows the others in the figure).
# ```
#
# ```{solution-start} ex-ch10-kappa-one-step
# :class: dropdown
# ```
# Since $u \mapsto u^s$ is increasing, $\pi_1$ has the same mode $\hat y$, and
# $1/\pi_1(\hat y \mid x) = Z(x)/\pi(\hat y \mid x)^s = \sum_y (\pi(y \mid x)/\pi(\hat y \mid x))^s$;
# averaging over $D$ gives $\kappa_1$. The response probability is a product of $L$
# transition probabilities along the state path, so its $s$-th power is the product of
# their $s$-th powers, and summing over $y_L$, then $y_{L-1}$, … is the backward recursion
# $z_L = \mathbf 1$, $z_{l-1} = Q_s z_l$. The code checks the identity exactly on a
# three-point law (sympy) and then compares the matrix-product $\kappa_1$ with the one the
# chapter obtained by tempering the chain and running the max-product recursion on it
# (relative tolerance {glue:md}`ch10_ex_kappa1_tol`).

# %%
import sympy as sp

p1, p2, p3, s_sym = sp.symbols("p1 p2 p3 s", positive=True)
law3 = (p1, p2, p3)  # p1 is the mode's probability
lhs = 1 / (p1**s_sym / sum(p**s_sym for p in law3))
rhs = sum((p / p1) ** s_sym for p in law3)
assert sp.simplify(lhs - rhs) == 0

# the state (v1, v2) = (q // V, q % V) moves to (v2, v3) when v3 is emitted
next_state = (states % V)[:, None] * V + np.arange(V)[None, :]
kappa1_tol = 1e-9  # relative
glue_math("ch10_ex_kappa1_tol", kappa1_tol, 1)


def power_sum(s_exp: float) -> np.ndarray:
    """sum_y pi(y | x)^s for every state x, by L products with Q_s."""
    z = np.ones(policy.n_states)
    for _ in range(L):
        z = (model.probs**s_exp * z[next_state]).sum(axis=1)
    return z


for b in betas:
    s_b = 1 + 1 / b
    kappa1_matrix = float(law @ (power_sum(s_b) / mu**s_b))
    assert abs(kappa1_matrix - dyn[b][1, 0]) < kappa1_tol * dyn[b][1, 0]
    print(
        f"beta = {b}: kappa_1 = {kappa1_matrix:.6g} "
        f"(tempered chain: {dyn[b][1, 0]:.6g})"
    )

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} How many exact rounds until every mode is above one half?
# :label: ex-ch10-rounds-to-half
#
# Let $\gamma(x)$ be the margin of prompt $x$, $M = |V|^L$ and $\pi_t = \pi^{s^t}/Z_t$ the
# exact dynamics. Show that
#
# $$
# \begin{aligned}
# \pi_t(\hat y \mid x) &\ge \frac{1}{1 + (M - 1)\,e^{-s^t\gamma(x)}}, \\
# \pi_t(\hat y \mid x) &\le \frac{1}{1 + e^{-s^t\gamma(x)}}.
# \end{aligned}
# $$
#
# Deduce from the lower bound a number of rounds $t^\ast$ after which, with $\beta = 1$,
# every mode on the support of $D$ has probability above $1/2$, and compare it with the
# round the chapter observes. Which of the two bounds is loose here, and why?
# ```
#
# ```{solution-start} ex-ch10-rounds-to-half
# :class: dropdown
# ```
# Every competitor has $\pi_t(y)/\pi_t(\hat y) = (\pi(y)/\pi(\hat y))^{s^t}$, which is at most
# $e^{-s^t\gamma}$, and equal to it for the runner-up. Hence
# $1/\pi_t(\hat y) = 1 + \sum_{y \ne \hat y} \pi_t(y)/\pi_t(\hat y)$ lies between
# $1 + e^{-s^t\gamma}$ (the runner-up alone) and $1 + (M - 1)e^{-s^t\gamma}$ (all $M - 1$
# competitors as strong as the runner-up). The lower bound exceeds $1/2$ once
# $s^t\gamma > \log(M - 1)$, so $t^\ast = \lceil \log_s(\log(M - 1)/\gamma) \rceil$ rounds
# suffice, with $\gamma$ the minimum over the support. The code checks both bounds against
# the exact dynamics of the chapter (minimum and mean mode probability, every $\beta$ and
# round) and computes $t^\ast$: it is far above the observed round. The lower bound is the
# loose one: it counts all $M - 1 = 28^8 - 1$ competitors as strong as the runner-up, while
# nearly all of them are far weaker, so their total weight dies out long before the bound
# says. The upper bound, by contrast, is attained (to {glue:md}`ch10_ex_tight_tol`) by the
# least confident prompt after a few rounds with $\beta = 1/2$ and $\beta = 1$ (not yet after eight with the
# gentler $\beta = 2$): there only the runner-up is left to compete with the mode.

# %%
from scipy.special import expit

log_others = np.log(float(V) ** L - 1)  # log(M - 1)
tol = 1e-9  # relative: the upper bound is attained up to rounding (see below)
glue_math("ch10_ex_tight_tol", tol, 1)
w = law[support]
tight, rows_tight = {}, []
for b in betas:
    s_b = 1 + 1 / b
    tight[b] = np.zeros(T + 1, dtype=bool)
    for t in range(T + 1):
        margin_t = s_b**t * gamma[support]
        lower, upper = expit(margin_t - log_others), expit(margin_t)
        mode_min, mode_mean = dyn[b][t, 3], dyn[b][t, 2]
        assert lower.min() <= mode_min * (1 + tol) and mode_min <= upper.min() * (
            1 + tol
        )
        assert w @ lower <= mode_mean * (1 + tol) and mode_mean <= (w @ upper) * (
            1 + tol
        )
        tight[b][t] = abs(mode_min / upper.min() - 1) < tol
    t_tight = int(np.argmax(tight[b])) if tight[b].any() else None
    assert t_tight is None or tight[b][t_tight:].all()
    ratio = dyn[b][T, 3] / upper.min()
    since = f"from round {t_tight}" if t_tight is not None else f"not within {T} rounds"
    rows_tight.append(f"  beta = {b}: {ratio:.4f}; {since}")
print(f"smallest mode probability / smallest upper bound after {T} rounds;")
print("first round from which they agree to 1e-9:\n" + "\n".join(rows_tight))
assert all(tight[b][T] for b in (0.5, 1.0))
t_star = int(np.ceil(np.log(log_others / gamma_min) / np.log(2.0)))
assert (
    expit(2.0**t_star * gamma_min - log_others)
    > 0.5
    >= expit(2.0 ** (t_star - 1) * gamma_min - log_others)
)
assert t_star >= above_half_T
print(
    f"beta = 1: t* = {t_star} rounds suffice by the lower bound; "
    f"observed: {above_half_T}"
)

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} One exact step cuts the sample size of the bound by more than four
# :label: ex-ch10-bound-after-step
#
# Write $f_{\gamma,\mu}(n) = \log(n/\zeta)/(\gamma\,\varepsilon\sqrt{n\mu})$ for the stable part of
# Eq. 7 as evaluated in this chapter ($|\Pi| = 1$, hidden constant 1) and $n^\ast$ for the
# smallest $n$ beyond which it is at most 1. Show that one exact step with $\beta = 1$
# doubles the margin $\gamma$ and does not decrease the minimum confidence $\mu$, and deduce
# that $n^\ast$ of the model after the step is less than a quarter of $n^\ast$ of the base
# model whenever the latter exceeds $4\zeta e^2$. Compute both with a root finder of your own
# on the formula.
# ```
#
# ```{solution-start} ex-ch10-bound-after-step
# :class: dropdown
# ```
# Every log-probability gap doubles, so $\gamma_1 = 2\gamma$. Per prompt,
# $\pi_1(\hat y) = \pi(\hat y)^2/\sum_y \pi(y)^2 \ge \pi(\hat y)$ because
# $\sum_y \pi(y)^2 \le \pi(\hat y)\sum_y \pi(y) = \pi(\hat y)$; so $\mu_1 \ge \mu$ and
# $f_{\gamma_1,\mu_1} \le f_{\gamma,\mu}/2$. At $n = n^\ast/4$:
# $f_{\gamma_1,\mu_1}(n^\ast/4) \le \tfrac12 f_{\gamma,\mu}(n^\ast/4)
# = \log(n^\ast/(4\zeta))/(\gamma\varepsilon\sqrt{n^\ast\mu}) < f_{\gamma,\mu}(n^\ast) = 1$, and $f$
# decreases for $n > \zeta e^2$ (its derivative has the sign of $2 - \log(n/\zeta)$), so the new
# stable part stays below 1 from some $n < n^\ast/4$ on. The code solves
# $\log f = 0$ in $u = \log n$ with `scipy.optimize.brentq` (not the `srlm` routine the
# chapter uses, which it reproduces to {glue:md}`ch10_ex_root_tol`), with $\mu_1$ the smallest mode
# probability after one exact step from the chapter's exact dynamics.

# %%
from scipy.optimize import brentq


def n_star_by_root(g: float, m: float) -> float:
    """Root of log f(e^u) = 0 on the decreasing branch u >= 0 (n >= 1)."""

    def log_f(u: float) -> float:
        return np.log(u - np.log(rho)) - np.log(g * delta) - 0.5 * (u + np.log(m))

    assert log_f(0.0) > 0 > log_f(300.0)
    return float(np.exp(brentq(log_f, 0.0, 300.0, xtol=1e-14, rtol=1e-14)))


gamma_1, mu_1 = 2 * gamma_min, dyn[1.0][1, 3]
assert mu_1 >= mu_min
n0_root, n1_root = n_star_by_root(gamma_min, mu_min), n_star_by_root(gamma_1, mu_1)
root_tol = 1e-9  # relative agreement with srlm.published_bound_sample_size
glue_math("ch10_ex_root_tol", root_tol, 1)
assert abs(n0_root - n_star) < root_tol * n_star and n0_root > 4 * rho * np.e**2
assert n1_root < n0_root / 4
print(
    f"n* = {n0_root:.3e} for the base model, {n1_root:.3e} after one exact step\n"
    f"(mu {mu_min:.3g} -> {mu_1:.3g}): a factor {n0_root / n1_root:.3g}"
)

# %% [markdown]
# ```{solution-end}
# ```

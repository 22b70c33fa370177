"""Benchmarks for the self-rewarding loop (run with `make bench`; not part of the tests).

(a) One loop round — label the triples with self-reward differences and fit the
    minimum-norm square-loss DPO ERM — vectorised (`srlm.fit_round_batch`) against a
    plain-Python reference on the same data. Both results must agree; prints the
    speed ratio (goal >= 50x).
(b) The exact Gibbs-step kernel (tempered row-wise log-softmax) on a large
    (prompts x responses) table against this machine's memory bandwidth measured in
    the same run (a plain numpy copy of the same bytes); prints the fraction of
    bandwidth achieved (goal >= 1/3) and, for context, the time of the exponential alone.

Timings are the best of several repetitions; ratios are measured in one run.
"""

from __future__ import annotations

import math

import numpy as np
from _timing import best_of

import srlm
from srlm.policies import _log_softmax_rows


# ------------------------------------------------------------- plain-Python reference
def solve_dense(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (pure Python)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def reference_round(logp: list, prompts: list, first: list, second: list, noise: list, beta: float) -> list:
    """The same round in plain Python: labels, per-prompt Laplacian, min-norm solve per component."""
    reps, n_prompts, n_resp = len(logp), len(logp[0]), len(logp[0][0])
    out = []
    for r in range(reps):
        lap = {}
        rhs = {}
        for x, y, y2, eps in zip(prompts[r], first[r], second[r], noise[r], strict=True):
            t = (logp[r][x][y] - logp[r][x][y2] + eps) / beta
            L = lap.setdefault(x, [[0.0] * n_resp for _ in range(n_resp)])
            b = rhs.setdefault(x, [0.0] * n_resp)
            L[y][y] += 1.0
            L[y2][y2] += 1.0
            L[y][y2] -= 1.0
            L[y2][y] -= 1.0
            b[y] += t
            b[y2] -= t
        new = []
        for x in range(n_prompts):
            h = [0.0] * n_resp
            if x in lap:
                L, b = lap[x], rhs[x]
                seen = [i for i in range(n_resp) if L[i][i] > 0]
                unvisited = set(seen)
                while unvisited:  # connected components by depth-first search
                    stack, comp = [unvisited.pop()], []
                    while stack:
                        i = stack.pop()
                        comp.append(i)
                        for j in range(n_resp):
                            if j in unvisited and L[i][j] != 0:
                                unvisited.remove(j)
                                stack.append(j)
                    comp.sort()
                    if len(comp) > 1:  # ground the first node, solve, then centre
                        sub = [[L[i][j] for j in comp[1:]] for i in comp[1:]]
                        sol = [0.0] + solve_dense(sub, [b[i] for i in comp[1:]])
                        mean = sum(sol) / len(sol)
                        for i, v in zip(comp, sol, strict=True):
                            h[i] = v - mean
            logits = [logp[r][x][y] + h[y] for y in range(n_resp)]
            top = max(logits)
            lse = top + math.log(sum(math.exp(v - top) for v in logits))
            new.append([v - lse for v in logits])
        out.append(new)
    return out


def bench_round(n: int) -> None:
    rng = np.random.default_rng(20260130)
    reps, n_prompts, n_resp, beta, sigma = 8, 200, 8, 1.0, 0.5
    base = np.log(rng.dirichlet(np.full(n_resp, 2.0), size=n_prompts))
    logp = np.broadcast_to(base, (reps, n_prompts, n_resp)).copy()
    weights = np.full(n_prompts, 1 / n_prompts)
    data = srlm.sample_round_batch(logp, weights, n, rng, noise_scale=0.0)
    noise = sigma * rng.standard_normal(data.reward_diff.shape)
    noisy = srlm.BatchRound(data.prompts, data.first, data.second, data.reward_diff + noise)

    def vectorised() -> np.ndarray:
        return srlm.fit_round_batch(logp, noisy, beta)

    args = (logp.tolist(), data.prompts.tolist(), data.first.tolist(), data.second.tolist(), noise.tolist(), beta)
    fast = vectorised()
    slow = np.array(reference_round(*args))
    err = float(np.max(np.abs(fast - slow)))
    assert err < 1e-8, f"vectorised and reference rounds differ by {err}"
    t_fast = best_of(vectorised, 7)
    t_slow = best_of(lambda: reference_round(*args), 2)
    print(f"(a) one round, {reps} reps x {n} triples, {n_prompts} prompts x {n_resp} responses")
    print(
        f"    vectorised {t_fast * 1e3:.2f} ms, plain Python {t_slow * 1e3:.0f} ms, "
        f"speed ratio {t_slow / t_fast:.0f}x (goal >= 50x); max |difference| {err:.1e}"
    )


def bench_gibbs_kernel() -> None:
    rng = np.random.default_rng(1)
    n_prompts, n_resp, beta = 2048, 4096, 2.0
    logp = np.log(rng.dirichlet(np.ones(n_resp), size=n_prompts))
    scale = 1 + 1 / beta
    dst = np.empty_like(logp)
    t_copy = best_of(lambda: np.copyto(dst, logp), 9)
    t_kernel = best_of(lambda: _log_softmax_rows(logp, scale), 9)
    t_exp = best_of(lambda: np.exp(logp, out=dst), 9)
    policy = srlm.TabularPolicy(logp, np.full(n_prompts, 1 / n_prompts))
    t_public = best_of(lambda: srlm.gibbs_step(policy, beta), 3)
    out = _log_softmax_rows(logp, scale)
    ref = scale * logp - np.log(np.sum(np.exp(scale * logp), axis=1, keepdims=True))
    assert np.max(np.abs(out - ref)) < 1e-9
    nbytes = 2 * logp.nbytes  # the kernel must read the table once and write it once, like the copy
    print(f"(b) Gibbs kernel on {n_prompts} x {n_resp} float64 ({logp.nbytes / 2**20:.0f} MiB)")
    print(
        f"    copy {t_copy * 1e3:.1f} ms ({nbytes / t_copy / 1e9:.1f} GB/s), kernel {t_kernel * 1e3:.1f} ms "
        f"({nbytes / t_kernel / 1e9:.1f} GB/s): fraction of bandwidth {t_copy / t_kernel:.2f} (goal >= 0.33)"
    )
    print(
        f"    for context: np.exp alone {t_exp * 1e3:.1f} ms (fraction {t_copy / t_exp:.2f}); "
        f"public srlm.gibbs_step with validation {t_public * 1e3:.0f} ms"
    )


if __name__ == "__main__":
    for n_triples in (4_000, 20_000):  # 20 and 100 triples per prompt
        bench_round(n_triples)
    bench_gibbs_kernel()

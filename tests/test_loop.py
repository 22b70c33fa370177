from __future__ import annotations

import numpy as np
import pytest

import srlm


@pytest.fixture
def base(rng: np.random.Generator) -> srlm.TabularPolicy:
    return srlm.TabularPolicy.random(rng, 20, 5, 2.0, random_weights=True)


def test_seeded_runs_are_reproducible(base: srlm.TabularPolicy) -> None:
    a = srlm.run_self_rewarding(base, 1.0, 300, 4, np.random.default_rng(9), reps=3, noise_scale=0.5)
    b = srlm.run_self_rewarding(base, 1.0, 300, 4, np.random.default_rng(9), reps=3, noise_scale=0.5)
    np.testing.assert_array_equal(a.final_logp, b.final_logp)
    np.testing.assert_array_equal(a.kappa, b.kappa)


def test_distributions_stay_normalised_and_trackers_match(base: srlm.TabularPolicy) -> None:
    tr = srlm.run_self_rewarding(base, 0.7, 200, 3, np.random.default_rng(1), reps=4, noise_scale=1.0)
    np.testing.assert_allclose(np.exp(tr.final_logp).sum(axis=2), 1.0, atol=1e-12)
    assert tr.kappa.shape == (4, 4)
    for r in range(4):
        final = srlm.TabularPolicy(tr.final_logp[r], base.weights)
        assert tr.kappa[-1, r] == pytest.approx(srlm.condition_number(final))
        assert tr.confidence_failure[-1, r] == pytest.approx(srlm.failure_probability(final, 0.5))
        assert tr.correctness[-1, r] == pytest.approx(np.dot(base.weights, final.modes() == base.modes()))
    assert np.all(tr.kappa[0] == srlm.condition_number(base)) and np.all(tr.correctness[0] == 1.0)


def test_noiseless_loop_with_every_response_sampled_is_the_gibbs_step(rng: np.random.Generator) -> None:
    base = srlm.TabularPolicy.random(rng, 10, 5, 5.0)
    exact = srlm.iterate_self_rewarding(base, 2.0, 2)
    n = 100_000
    # expected draws of the rarest (prompt, response) cell in each round >= 50: all cells sampled w.p. ~1 - e^-50
    assert 2 * n * base.weights.min() * srlm.gibbs_step(base, 2.0).probs.min() >= 50
    tr = srlm.run_self_rewarding(base, 2.0, n, 2, np.random.default_rng(2), reps=2)
    for r in range(2):
        np.testing.assert_allclose(np.exp(tr.final_logp[r]), exact.probs, atol=1e-9)


def test_batched_fit_equals_single_fit(base: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    logp = np.stack([base.logp, srlm.gibbs_step(base, 1.0).logp])
    data = srlm.sample_round_batch(logp, base.weights, 50, rng, noise_scale=0.3)
    fitted = srlm.fit_round_batch(logp, data, 0.8)
    for r in range(2):
        single = srlm.RoundData(data.prompts[r], data.first[r], data.second[r], data.reward_diff[r])
        ref = srlm.TabularPolicy(logp[r], base.weights)
        np.testing.assert_allclose(fitted[r], srlm.tabular_dpo_erm(ref, single, 0.8).logp, atol=1e-10)


def test_zero_probabilities_stay_zero() -> None:
    inst = srlm.HardInstance(N=3, M=6, eps=0.5, g=1.0)
    pol = inst.policy([0, 1, 2])
    tr = srlm.run_self_rewarding(pol, 1.0, 500, 3, np.random.default_rng(4), reps=2)
    assert np.all(tr.final_logp[:, 0, 1:] == -np.inf)
    assert not np.any(np.isnan(tr.final_logp))


def test_bad_input(base: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="beta must be > 0"):
        srlm.run_self_rewarding(base, 0.0, 10, 1, rng)
    with pytest.raises(ValueError, match="reps must be >= 1"):
        srlm.run_self_rewarding(base, 1.0, 10, 1, rng, reps=0)
    with pytest.raises(ValueError, match="noise_scale must be >= 0"):
        srlm.run_self_rewarding(base, 1.0, 10, 1, rng, noise_scale=-1.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        srlm.run_self_rewarding(base, 1.0, 10, 1, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="logp must have shape"):
        srlm.sample_round_batch(base.logp, base.weights, 10, rng)
    with pytest.raises(ValueError, match="weights must sum to 1"):
        srlm.sample_round_batch(base.logp[None], np.ones(3), 10, rng)
    with pytest.raises(TypeError, match="data must be a BatchRound"):
        srlm.fit_round_batch(base.logp[None], None, 1.0)  # type: ignore[arg-type]


def test_exact_round_is_the_group_formula_and_can_change_the_mode() -> None:
    """One prompt, pi = (0.3, 0.2, 0.15, 0.35): pairs link {0, 1, 2}; the mode 3 is unsampled.

    By hand (paper's loop, exact labels, minimum-norm ERM): inside the group each
    probability becomes pi_y (pi_y / g)^{1/beta} with g the geometric mean of the group,
    the unsampled response keeps pi_3, then normalise.  At beta = 1 response 0 overtakes.
    """
    probs = np.array([0.3, 0.2, 0.15, 0.35])
    logp = np.log(probs)[None, None, :]
    first, second = np.array([[0, 1, 2, 1]]), np.array([[1, 0, 1, 1]])
    data = srlm.BatchRound(np.zeros((1, 4), dtype=np.intp), first, second, logp[0, 0, first] - logp[0, 0, second])
    g = 0.009 ** (1 / 3)
    for beta in (1.0, 0.5, 3.0):
        unnorm = np.array([p * (p / g) ** (1 / beta) for p in probs[:3]] + [probs[3]])
        np.testing.assert_allclose(np.exp(srlm.fit_round_batch(logp, data, beta)[0, 0]), unnorm / unnorm.sum(),
                                   rtol=1e-12)
    new = srlm.fit_round_batch(logp, data, 1.0)[0, 0]
    assert int(np.argmax(probs)) == 3 and int(np.argmax(new)) == 0
    # log-ratios inside the group are multiplied by s = 1 + 1/beta exactly
    np.testing.assert_allclose(new[0] - new[2], 2 * np.log(0.3 / 0.15), rtol=1e-12)


def test_two_responses_gap_is_multiplied_by_s_on_a_mixed_pair(rng: np.random.Generator) -> None:
    base = srlm.TabularPolicy.random(rng, 30, 2, 1.0)
    lp = base.logp[None]
    data = srlm.sample_round_batch(lp, base.weights, 40, np.random.default_rng(3))
    new = srlm.fit_round_batch(lp, data, 0.5)[0]
    mixed = np.zeros(30, dtype=bool)
    mixed[data.prompts[0][data.first[0] != data.second[0]]] = True
    gap_old, gap_new = base.logp[:, 0] - base.logp[:, 1], new[:, 0] - new[:, 1]
    assert mixed.any() and not mixed.all()
    np.testing.assert_allclose(gap_new, np.where(mixed, 3.0 * gap_old, gap_old), rtol=1e-12, atol=1e-12)


def test_late_stage_excess_pins_the_formula() -> None:
    # uniform prompts: X / (2 n T log(2 n T / X) log(1 + 1/beta)), by hand at X = 200, n = 1000, T = 40, beta = 1
    assert srlm.late_stage_excess(1000, 40, np.full(200, 1 / 200), 1.0) == pytest.approx(
        200 / (80_000 * np.log(400.0) * np.log(2.0)), rel=1e-14)
    # beta = 1/2: log s = log 3; non-uniform prompts: a sum of per-prompt terms
    w = np.array([0.5, 0.25, 0.25, 0.0])
    a = 2 * 100 * 10 * w[:3]
    expected = float(np.sum(w[:3] / (a * np.log(a)))) / np.log(3.0)
    assert srlm.late_stage_excess(100, 10, w, 0.5) == pytest.approx(expected, rel=1e-14)


def test_late_stage_excess_is_the_leading_term_of_the_model_integral() -> None:
    """(1/a) int_0^{a/e} e^{-w}/log(a/w) dw, by mpmath, equals (1 - gamma/log a + O(log^-2 a)) / (a log a)."""
    mp = pytest.importorskip("mpmath")
    for a_val in (1e6, 1e12):
        a_m = mp.mpf(a_val)
        integral = mp.quad(lambda w_, a_=a_m: mp.exp(-w_) / mp.log(a_ / w_), [0, 1, 10, 50, a_m / mp.e]) / a_m
        # with X = 1 prompt, n T = a / 2: late_stage_excess * log s = 1 / (a log a)
        leading = srlm.late_stage_excess(int(a_val // 2), 1, np.array([1.0]), 1.0) * np.log(2.0)
        ratio = float(integral) / leading
        assert abs(ratio - (1 - float(mp.euler) / np.log(a_val))) < 2 / np.log(a_val) ** 2


def test_late_stage_excess_bad_input() -> None:
    with pytest.raises(ValueError, match="weights must sum to 1"):
        srlm.late_stage_excess(10, 5, np.array([0.5, 0.6]), 1.0)
    with pytest.raises(ValueError, match="must exceed e"):
        srlm.late_stage_excess(1, 1, np.full(4, 0.25), 1.0)
    with pytest.raises(ValueError, match="rounds must be >= 1"):
        srlm.late_stage_excess(10, 0, np.array([1.0]), 1.0)
    with pytest.raises(ValueError, match="beta must be > 0"):
        srlm.late_stage_excess(10, 5, np.array([1.0]), 0.0)


def test_every_argument_checked_even_with_zero_rounds(base: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    for kwargs, exc, msg in (
        ({"n": 0}, ValueError, "n must be >= 1"),
        ({"n": 2.5}, TypeError, "n must be an integer"),
        ({"rng": 3}, TypeError, "rng must be a numpy.random.Generator"),
        ({"noise_scale": float("nan")}, ValueError, "noise_scale must be finite"),
        ({"noise_scale": -1.0}, ValueError, "noise_scale must be >= 0"),
    ):
        args = {"n": 10, "rng": rng, "noise_scale": 0.0} | kwargs
        with pytest.raises(exc, match=msg):
            srlm.run_self_rewarding(base, 1.0, args["n"], 0, args["rng"], noise_scale=args["noise_scale"])


def test_work_limit(base: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="the work rounds x"):
        srlm.run_self_rewarding(base, 1.0, 10**6, 10**4, rng, reps=10**3)
    with pytest.raises(ValueError, match="size limit"):
        srlm.run_self_rewarding(base, 1.0, 10, 1, rng, reps=10**9)


def test_batch_round_rejects_bad_labels_and_indices(base: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    good = srlm.sample_round_batch(base.logp[None], base.weights, 20, rng)
    with pytest.raises(ValueError, match="reward_diff must be finite"):
        srlm.BatchRound(good.prompts, good.first, good.second, np.full(good.prompts.shape, np.nan))
    with pytest.raises(ValueError, match="prompts must have entries >= 0"):
        srlm.BatchRound(good.prompts - 5, good.first, good.second, good.reward_diff)
    with pytest.raises(TypeError, match="first must be an integer array"):
        srlm.BatchRound(good.prompts, good.first.astype(float), good.second, good.reward_diff)
    with pytest.raises(ValueError, match="reward_diff must have shape"):
        srlm.BatchRound(good.prompts, good.first, good.second, good.reward_diff[:, :3])
    far = srlm.BatchRound(good.prompts + base.n_prompts, good.first, good.second, good.reward_diff)
    with pytest.raises(ValueError, match="data.prompts must have entries in"):
        srlm.fit_round_batch(base.logp[None], far, 1.0)
    with pytest.raises(OverflowError, match="beta is too small"):
        big = srlm.BatchRound(good.prompts, good.first, good.second, np.full(good.prompts.shape, 1e300))
        srlm.fit_round_batch(base.logp[None], big, 1e-10)


def test_a_million_rounds_is_refused_before_any_work(base: srlm.TabularPolicy, rng: np.random.Generator) -> None:
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match="the work rounds x"):
        srlm.run_self_rewarding(base, 1.0, 10, 10**6, rng)
    assert time.perf_counter() - start < 1.0

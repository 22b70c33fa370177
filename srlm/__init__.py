r"""srlm: executable companion to *Why Self-Rewarding Works* (Fu et al., arXiv:2601.22513).

Pure functions on numpy arrays for the objects of the paper: tabular and
linear-softmax policies, the self-reward :math:`r = \log\pi`, the KL-regularised
(Gibbs) step and its iterated closed form, round sampling, and the DPO square
loss with its empirical risk minimiser.  Every public function validates its
arguments and raises :class:`ValueError` / :class:`TypeError` naming the
argument.
"""

from srlm.autoregressive import AutoregressivePolicy, sequence_index
from srlm.bounds import (
    composed_map,
    contraction_factor,
    envelope,
    failure_bound,
    failure_probability,
    fixed_point,
    gap_failure_bound,
    iterate_recurrence,
    kappa_mean_bound,
    kappa_tail_bound,
    min_confidence,
    performance,
    performance_gap,
    published_bound_sample_size,
    published_stable_part,
    recurrence_constants,
    reward_margin,
    rounds_needed,
    sample_extremal_inverse_confidence,
    switch_point,
    two_point_law,
)
from srlm.condition import (
    condition_number,
    condition_number_excess,
    condition_number_from_mode_logprobs,
    log_condition_number,
    log_condition_number_from_mode_logprobs,
    mode_logprobs,
)
from srlm.decoding import (
    TIE_BREAKS,
    greedy_decode,
    index_to_tokens,
    min_length_binary,
    trap_conditions,
    trap_construction,
)
from srlm.dpo import (
    dpo_logistic_loss,
    dpo_residuals,
    dpo_square_loss,
    linear_dpo_erm,
    minnorm_log_ratios,
    sampled_components,
    tabular_dpo_erm,
)
from srlm.hard_instance import HardInstance, SampleCalls, proven_failure_rate, required_samples
from srlm.kl_step import (
    gibbs_step,
    iterate_self_rewarding,
    kl_divergence,
    kl_objective,
    kl_step_numerical,
    log_sharpening_exponent,
    reward_differences,
    self_reward,
    sharpening_exponent,
)
from srlm.linear import (
    ball_net_size_bound,
    check_features,
    constrained_least_squares,
    difference_projector,
    greedy_packing,
    linear_softmax_logp,
    log_ratio_lipschitz_constant,
    project_to_ball,
    random_unit_features,
    realizability_horizon,
    sup_log_ratio,
)
from srlm.loop import (
    BatchRound,
    LoopTrace,
    fit_round_batch,
    late_stage_excess,
    run_self_rewarding,
    sample_round_batch,
)
from srlm.lower_bound import (
    floor_constants,
    floor_function,
    lambert_wm1,
    min_failure_rate,
    min_failure_rate_asymptotic,
    sample_threshold,
    samples_for_floor,
)
from srlm.ngram import MarkovPolicy, NGramModel, Vocabulary, normalise_text
from srlm.policies import LinearSoftmaxPolicy, TabularPolicy, log_normalize
from srlm.protocol import Policy, log_prob, mode, sample, temper
from srlm.sampling import RoundData, sample_categorical, sample_round
from srlm.spectra import (
    best_spiked_bound,
    covariance_spectrum,
    effective_dimension,
    exponential_bound,
    exponential_envelope,
    exponential_spectrum,
    polynomial_bound,
    polynomial_envelope,
    polynomial_spectrum,
    spiked_bound,
    spiked_spectrum,
)
from srlm.text import corpus_sha256, docstring_corpus, hashed_ngram_features

__version__ = "0.1.0"

_LAZY = {"assert_identity", "is_identity", "is_zero"}  # sympy is slow to import; load it on first use


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from srlm import symbolic

        return getattr(symbolic, name)
    raise AttributeError(f"module 'srlm' has no attribute {name!r}")


__all__ = [
    "TIE_BREAKS",
    "AutoregressivePolicy",
    "BatchRound",
    "HardInstance",
    "LinearSoftmaxPolicy",
    "LoopTrace",
    "MarkovPolicy",
    "NGramModel",
    "Policy",
    "RoundData",
    "SampleCalls",
    "TabularPolicy",
    "Vocabulary",
    "assert_identity",
    "ball_net_size_bound",
    "best_spiked_bound",
    "check_features",
    "composed_map",
    "condition_number",
    "condition_number_excess",
    "condition_number_from_mode_logprobs",
    "constrained_least_squares",
    "contraction_factor",
    "corpus_sha256",
    "covariance_spectrum",
    "difference_projector",
    "docstring_corpus",
    "dpo_logistic_loss",
    "dpo_residuals",
    "dpo_square_loss",
    "effective_dimension",
    "envelope",
    "exponential_bound",
    "exponential_envelope",
    "exponential_spectrum",
    "failure_bound",
    "failure_probability",
    "fit_round_batch",
    "fixed_point",
    "floor_constants",
    "floor_function",
    "gap_failure_bound",
    "gibbs_step",
    "greedy_decode",
    "greedy_packing",
    "hashed_ngram_features",
    "index_to_tokens",
    "is_identity",
    "is_zero",
    "iterate_recurrence",
    "iterate_self_rewarding",
    "kappa_mean_bound",
    "kappa_tail_bound",
    "kl_divergence",
    "kl_objective",
    "kl_step_numerical",
    "lambert_wm1",
    "late_stage_excess",
    "linear_dpo_erm",
    "linear_softmax_logp",
    "log_condition_number",
    "log_condition_number_from_mode_logprobs",
    "log_normalize",
    "log_prob",
    "log_ratio_lipschitz_constant",
    "log_sharpening_exponent",
    "min_confidence",
    "min_failure_rate",
    "min_failure_rate_asymptotic",
    "min_length_binary",
    "minnorm_log_ratios",
    "mode",
    "mode_logprobs",
    "normalise_text",
    "performance",
    "performance_gap",
    "polynomial_bound",
    "polynomial_envelope",
    "polynomial_spectrum",
    "project_to_ball",
    "proven_failure_rate",
    "published_bound_sample_size",
    "published_stable_part",
    "random_unit_features",
    "realizability_horizon",
    "recurrence_constants",
    "required_samples",
    "reward_differences",
    "reward_margin",
    "rounds_needed",
    "run_self_rewarding",
    "sample",
    "sample_categorical",
    "sample_extremal_inverse_confidence",
    "sample_round",
    "sample_round_batch",
    "sample_threshold",
    "sampled_components",
    "samples_for_floor",
    "self_reward",
    "sequence_index",
    "sharpening_exponent",
    "spiked_bound",
    "spiked_spectrum",
    "sup_log_ratio",
    "switch_point",
    "tabular_dpo_erm",
    "temper",
    "trap_conditions",
    "trap_construction",
    "two_point_law",
]

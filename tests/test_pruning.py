"""Tests of sklearn_dynst._pruning (DynST's pruning and swap rules)."""

import numpy as np
import pytest

from sklearn_dynst._pruning import (conditional_variances,
                                    dropout_variances, prune_covering,
                                    prune_lowest, pruning_schedule,
                                    shrink_to_mean, swap_sensors)
from sklearn_dynst._validation import check_n_kept


@pytest.mark.parametrize("sparsity, n_rounds", [(0.3, 10), (0.9, 10),
                                                (0.5, 1), (0.0, 3)])
def test_schedule_removes_same_share_of_active_each_round(sparsity, n_rounds):
    levels = pruning_schedule(sparsity, n_rounds)
    assert levels.shape == (n_rounds,)
    assert levels[-1] == sparsity
    assert np.all(np.diff(levels) >= 0)
    kept = np.r_[1.0, 1.0 - levels]
    np.testing.assert_allclose(kept[1:] / kept[:-1],
                               (1 - sparsity) ** (1 / n_rounds))


@pytest.mark.parametrize("sparsity, n_rounds, match", [
    (1.0, 10, "sparsity must be in"), (-0.1, 10, "sparsity must be in"),
    (0.5, 0, "n_rounds must be an int"), (0.5, 2.5, "n_rounds must be an int"),
])
def test_schedule_errors(sparsity, n_rounds, match):
    with pytest.raises(ValueError, match=match):
        pruning_schedule(sparsity, n_rounds)


def test_prune_lowest_keeps_highest_scores():
    rng = np.random.default_rng(0)
    scores = rng.permutation(20).astype(float)
    active = prune_lowest(scores, np.ones(20, bool), 0.3)
    assert active.sum() == check_n_kept(0.3, 20) == 14
    assert scores[active].min() > scores[~active].max()


def test_prune_lowest_only_switches_off_active_ones():
    scores = np.array([0.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    active = np.array([False, True, True, True, True, True])
    out = prune_lowest(scores, active, 0.5)
    np.testing.assert_array_equal(out, [False, True, True, True, False,
                                        False])
    assert active.sum() == 5  # input untouched


def test_prune_lowest_never_drops_required():
    scores = np.arange(10.0)
    required = np.zeros(10, bool)
    required[[0, 1]] = True
    out = prune_lowest(scores, np.ones(10, bool), 0.7, required=required)
    assert out[[0, 1]].all()
    assert out.sum() == 3
    assert out[9]


def test_prune_lowest_with_costs_means_share_of_cost():
    scores = np.array([1.0, 2.0, 3.0, 4.0])
    costs = np.array([10.0, 1.0, 1.0, 8.0])
    # off must be at least half of the total cost 20: dropping sensor 0 (10)
    out = prune_lowest(scores, np.ones(4, bool), 0.5, costs=costs)
    np.testing.assert_array_equal(out, [False, True, True, True])
    assert costs[~out].sum() / costs.sum() >= 0.5


def test_prune_lowest_required_too_costly():
    with pytest.raises(ValueError, match="required sensors cost 3 of 4"):
        prune_lowest(np.ones(4), np.ones(4, bool), 0.5,
                     required=[True, True, True, False])


@pytest.mark.parametrize("kwargs, match", [
    ({"active": np.ones(3, bool)}, r"active must be a boolean mask of shape"),
    ({"costs": [1.0, -1.0, 1.0, 1.0]}, "costs must hold 4 positive values"),
    ({"required": [True]}, r"required must be a boolean mask of shape \(4,\)"),
])
def test_prune_lowest_shape_errors(kwargs, match):
    args = {"active": np.ones(4, bool), **kwargs}
    with pytest.raises(ValueError, match=match):
        prune_lowest(np.arange(4.0), sparsity=0.5, **args)


def test_swap_exchanges_weakest_active_for_strongest_pruned():
    active = np.array([True, True, True, False, False, False])
    gradients = np.array([0.5, -0.01, 0.3, 0.2, -0.9, 0.05])
    out = swap_sensors(active, gradients, 1)
    np.testing.assert_array_equal(out, [True, False, True, False, True,
                                        False])
    out2 = swap_sensors(active, gradients, 2)
    assert out2.sum() == active.sum()
    np.testing.assert_array_equal(np.flatnonzero(out2), [0, 3, 4])


def test_swap_respects_required_and_limits():
    active = np.array([True, True, False])
    out = swap_sensors(active, [0.0, 1.0, 5.0], 1, required=[True, False,
                                                             False])
    np.testing.assert_array_equal(out, [True, False, True])
    # more swaps than possible: bounded by the smaller set
    assert swap_sensors(active, [0.0, 1.0, 5.0], 10).sum() == 2
    np.testing.assert_array_equal(swap_sensors(active, [1, 1, 1], 0), active)


def test_signed_swap_uses_values_not_magnitudes():
    active = np.array([True, True, False, False])
    # removal cost of active sensors; regrowth gain of switched-off ones
    values = np.array([-0.5, 0.2, 0.9, -3.0])
    np.testing.assert_array_equal(
        swap_sensors(active, values, 1, signed=True), [False, True, True,
                                                        False])
    np.testing.assert_array_equal(  # magnitudes would regrow sensor 3
        swap_sensors(active, values, 1), [True, False, False, True])


def _field_covariance(n_sensors, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(400, 4)) @ rng.normal(size=(4, n_sensors))
    Z += 0.3 * rng.normal(size=Z.shape)
    return Z.T @ Z / len(Z)


def _greedy_by_brute_force(weights, active, n_kept, covariance, ridge):
    """Remove, one at a time, the sensor after whose removal the weighted
    interpolation variance of the switched-off sensors is least."""
    active = active.copy()
    while active.sum() > n_kept:
        costs = {}
        for sensor in np.flatnonzero(active):
            trial = active.copy()
            trial[sensor] = False
            variances = conditional_variances(covariance, trial, ridge)
            costs[sensor] = (weights[~trial] * variances[~trial]).sum()
        active[min(costs, key=costs.get)] = False
    return active


def test_conditional_variances_are_regression_residual_variances():
    covariance = _field_covariance(8)
    active = np.array([1, 1, 0, 1, 1, 0, 1, 1], bool)
    variances = conditional_variances(covariance, active, ridge=0.0)
    for sensor in range(8):
        given = np.flatnonzero(active & (np.arange(8) != sensor))
        beta = np.linalg.solve(covariance[np.ix_(given, given)],
                               covariance[given, sensor])
        expected = covariance[sensor, sensor] - covariance[sensor, given] @ beta
        np.testing.assert_allclose(variances[sensor], expected, rtol=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ridge", [0.0, 1e-2])
def test_prune_covering_is_the_exact_greedy_removal(seed, ridge):
    covariance = _field_covariance(16, seed)
    weights = np.random.default_rng(seed).uniform(0.1, 5.0, 16)
    active = np.ones(16, bool)
    active[[2, 9]] = False  # switched off earlier: they count too
    fast = prune_covering(weights, active, 0.5, covariance, ridge=ridge)
    slow = _greedy_by_brute_force(weights, active, 8, covariance, ridge)
    np.testing.assert_array_equal(fast, slow)


def test_prune_covering_keeps_one_of_each_redundant_pair():
    # sensors i and i + 4 are near copies; every sensor looks redundant
    # while its twin stays, so a one-shot ranking drops whole pairs
    rng = np.random.default_rng(0)
    sources = rng.normal(size=(500, 4))
    Z = np.hstack([sources, sources + 0.05 * rng.normal(size=(500, 4))])
    covariance = Z.T @ Z / len(Z)
    active = np.ones(8, bool)
    out = prune_covering(np.ones(8), active, 0.5, covariance)
    assert out.sum() == 4
    np.testing.assert_array_equal(out[:4] | out[4:], True)
    ranked = prune_lowest(conditional_variances(covariance, active)
                          + rng.uniform(0, 1e-3, 8), active, 0.5)
    assert not (ranked[:4] | ranked[4:]).all()


def test_prune_covering_constraints():
    covariance = _field_covariance(10)
    required = np.zeros(10, bool)
    required[[0, 1]] = True
    out = prune_covering(np.ones(10), np.ones(10, bool), 0.7, covariance,
                         required=required)
    assert out[required].all() and out.sum() == 3
    costs = np.r_[np.full(5, 3.0), np.ones(5)]
    out = prune_covering(np.ones(10), np.ones(10, bool), 0.5, covariance,
                         costs=costs)
    assert costs[out].sum() <= 0.5 * costs.sum()
    # only sensors already off stay off
    active = np.r_[np.zeros(5, bool), np.ones(5, bool)]
    out = prune_covering(np.ones(10), active, 0.7, covariance)
    assert not out[:5].any() and out.sum() == 3


@pytest.mark.parametrize("kwargs, match", [
    ({"weights": np.r_[np.ones(9), np.inf]}, "weights must be finite"),
    ({"covariance": np.eye(9)}, r"covariance must have shape \(10, 10\)"),
    ({"active": np.ones(9, bool)}, r"active must be a boolean mask of shape"),
])
def test_prune_covering_errors(kwargs, match):
    args = {"weights": np.ones(10), "active": np.ones(10, bool),
            "sparsity": 0.5, "covariance": np.eye(10), **kwargs}
    with pytest.raises(ValueError, match=match):
        prune_covering(**args)


def test_dropout_variances_average_over_the_present_sensors():
    covariance = _field_covariance(4)
    active = np.ones(4, bool)
    np.testing.assert_allclose(
        dropout_variances(covariance, active, 0.0),
        conditional_variances(covariance, active))
    # exact expectation over the 16 equally likely patterns of dropout 0.5
    expected = np.zeros(4)
    for code in range(16):
        present = np.array([(code >> k) & 1 for k in range(4)], bool)
        if present.any():
            variances = conditional_variances(covariance, present)
        else:
            variances = np.diag(covariance) + 1e-2 * np.diag(covariance).mean()
        expected[~present] += variances[~present] / 8  # absent in 8 of 16
    estimate = dropout_variances(covariance, active, 0.5, n_patterns=4000,
                                 random_state=0)
    np.testing.assert_allclose(estimate, expected, rtol=0.05)
    # switched-off sensors: their variance given the active ones
    active[1] = False
    np.testing.assert_allclose(
        dropout_variances(covariance, active, 0.5, random_state=0)[1],
        conditional_variances(covariance, active)[1])


def test_shrink_to_mean_removes_what_noise_explains():
    rng = np.random.default_rng(0)
    truth = np.r_[np.zeros(50), np.full(50, 4.0)]
    noisy = truth + rng.normal(size=100)
    shrunk = shrink_to_mean(noisy, np.ones(100))
    # closer to the truth than the raw values, order between groups kept
    assert ((shrunk - truth) ** 2).mean() < ((noisy - truth) ** 2).mean()
    assert shrunk[50:].mean() - shrunk[:50].mean() > 3.0
    pure_noise = rng.normal(size=100)
    collapsed = shrink_to_mean(pure_noise, np.full(100, 3.0))
    np.testing.assert_allclose(collapsed, pure_noise.mean())
    kept = shrink_to_mean([1.0, np.inf, 3.0, np.nan], [0.5, 0.5, 0.5, 0.5])
    assert kept[1] == np.inf and np.isnan(kept[3])
    np.testing.assert_allclose(kept[[0, 2]], [1.0, 3.0], atol=0.3)

"""Tests of sklearn_dynst._pruning (DynST's pruning and swap rules)."""

import numpy as np
import pytest

from sklearn_dynst._pruning import prune_lowest, pruning_schedule, swap_sensors
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

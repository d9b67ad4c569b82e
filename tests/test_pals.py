"""Tests of PALS (sparsity="auto"): the controller and the callback."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from sklearn_dynst import DynSTRegressor, SensorSelector
from sklearn_dynst._net import ForecastNet, MaskedLoss
from sklearn_dynst._pals import cosine_rate, pals_decision, update_counts
from sklearn_dynst.callbacks import AdaptiveSensorPruning

from conftest import make_gated_network, make_twin_windows


# -------------------------------------------------------------- controller
def _run(losses, sparsities, **kwargs):
    """Decisions for a scripted sequence of (loss, sparsity) updates."""
    best_loss, best_sparsity, decisions = np.inf, 0.0, []
    for loss, sparsity in zip(losses, sparsities):
        if loss < best_loss:
            best_loss, best_sparsity = loss, sparsity
        decisions.append(pals_decision(loss, best_loss, sparsity,
                                       best_sparsity, **kwargs))
    return decisions


def test_each_branch_on_a_scripted_loss_sequence():
    losses = [1.0, 0.9, 0.95, 1.2, 1.3, 0.98, 1.05]
    sparsities = [0.3, 0.35, 0.4, 0.45, 0.4, 0.35, 0.3]
    # best 0.9 at 0.35: 0.95 within 1.1x -> shrink; 1.2 above, sparser than
    # 0.35 -> expand (twice); 0.98 within -> shrink; 1.05 above 0.99 but
    # denser than the best -> stable
    assert _run(losses, sparsities) == [
        "shrink", "shrink", "shrink", "expand", "expand", "shrink", "stable"]


def test_controller_keeps_the_level_on_a_nan_loss():
    from sklearn_dynst._pals import PALSController

    controller = PALSController()
    assert controller.decide(1.0, 0.3) == "shrink"
    # no observed validation truth: no information, no new best
    assert controller.decide(float("nan"), 0.5) == "stable"
    assert controller.decide(float("nan"), 0.1) == "shrink"  # the floor
    assert (controller.best_loss_, controller.best_sparsity_) == (1.0, 0.3)


def test_floor_always_shrinks_and_ceiling_never_does():
    # below min_sparsity a bad loss still shrinks
    assert pals_decision(5.0, 1.0, 0.1, 0.5) == "shrink"
    assert pals_decision(5.0, 1.0, 0.1, 0.5, min_sparsity=0.05) == "stable"
    # at the ceiling a good loss no longer shrinks
    assert pals_decision(1.0, 1.0, 0.9, 0.5) == "stable"
    assert pals_decision(1.0, 1.0, 0.89, 0.5) == "shrink"
    # a tolerance of 1.5 accepts a loss 1.4x the best
    assert pals_decision(1.4, 1.0, 0.5, 0.3, tolerance=1.5) == "shrink"


def test_cosine_rate_and_counts():
    rates = [cosine_rate(p) for p in np.linspace(0, 1, 11)]
    assert rates[0] == 0.5 and rates[-1] == pytest.approx(0.005)
    assert all(a >= b for a, b in zip(rates, rates[1:]))
    assert cosine_rate(2.0) == pytest.approx(0.005)  # clipped
    # shrink prunes growth x the regrown; expand the reverse; stable equal
    assert update_counts("shrink", 0.2, 100, 50) == (22, 20)
    assert update_counts("expand", 0.2, 100, 50) == (20, 22)
    assert update_counts("stable", 0.2, 100, 50) == (20, 20)
    # dense: nothing to regrow, a shrink prunes the extra share only
    assert update_counts("shrink", 0.5, 100, 0) == (5, 0)
    # at least one unit moves, never the last active one
    assert update_counts("shrink", 0.005, 10, 0) == (1, 0)
    assert update_counts("shrink", 0.5, 1, 0) == (0, 0)
    with pytest.raises(ValueError, match="decision"):
        update_counts("grow", 0.5, 10, 0)


# ---------------------------------------------------------------- callback
N_SAMPLES, N_SENSORS = 64, 20


class _Scripted(AdaptiveSensorPruning):
    """Validation losses from a script instead of the data."""

    def __init__(self, script, **kwargs):
        super().__init__(**kwargs)
        self.script = script

    def _validation_loss(self, net):
        return self.script[len(self.path_) % len(self.script)]


def _fit(callback, max_epochs=10):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_SAMPLES, N_SENSORS, 3, 1)).astype(np.float32)
    y = X[:, :, -2:].copy()
    module = make_gated_network(X, y, residual=False)
    net = ForecastNet(module=module, criterion=MaskedLoss,
                      callbacks=[("pals", callback)], max_epochs=max_epochs,
                      batch_size=16, train_split=None, device="cpu",
                      verbose=0, lr=1e-2)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net.fit({"x": X, "sample_index": np.arange(N_SAMPLES)}, y)
    return net


def test_callback_follows_the_controller_and_respects_floor_and_ceiling():
    # losses keep improving: shrink at every update, up to the ceiling
    callback = _Scripted([1.0 - 0.01 * i for i in range(100)],
                         update_every=1, initial_rate=0.5, max_sparsity=0.6,
                         decision_share=1.0, importance="magnitude")
    net = _fit(callback)
    path = callback.path_
    assert len(path) == 40  # 4 steps per epoch, 10 epochs
    assert all(u["decision"] in ("shrink", "stable") for u in path)
    sparsity = [u["sparsity"] for u in path]
    assert max(sparsity) == pytest.approx(0.6)  # reached, never passed
    assert path[0]["decision"] == "shrink" and sparsity[0] > 0
    assert net.module_.n_kept == callback.active_.sum() == 8
    # updates are in the history, epoch by epoch
    logged = [u for row in net.history for u in row["sparsity_updates"]]
    assert logged == path


def test_callback_expands_after_a_loss_jump_and_stops_after_the_decisions():
    # good at first, then much worse: shrink, then expand (sparser than
    # where the best loss was seen) back to that level, then stay
    script = [1.0, 0.9, 0.8, 0.7, 0.6, 2.0, 2.0, 2.0]
    callback = _Scripted(script, update_every=2, initial_rate=0.5,
                         decision_share=0.5, min_sparsity=0.0,
                         importance="magnitude")
    _fit(callback, max_epochs=8)  # 32 steps, decisions in the first 16
    decisions = [u["decision"] for u in callback.path_]
    assert decisions == ["shrink"] * 5 + ["expand"] + ["stable"] * 2
    assert callback.path_[-1]["step"] == 16
    sparsity = [u["sparsity"] for u in callback.path_]
    assert sparsity[5] < sparsity[4] and callback.path_[5]["n_regrown"] > \
        callback.path_[5]["n_pruned"]
    assert sparsity[5] == pytest.approx(callback.best_sparsity_)
    assert sparsity[7] == sparsity[6] == sparsity[5]


def test_required_sensors_stay_and_auto_update_every():
    required = np.zeros(N_SENSORS, dtype=bool)
    required[:5] = True
    callback = _Scripted([1.0], update_every="auto", min_updates=10,
                         initial_rate=0.5, required=required,
                         importance="magnitude")
    _fit(callback, max_epochs=10)  # 40 steps, 26 of decisions
    assert callback.update_every_ == 2
    assert callback.active_[:5].all() and callback.path_


# --------------------------------------------------------------- estimator
def _windows(seed=0, n=300):
    rng = np.random.default_rng(seed)
    series = rng.normal(size=(n + 10, 8)).cumsum(0)
    X = np.stack([series[i:i + 6] for i in range(n)])
    return X, X[:, -2:]


def test_auto_sparsity_in_estimators_pipeline_and_clone():
    X, y = _windows()
    params = {"n_rounds": 2, "epochs_per_round": 2, "max_epochs": 2,
              "random_state": 0}
    model = DynSTRegressor("auto", **params).fit(X, y)
    path = [u for row in model.history_ for u in row.get(
        "sparsity_updates", [])]
    assert path and 0 < model.sparsity_ <= 0.9
    assert model.sparsity_ == pytest.approx(1 - model.support_.mean())
    assert model.predict(X[:, :, model.support_]).shape == y.shape
    clone(model).set_params(tolerance=1.5)
    selector = SensorSelector("auto", sample_pruning=0.5, **params)
    pipe = Pipeline([("select", selector),
                     ("forecast", DynSTRegressor(max_epochs=2))])
    pipe.fit(X, y)
    kept = pipe.named_steps["select"].support_.sum()
    assert pipe.predict(X).shape == y.shape and 1 <= kept < 8
    with pytest.raises(ValueError, match="sparsity"):
        DynSTRegressor("half").fit(X, y)
    with pytest.raises(ValueError, match="tolerance"):
        DynSTRegressor("auto", tolerance=0.9).fit(X, y)


@pytest.mark.parametrize("coverage", [True, False])
def test_auto_shrinks_with_the_covering_removal(coverage):
    # every loss is within tolerance, so PALS shrinks to its ceiling; with
    # coverage each shrink keeps one sensor of each pair of twins (without
    # it, this seed switches a whole pair off)
    X, y = make_twin_windows()
    model = DynSTRegressor("auto", max_sparsity=0.5, tolerance=100.0,
                           n_rounds=2, epochs_per_round=2, max_epochs=10,
                           batch_size=32, random_state=1,
                           backbone_params={"hidden_size": 16},
                           coverage=coverage).fit(X, y)
    kept = model.support_
    assert kept.sum() == 4 and model.sparsity_ == 0.5
    assert (kept[:4] | kept[4:]).all() == coverage


def test_shrink_target_counts_droppable_sensors_and_costs():
    callback = AdaptiveSensorPruning()
    callback.active_ = np.array([True] * 6 + [False] * 4)
    callback.required, callback.costs = None, None
    assert callback._sparsity_after(2) == pytest.approx(0.6)
    callback.required = np.array([True] * 5 + [False] * 5)
    assert callback._sparsity_after(3) == pytest.approx(0.5)  # 1 droppable
    callback.required = None
    callback.costs = np.array([2.0] * 6 + [1.0] * 4)  # active cost 12 of 16
    assert callback._sparsity_after(3) == pytest.approx(1 - 6 / 16)


def test_auto_importance_switches_from_absence_to_fisher_above_0_8():
    callback = AdaptiveSensorPruning(importance="auto")
    callback.active_ = np.ones(10, dtype=bool)
    callback.costs = None
    assert callback._resolved_importance() == "absence"
    callback.active_[:8] = False  # sparsity 0.8: still the absence cost
    assert callback._resolved_importance() == "absence"
    callback.active_[8] = False
    assert callback._resolved_importance() == "removal"
    # the estimator asks for it only where the absence cost applies
    X, y = _windows()
    model = DynSTRegressor("auto", n_rounds=2, epochs_per_round=1,
                           max_epochs=1, random_state=0)
    model.fit(X, X)
    assert model._importance() == "auto"
    model.set_params(sensor_dropout=0.0).fit(X, X)
    assert model._importance() == "removal"
    model.set_params(sensor_dropout=0.5).fit(X, y)  # y: 2 steps of 6
    assert model._importance() == "auto"

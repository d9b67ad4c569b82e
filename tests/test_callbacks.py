"""Tests of sklearn_dynst.callbacks (DynST training policies) on rigged nets."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from sklearn_dynst._net import ForecastNet, MaskedLoss
from sklearn_dynst._pruning import pruning_schedule
from sklearn_dynst._validation import check_n_kept
from sklearn_dynst.callbacks import (
    AdaptiveSensorPruning,
    AlternatingMaskTraining,
    IterativeSensorPruning,
    WeightPruning,
)

from conftest import make_gated_network

N_SAMPLES, N_SENSORS, N_STEPS, HORIZON = 32, 10, 3, 2


def _data(seed=0, n_samples=N_SAMPLES):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, N_SENSORS, N_STEPS, 1))
    # the target of every sensor is driven by sensors 0 and 1 only
    y = np.repeat(X[:, [0]] + X[:, [1]], N_SENSORS, axis=1)[:, :, :HORIZON]
    return X.astype(np.float32), y.astype(np.float32)


def _net(X, y, callbacks, gate=True, max_epochs=4, l1=0.0, lr=1e-2,
         **kwargs):
    module = make_gated_network(X, y, residual=False, l1=l1)
    if not gate:
        module.gate = None
    return ForecastNet(module=module, criterion=MaskedLoss,
                       callbacks=list(callbacks), max_epochs=max_epochs,
                       batch_size=8, train_split=None,
                       device="cpu", iterator_train__shuffle=False,
                       verbose=0, lr=lr, **kwargs)


def _fit(net, X, y):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net.fit({"x": X, "sample_index": np.arange(len(X))}, y)
    return net


class _ParameterTracker(AlternatingMaskTraining):
    """Also records, per training step, which parameter groups changed."""

    def on_batch_begin(self, net, **kwargs):
        super().on_batch_begin(net, **kwargs)
        self.before_ = self._snapshot(net)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            after = self._snapshot(net)
            self.changes_.append(tuple(not torch.equal(a, b) for a, b in
                                       zip(self.before_, after)))

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.changes_ = []

    @staticmethod
    def _snapshot(net):
        module = net.module_
        return (module.gate.scores.detach().clone(),
                module.backbone.encoder.linear.weight.detach().clone())


def test_alternation_updates_network_then_mask():
    X, y = _data()
    tracker = _ParameterTracker(n_network_steps=3, n_mask_steps=1)
    net = _fit(_net(X, y, [tracker], optimizer=torch.optim.AdamW), X, y)
    # 4 batches per epoch, 4 epochs: pattern (net, net, net, mask) repeated
    expected = [(False, True)] * 3 + [(True, False)]
    assert tracker.changes_ == expected * 4
    assert net.history[-1, "mask_steps"] == 4
    assert all(p.requires_grad for p in net.module_.parameters())


def test_alternation_needs_a_gate():
    X, y = _data()
    with pytest.raises(ValueError, match="needs a module with a SensorGate"):
        _fit(_net(X, y, [AlternatingMaskTraining()], gate=False), X, y)


def _among(*options):
    """Regex start: every option is named (scikit-learn lists them as a
    set, in no fixed order)."""
    return "^" + "".join(f"(?=.*'{option}')" for option in options)


@pytest.mark.parametrize("callback, match", [
    (IterativeSensorPruning(0.5, [2], importance="bogus"),
     _among("absence", "magnitude", "removal")
     + r"The 'importance' parameter of IterativeSensorPruning must be a str "
       r"among .* Got 'bogus' instead"),
    (IterativeSensorPruning(0.5, [2], start="foo"),
     _among("dense", "random") + r".*'start' parameter .* str among .*Got "
                                 r"'foo'"),
    (IterativeSensorPruning(1.2, [2]),
     r"'sparsity' parameter .* float in the range \[0.0, 1.0\). Got 1.2"),
    (IterativeSensorPruning(0.5, [2], swap_fraction=-0.1),
     "'swap_fraction' parameter of IterativeSensorPruning must be a float"),
    (AdaptiveSensorPruning(importance="bogus"),
     _among("absence", "auto")
     + r"The 'importance' parameter of AdaptiveSensorPruning must be a str "
       r"among .*Got 'bogus'"),
    (AdaptiveSensorPruning(tolerance=0.9),
     r"'tolerance' parameter .* float in the range \[1.0, inf\). Got 0.9"),
    (AdaptiveSensorPruning(max_sparsity=1.0),
     r"'max_sparsity' parameter .* float in the range \[0.0, 1.0\). "
     r"Got 1.0"),
    (AdaptiveSensorPruning(update_every=0),
     r"'update_every' parameter .* float in the range \[1.0, inf\) or a "
     r"str among \{'auto'\}. Got 0"),
    (WeightPruning(1.5),
     r"'sparsity' parameter of WeightPruning must be a float in the range "
     r"\[0.0, 1.0\) or a str among \{'auto'\}. Got 1.5"),
    (WeightPruning("most"), "Got 'most'"),
    (WeightPruning(0.5, growth=0.5),
     r"'growth' parameter .* float in the range \[1.0, inf\)"),
])
def test_pruning_callbacks_reject_bad_parameters(callback, match):
    # these were silently taken: an unknown importance pruned by magnitude,
    # an unknown start meant "dense", sparsity 1.5 switched every weight off
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        _fit(_net(X, y, [callback], max_epochs=1), X, y)


def test_pruning_rounds_follow_the_schedule():
    X, y = _data()
    pruning = IterativeSensorPruning(0.7, prune_epochs=[2, 4, 6],
                                     swap_fraction=0.0)
    net = _fit(_net(X, y, [AlternatingMaskTraining(1, 1), pruning],
                    max_epochs=7), X, y)
    levels = pruning_schedule(0.7, 3)
    n_active = net.history[:, "n_active_sensors"]
    expected = [N_SENSORS, check_n_kept(levels[0], N_SENSORS)] * 1
    assert n_active[:2] == expected
    assert n_active[-1] == check_n_kept(0.7, N_SENSORS) == 3
    assert net.history[:, "round"] == [0, 1, 1, 2, 2, 3, 3]
    assert net.history[1, "event_pruning"] == "prune round 1"
    assert net.module_.n_kept == 3
    # the network now computes on the 3 active sensors only
    np.testing.assert_array_equal(net.module_.sensor_index.numpy(),
                                  np.flatnonzero(pruning.active_))


class _ScoreRecorder(AlternatingMaskTraining):
    """Alternation that also records the scores the pruning will read."""

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        self.scores_.append(net.module_.gate.scores.detach().abs().numpy()
                            .copy())
        self.active_.append(net.module_.sensor_index.numpy().copy())

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.scores_, self.active_ = [], []


def test_each_round_keeps_the_highest_scores():
    X, y = _data()
    recorder = _ScoreRecorder(1, 1)  # runs before the pruning callback
    pruning = IterativeSensorPruning(0.8, prune_epochs=[4, 6, 8],
                                     swap_fraction=0.0)
    net = _fit(_net(X, y, [recorder, pruning], max_epochs=9,
                    optimizer=torch.optim.AdamW,
                    optimizer__param_groups=[("gate.scores", {"lr": 5e-2})]),
               X, y)
    for epoch in (4, 6, 8):
        scores = recorder.scores_[epoch - 1]      # what the round reads
        before = recorder.active_[epoch - 1]      # active before the round
        after = recorder.active_[epoch]           # active in the next epoch
        order = np.argsort(-scores[before], kind="stable")
        np.testing.assert_array_equal(after,
                                      np.sort(before[order[:len(after)]]))
        assert len(after) < len(before)
    assert len(recorder.active_[-1]) == check_n_kept(0.8, N_SENSORS) == 2
    assert net.history[-1, "sparsity"] == pytest.approx(0.8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pruning_keeps_the_informative_sensors(seed):
    # every target is driven by sensors 0 and 1 only: iterative pruning of
    # the learned scores (mask steps with their own step size) keeps them
    X, y = _data(seed, n_samples=256)
    pruning = IterativeSensorPruning(0.8, prune_epochs=[4, 8, 12],
                                     swap_fraction=0.0)
    _fit(_net(X, y, [AlternatingMaskTraining(1, 1), pruning], max_epochs=13,
              optimizer=torch.optim.AdamW,
              optimizer__param_groups=[("gate.scores", {"lr": 5e-2})]), X, y)
    assert set(np.flatnonzero(pruning.active_)) == {0, 1}


def test_swaps_keep_the_count_and_spare_required_sensors():
    X, y = _data()
    required = np.zeros(N_SENSORS, bool)
    required[9] = True
    pruning = IterativeSensorPruning(0.5, prune_epochs=[1, 5],
                                     swap_fraction=0.5, required=required)
    net = _fit(_net(X, y, [pruning], max_epochs=6), X, y)
    events = net.history[:, "event_pruning"]
    assert events[2].startswith("swap ")
    assert int(events[2].split()[1]) > 0
    n_active = net.history[:, "n_active_sensors"]
    assert n_active[1] == n_active[2]  # a swap changes members, not count
    assert pruning.active_[9]
    assert n_active[-1] == 5


def test_absence_cost_and_its_standard_error_from_the_training_steps():
    rng = np.random.default_rng(0)
    callback = IterativeSensorPruning(0.5, [1], importance="absence")
    callback._reset_absence(5)
    index = torch.tensor([0, 2, 3])  # sensors 1 and 4 are off
    batches = []
    for _ in range(3):
        presence = torch.tensor(rng.random((40, 3)) > 0.5, dtype=torch.float)
        errors = torch.tensor(rng.gamma(2.0, size=(40, 5, 4)),
                              dtype=torch.float)
        observed = torch.tensor(rng.random((40, 5, 4)) > 0.2)
        errors = errors * observed
        net = SimpleNamespace(module_=SimpleNamespace(
            last_presence_=presence, sensor_index=index))
        callback.on_batch_end(net, training=True, sample_errors=errors,
                              sample_observed=observed)
        batches.append((presence.numpy(), errors[:, index].numpy(),
                        observed[:, index].numpy()))
    presence = np.concatenate([b[0] for b in batches]).astype(bool)
    errors = np.concatenate([b[1] for b in batches]).sum(2)
    count = np.concatenate([b[2] for b in batches]).sum(2)
    cost = callback._absence_cost()
    noise = callback.importance_errors_
    for column, sensor in enumerate(index.tolist()):
        hidden, shown = ~presence[:, column], presence[:, column]
        expected = (errors[hidden, column].sum() / count[hidden, column].sum()
                    - errors[shown, column].sum() / count[shown, column].sum())
        np.testing.assert_allclose(cost[sensor], expected, rtol=1e-5)
        means = errors[:, column] / np.maximum(count[:, column], 1)
        valid = count[:, column] > 0
        se = np.sqrt(means[hidden & valid].var(ddof=1) / (hidden & valid).sum()
                     + means[shown & valid].var(ddof=1) / (shown & valid).sum())
        np.testing.assert_allclose(noise[sensor], se, rtol=1e-4)
    assert np.isinf(cost[[1, 4]]).all()  # never measured
    assert callback.absence_sums_.sum() == 0  # a new accumulation starts


def test_validation_loss_is_the_mae_in_the_targets_units():
    # PALS compares the validation error a grid search would read: the MAE
    # of the forecasts mapped back to the target's units, over the observed
    # truths; sensors of larger spread weigh more than in the z-scored loss
    from skorch.dataset import Dataset

    from sklearn_dynst.callbacks._common import validation_loss
    from sklearn_dynst.metrics import masked_mae

    X, y = _data()
    y = y * np.linspace(1.0, 50.0, N_SENSORS)[None, :, None, None] + 3.0
    y[::5, 2, 0, 0] = np.nan
    net = _fit(_net(X, y, []), X, np.nan_to_num(y))
    valid = Dataset({"x": X, "sample_index": np.arange(len(X))}, y)
    forecast = net.module_.inverse_transform(
        net.forward({"x": X})).detach().numpy()
    expected = masked_mae(y.reshape(len(y), -1),
                          forecast.reshape(len(y), -1))
    assert validation_loss(net, valid) == pytest.approx(expected, rel=1e-5)
    # not the z-scored loss the net trains on (targets of spread 1 to 50)
    z_loss = float(net.get_loss(net.forward({"x": X}), torch.as_tensor(y)))
    assert validation_loss(net, valid) > 5 * z_loss
    # without validation data: the fallback's mean
    assert validation_loss(net, None, fallback=[1.0, 3.0]) == 2.0
    # validation data without one observed truth: NaN and a warning (it
    # was 0, which PALS took for a perfect best loss)
    from sklearn_dynst.exceptions import EmptyMaskWarning

    unobserved = Dataset({"x": X, "sample_index": np.arange(len(X))},
                         np.full_like(y, np.nan))
    with pytest.warns(EmptyMaskWarning, match="no observed truth"):
        assert np.isnan(validation_loss(net, unobserved))

"""Tests of ST-Prune: the scoring and selection core and the SamplePruning callback."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetRegressor
from skorch.history import History
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sklearn_dynst import DynSTRegressor
from sklearn_dynst._net import ForecastNet, MaskedLoss
from sklearn_dynst._sample_pruning import (complexity_score, make_strata,
                                           mean_score, nonstationarity,
                                           prune_samples)
from sklearn_dynst.callbacks import (PrunedSampler, SamplePruning,
                                     SampleWeightMixin)

from conftest import make_gated_network


# ------------------------------------------------------------------ scores
def test_complexity_score_sees_one_hard_sensor_that_the_mean_hides():
    errors = torch.full((2, 50, 3), 0.1)
    errors[1, 7, :] = 3.0  # one sensor of sample 1 is badly forecast
    complexity = complexity_score(errors)
    mean = mean_score(errors)
    assert mean[1] - mean[0] == pytest.approx(2.9 / 50, rel=1e-4)
    expected = ((49 * 0.1**4 + 3.0**4) / 50) ** 0.25
    assert complexity[1].item() == pytest.approx(expected, rel=1e-4)
    assert complexity[1] - complexity[0] > 15 * (mean[1] - mean[0])
    # power 1 is the mean
    torch.testing.assert_close(complexity_score(errors, power=1), mean)


def test_complexity_score_is_per_horizon_step_and_ignores_missing_truths():
    errors = torch.tensor([[[1.0, 10.0], [3.0, float("nan")]]])  # (1, 2, 2)
    # step 0: power mean of (1, 3); step 1: of the observed 10 alone
    expected = (((1 + 3**4) / 2) ** 0.25 + 10.0) / 2
    assert complexity_score(errors).item() == pytest.approx(expected)
    assert torch.isnan(complexity_score(torch.full((1, 3), torch.nan)))
    # zeros with an observed mask give the same as NaN for missing truths
    observed = ~torch.isnan(errors)
    for power in (4, 2.5):
        torch.testing.assert_close(
            complexity_score(torch.nan_to_num(errors), power, observed),
            complexity_score(errors, power))
    with pytest.raises(ValueError, match="power"):
        complexity_score(errors, power=0.5)


def test_nonstationarity_ranks_trends_and_jumps_above_flat_windows():
    rng = np.random.default_rng(0)
    flat = rng.normal(size=(20, 12, 3)) * 0.1
    jump = flat.copy()
    jump[:, 6:, :] += 2.0
    shift = nonstationarity(np.concatenate([flat, jump]))
    assert shift[20:].min() > 5 * shift[:20].max()
    # scale-free: multiplying a series by 1000 changes nothing
    scaled = np.concatenate([flat, jump]) * np.array([1, 1000, 1])
    np.testing.assert_allclose(nonstationarity(scaled), shift)
    # time on another axis, NaN readings, a single step
    moved = np.moveaxis(np.concatenate([flat, jump]), 1, 2)
    np.testing.assert_allclose(nonstationarity(moved, time_axis=2), shift)
    holes = np.concatenate([flat, jump])
    holes[0, :, 0] = np.nan
    assert np.isfinite(nonstationarity(holes)).all()
    assert (nonstationarity(flat[:, :1]) == 0).all()


def test_make_strata_gives_equal_count_bins():
    strata = make_strata(np.arange(100.0)[::-1], 4)
    assert np.bincount(strata).tolist() == [25, 25, 25, 25]
    assert strata[0] == 3 and strata[-1] == 0
    assert (make_strata(np.ones(10), 4) == 0).all()  # ties: one bin


# --------------------------------------------------------------- selection
def _toy_problem(n_samples=400, seed=0):
    rng = np.random.default_rng(seed)
    loss = rng.gamma(1.0, size=n_samples)  # a fixed per-sample loss
    strata = rng.integers(0, 4, size=n_samples)
    return loss, strata


def test_rescaled_pruning_keeps_the_expected_loss_unbiased():
    loss, strata = _toy_problem()
    rng = np.random.default_rng(1)
    totals, plain = [], []
    for _ in range(3000):
        kept, weights = prune_samples(loss, 0.5, strata, random_state=rng)
        totals.append(np.sum(weights[kept] * loss[kept]))
        plain.append(np.sum(loss[kept]))
    # scores = losses: easy means below the mean loss
    assert np.mean(totals) == pytest.approx(loss.sum(), rel=5e-3)
    # without the weights the hard samples dominate: clearly biased
    assert np.mean(plain) < 0.9 * loss.sum()


def test_pruning_acts_on_easy_samples_stratum_by_stratum():
    loss, strata = _toy_problem()
    kept, weights = prune_samples(loss, 0.5, strata, random_state=0)
    easy = loss < loss.mean()
    assert (weights[~easy] == 1).all()  # every hard sample, weight 1
    assert len(np.unique(kept)) == len(kept) == np.count_nonzero(weights)
    for stratum in range(4):
        members = easy & (strata == stratum)
        n_pruned = np.count_nonzero(members & (weights == 0))
        assert n_pruned == round(0.5 * members.sum())
        kept_easy = members & (weights > 0)
        np.testing.assert_allclose(weights[kept_easy],
                                   members.sum() / kept_easy.sum())
    # unseen samples (infinite scores) always train
    scores = loss.copy()
    scores[:10] = np.inf
    kept, weights = prune_samples(scores, 0.9, random_state=0)
    assert set(range(10)) <= set(kept.tolist())
    # uniform pruning and "lowest share" easy sets
    kept, _ = prune_samples(loss, 0.5, easy="all", random_state=0)
    assert len(kept) == 200
    kept, weights = prune_samples(loss, 1.0, easy=0.25, rescale=False,
                                  random_state=0)
    assert len(kept) == 300 and set(np.unique(weights)) == {0.0, 1.0}
    assert loss[weights == 0].max() <= loss[weights == 1].min()


def test_pruned_sampler_yields_the_positions_it_is_given():
    sampler = PrunedSampler(5)
    assert list(sampler) == [0, 1, 2, 3, 4]
    sampler.set_indices(np.array([4, 2]))
    assert list(sampler) == [4, 2] and len(sampler) == 2


# ---------------------------------------------------------------- callback
N_SAMPLES, N_SENSORS, N_STEPS, HORIZON = 96, 6, 4, 2


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SAMPLES, N_SENSORS, N_STEPS, 1)).cumsum(2)
    y = X[:, :, -HORIZON:] + 0.1 * rng.normal(size=(N_SAMPLES, N_SENSORS,
                                                     HORIZON, 1))
    return X.astype(np.float32), y.astype(np.float32)


class _Recorder(SamplePruning):
    """Also records each training batch: positions, sample_index, weights."""

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.batches_ = []

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        super().on_batch_begin(net, batch=batch, training=training, **kwargs)
        if training:
            self.batches_.append((
                len(net.history), self._positions.copy(),
                np.asarray(batch[0]["sample_index"]),
                None if net.batch_weight_ is None
                else net.batch_weight_.numpy().copy()))


def _forecast_net(callback, max_epochs=8, **kwargs):
    X, y = _data()
    module = make_gated_network(X, y, residual=False)
    module.gate = None
    net = ForecastNet(module=module, criterion=MaskedLoss,
                      callbacks=[("prune", callback)], max_epochs=max_epochs,
                      batch_size=16, train_split=None, device="cpu",
                      verbose=0, lr=1e-2, **kwargs)
    rows = []
    module.register_forward_hook(
        lambda m, args, out: rows.append((m.training, len(out))))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net.fit({"x": X, "sample_index": np.arange(len(X))}, y)
    return net, rows


def test_skipped_samples_are_never_forwarded_and_weights_follow_batches():
    callback = _Recorder(0.5, anneal=0.25, n_strata=2, time_axis=2,
                         random_state=0)
    net, rows = _forecast_net(callback, max_epochs=8)
    used = [row["samples_used"] for row in net.history]
    # epoch 1 scores everything, epochs 7-8 anneal: full data
    assert used[0] == used[6] == used[7] == N_SAMPLES
    assert all(u < N_SAMPLES for u in used[1:6])
    assert [row["pruning_active"] for row in net.history] == \
        [False] + [True] * 5 + [False] * 2
    # the module saw exactly the samples used: skipped ones cost nothing
    assert sum(n for training, n in rows if training) == sum(used)
    # each batch's tracked positions are the samples it really holds, and
    # the net weighted them with the epoch's weights
    for epoch, positions, sample_index, weight in callback.batches_:
        np.testing.assert_array_equal(positions, sample_index)
        assert weight is not None and len(weight) == len(positions)
    weights = {epoch: w for epoch, _, _, w in callback.batches_}
    assert (weights[1] == 1).all() and (weights[8] == 1).all()
    # the training iterator is the net's own again after fit
    assert "iterator_train__sampler" not in vars(net)
    assert net.batch_weight_ is None


def test_scores_carry_over_for_samples_skipped_this_epoch():
    callback = _Recorder(0.9, anneal=0.0, time_axis=2, random_state=0)
    net, _ = _forecast_net(callback, max_epochs=3)
    seen_last = set()
    for epoch, positions, _, _ in callback.batches_:
        if epoch == 3:
            seen_last.update(positions.tolist())
    assert np.isfinite(callback.scores_).all()  # every sample scored once
    assert 0 < len(seen_last) < N_SAMPLES


@pytest.mark.parametrize("score", ["complexity", "mean", "random"])
def test_a_float_easy_share_fixes_the_sample_budget(score):
    callback = SamplePruning(0.5, score=score, easy=0.5, anneal=0.0,
                             n_strata=1, time_axis=2, random_state=0)
    net, rows = _forecast_net(callback, max_epochs=3)
    used = [row["samples_used"] for row in net.history]
    assert used == [N_SAMPLES] + [N_SAMPLES - N_SAMPLES // 4] * 2


def test_anneal_patience_returns_to_full_data_when_validation_stalls():
    callback = SamplePruning(0.5, anneal=0.0, anneal_patience=2)
    callback._start = 0
    history = History()
    for loss in [1.0, 0.5, 0.6]:
        history.new_epoch()
        history.record("valid_loss", loss)
    history.new_epoch()  # the epoch about to start
    net = type("Net", (), {"history": history})()
    assert not callback._stalled(net)
    history.record("valid_loss", 0.7)
    history.new_epoch()
    assert callback._stalled(net)
    assert not SamplePruning(anneal_patience=None)._stalled(net)


class _WeightedNet(SampleWeightMixin, NeuralNetRegressor):
    pass


def _linear_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(128, 5, 3)).astype(np.float32)  # (n, steps, feats)
    y = (X[:, -1] @ np.array([[1.0], [-2.0], [0.5]])).astype(np.float32)
    return X, y


class _LastStep(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)

    def forward(self, x):
        return self.linear(x[:, -1])


def test_sample_pruning_runs_on_a_plain_skorch_regressor():
    X, y = _linear_data()
    net = _WeightedNet(_LastStep, criterion=torch.nn.MSELoss,
                       criterion__reduction="none", max_epochs=30, lr=0.05,
                       batch_size=16, train_split=None, verbose=0,
                       callbacks=[SamplePruning(0.5, random_state=0)])
    net.fit(X, y)
    used = [row["samples_used"] for row in net.history]
    assert min(used) < len(X) and used[0] == len(X)
    assert np.mean((net.predict(X) - y) ** 2) < 0.01  # it still learns
    # rescaling needs per-sample weights; without them say so, or go
    # without rescaling
    plain = NeuralNetRegressor(
        _LastStep, max_epochs=2, train_split=None, verbose=0,
        callbacks=[SamplePruning(0.5)])
    with pytest.raises(TypeError, match="SampleWeightMixin"):
        plain.fit(X, y)
    plain.set_params(callbacks=[SamplePruning(0.5, rescale=False)])
    plain.fit(X, y)
    assert len(plain.history) == 2
    with pytest.raises(ValueError, match="reduction='none'"):
        _WeightedNet(_LastStep, max_epochs=1, train_split=None,
                     verbose=0).fit(X, y)


@pytest.mark.parametrize("params, match", [
    ({"ratio": 1.0}, "ratio"), ({"score": "loss"}, "score"),
    ({"anneal": 2.0}, "anneal"), ({"n_strata": 0}, "n_strata"),
    ({"easy": "median"}, "easy"), ({"easy": 0.0}, "easy"),
    ({"power": 0.5}, "power")])
def test_sample_pruning_rejects_bad_parameters(params, match):
    X, y = _linear_data()
    net = _WeightedNet(_LastStep, criterion=torch.nn.MSELoss,
                       criterion__reduction="none", max_epochs=1,
                       train_split=None, verbose=0,
                       callbacks=[SamplePruning(**params)])
    with pytest.raises(ValueError, match=match):
        net.fit(X, y)


def test_sample_pruning_says_what_a_batch_lacked():
    from sklearn_dynst.callbacks._sample_pruning import _batch_length

    with pytest.raises(ValueError, match="got X of type object and y of "
                                         "type NoneType"):
        _batch_length((object(), None))
    with pytest.raises(ValueError, match="got no targets"):
        SamplePruning._errors(None, (np.zeros((2, 1)), None), torch.zeros(2))
    with pytest.raises(ValueError, match="got no y_pred and targets"):
        SamplePruning._errors(None, (np.zeros((2, 1)), None), None)


# --------------------------------------------------------------- estimator
def _windows(seed=0, n=240):
    rng = np.random.default_rng(seed)
    series = rng.normal(size=(n + 10, 6)).cumsum(0)
    X = np.stack([series[i:i + 6] for i in range(n)])
    y = np.stack([series[i + 6:i + 8] for i in range(n)])
    return X, y


def test_estimator_sample_pruning_with_sensor_pruning_and_grid_search():
    X, y = _windows()
    model = DynSTRegressor(0.5, sample_pruning=0.5, n_rounds=2,
                           epochs_per_round=1, max_epochs=6,
                           random_state=0).fit(X, y)
    used = np.array([row["samples_used"] for row in model.history_])
    n_train = used.max()
    assert (used < n_train).sum() >= 4  # in the rounds and the fine-tuning
    assert model.support_.sum() == 3
    assert model.predict(X).shape == y.shape
    # a float or a configured callback, grid-searchable, clonable
    callback = SamplePruning(0.3, score="mean", anneal=0.5)
    model = clone(DynSTRegressor(sample_pruning=callback, max_epochs=4,
                                 random_state=0)).fit(X, y)
    assert model.history_[1]["pruning_active"]
    assert callback.time_axis == 1  # the user's instance is left as given
    search = GridSearchCV(
        DynSTRegressor(max_epochs=3, random_state=0),
        {"sample_pruning": [None, 0.5]}, cv=TimeSeriesSplit(2)).fit(X, y)
    assert search.best_params_["sample_pruning"] in (None, 0.5)
    with pytest.raises(ValueError, match="sample_pruning"):
        DynSTRegressor(sample_pruning=1.5).fit(X, y)

"""Tests of sklearn_dynst._dynst (DynSTRegressor) and the shared base."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    TimeSeriesSplit,
    cross_val_score,
)
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_dynst import (DynSTRegressor, SensorSelector, make_windows,
                           temporal_train_test_split)
from sklearn_dynst._layouts import infer_layout, to_tokens
from sklearn_dynst._net import MaskedLoss
from sklearn_dynst._validation import check_n_kept
from sklearn_dynst._windows import chronological_split
from sklearn_dynst.metrics import masked_mae

from conftest import make_twin_windows

TINY = {"max_epochs": 3, "batch_size": 16,
        "backbone_params": {"hidden_size": 8}, "random_state": 0}


def _series(n_timesteps=160, n_sensors=4, seed=0, noise=0.05):
    rng = np.random.default_rng(seed)
    t = np.arange(n_timesteps)[:, None]
    return np.sin(t / 8.0 + np.arange(n_sensors)) + noise * \
        rng.standard_normal((n_timesteps, n_sensors))


def _windows(n_timesteps=160, n_sensors=4, n_steps_in=6, horizon=2, **kw):
    X, y = make_windows(_series(n_timesteps, n_sensors, **kw), n_steps_in,
                        horizon)
    return np.array(X), np.array(y)


def _frame(n_timesteps=120, n_sensors=3):
    index = pd.date_range("2024-01-01", periods=n_timesteps, freq="h")
    return pd.DataFrame(_series(n_timesteps, n_sensors), index=index,
                        columns=[f"sensor_{j}" for j in range(n_sensors)])


def _grid(n_samples=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 3, 1, 4, 6))
    y = X[:, -2:] + 0.1 * rng.normal(size=(n_samples, 2, 1, 4, 6))
    return X, y


# ----------------------------------------------------------- layouts
def _layout_data(name):
    rng = np.random.default_rng(0)
    if name == "2d":
        series = _series(80, 5)
        return series[:-1], series[1:], {}
    if name == "3d":
        X, y = _windows(80, 5)
        return X, y, {}
    if name == "4d":
        series = np.stack([_series(80, 5), _series(80, 5, seed=1)], axis=-1)
        X, y = make_windows(series, 4, 2)
        return np.array(X), np.array(y), {}
    if name == "5d":
        X, y = _grid()
        return X, y, {"patch_size": 2}
    if name == "5d-cnn":
        X, y = _grid()
        return X, y, {"patch_size": 2, "backbone": "cnn"}
    if name == "graph":
        X, y = _windows(80, 5)
        adjacency = (rng.random((5, 5)) < 0.5).astype(float)
        return X, y, {"backbone": "graph", "adjacency": adjacency}
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["2d", "3d", "4d", "5d", "5d-cnn", "graph"])
def test_fit_predict_every_layout(name):
    X, y, params = _layout_data(name)
    model = DynSTRegressor(**{**TINY, "max_epochs": 2}, **params)
    assert model.fit(X, y) is model
    y_pred = model.predict(X)
    assert isinstance(y_pred, np.ndarray)
    assert y_pred.dtype == np.float64
    assert y_pred.shape == y.shape
    assert np.isfinite(y_pred).all()
    n_sensors = infer_layout(X, patch_size=params.get("patch_size")).n_sensors
    assert model.n_features_in_ == n_sensors
    assert model.support_.dtype == bool
    assert model.support_.shape == (n_sensors,) and model.support_.all()
    assert model.sparsity_ == 0.0
    assert not hasattr(model, "feature_names_in_")


def test_window_frames_keep_sensor_names():
    X_frame, y_frame = make_windows(_frame(), 6, 2, as_frame=True)
    model = DynSTRegressor(**TINY).fit(X_frame, y_frame)
    np.testing.assert_array_equal(model.feature_names_in_,
                                  ["sensor_0", "sensor_1", "sensor_2"])
    y_pred = model.predict(X_frame)
    assert isinstance(y_pred, np.ndarray) and y_pred.dtype == np.float64
    assert y_pred.shape == y_frame.shape
    # same numbers as a fit on the arrays: columns are (horizon, sensor)
    X, y = make_windows(_frame(), 6, 2)
    y_pred_arrays = DynSTRegressor(**TINY).fit(X, y).predict(X)
    np.testing.assert_allclose(y_pred, y_pred_arrays.reshape(len(X), -1))


def test_plain_frame_keeps_sensor_names():
    frame = _frame()
    model = DynSTRegressor(**TINY).fit(frame.iloc[:-1], frame.iloc[1:])
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    assert model.predict(frame.iloc[:5]).shape == (5, 3)


def test_predict_other_sensor_names_raises():
    X_frame, y_frame = make_windows(_frame(), 6, 2, as_frame=True)
    model = DynSTRegressor(**TINY).fit(X_frame, y_frame)
    renamed = X_frame.rename(columns={"sensor_2": "other"}, level="sensor")
    with pytest.raises(ValueError, match=r"feature names should match.*"
                                         r"Unexpected: \['other'\]"):
        model.predict(renamed)
    with pytest.warns(UserWarning, match="X does not have valid feature "
                                         "names"):
        model.predict(X_frame.to_numpy().reshape(len(X_frame), 6, 3))


def test_one_dimensional_y():
    X, y = _windows()
    model = DynSTRegressor(**TINY).fit(X, y[:, 0, 1])
    y_pred = model.predict(X[:7])
    assert y_pred.shape == (7,)
    assert np.isfinite(y_pred).all()


def test_predict_on_kept_sensors_equals_all_sensors(fitted_dense,
                                                    sine_windows):
    X, _ = sine_windows
    X_kept = fitted_dense.transform(X)
    assert X_kept.shape == (len(X), X.shape[1], fitted_dense.support_.sum())
    np.testing.assert_array_equal(fitted_dense.predict(X_kept),
                                  fitted_dense.predict(X))


def test_grid_predict_accepts_transform_output():
    X, y = _grid()
    model = DynSTRegressor(patch_size=2, **TINY).fit(X, y)
    np.testing.assert_allclose(model.predict(model.transform(X)),
                               model.predict(X))


def test_transform_grid_is_patchified():
    X, y = _grid()
    model = DynSTRegressor(patch_size=2, **{**TINY, "max_epochs": 1}).fit(X, y)
    assert model.transform(X).shape == (len(X), 3, 6, 4)


# ----------------------------------------------------------- reproducibility
def test_same_random_state_same_predictions():
    X, y = _windows()
    first = DynSTRegressor(**TINY).fit(X, y).predict(X)
    second = DynSTRegressor(**TINY).fit(X, y).predict(X)
    other = DynSTRegressor(**{**TINY, "random_state": 1}).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other)


def test_fit_leaves_global_torch_rng_untouched():
    X, y = _windows()
    state = torch.get_rng_state()
    DynSTRegressor(**TINY).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)


def test_clone_gives_same_predictions(fitted_dense, sine_windows):
    X, y = sine_windows
    cloned = clone(fitted_dense)
    assert not hasattr(cloned, "net_")
    assert cloned.get_params() == fitted_dense.get_params()
    np.testing.assert_array_equal(cloned.fit(X, y).predict(X),
                                  fitted_dense.predict(X))


def test_joblib_round_trip(fitted_dense, sine_windows, tmp_path):
    X, _ = sine_windows
    path = tmp_path / "model.joblib"
    joblib.dump(fitted_dense, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict(X), fitted_dense.predict(X))


def test_pickle_round_trip(fitted_dense, sine_windows):
    X, _ = sine_windows
    loaded = pickle.loads(pickle.dumps(fitted_dense))
    np.testing.assert_array_equal(loaded.predict(X), fitted_dense.predict(X))
    assert loaded.n_features_in_ == fitted_dense.n_features_in_


@pytest.mark.filterwarnings("ignore::skorch.exceptions.DeviceWarning")
def test_model_saved_on_cuda_loads_on_cpu(sine_windows, monkeypatch):
    # A net fitted on CUDA records device="cuda"; loading it where CUDA is
    # missing must map it to the CPU (skorch warns) and still predict.
    from skorch.exceptions import DeviceWarning

    X, y = sine_windows
    model = DynSTRegressor(**TINY, device="cpu").fit(X, y)
    expected = model.predict(X)
    model.net_.device = "cuda"
    blob = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning, match="cuda"):
        loaded = pickle.loads(blob)
    assert str(loaded.net_.device) == "cpu"
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_fit_on_cuda_predict_on_cpu_machine(sine_windows, tmp_path):
    import subprocess
    import sys

    X, y = sine_windows
    model = DynSTRegressor(**TINY, device="cuda").fit(X, y)
    assert next(model.net_.module_.parameters()).is_cuda
    joblib.dump(model, tmp_path / "model.joblib")
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y_cuda.npy", model.predict(X))
    script = (
        "import joblib, numpy as np, warnings; warnings.simplefilter('ignore');"
        f"m = joblib.load(r'{tmp_path / 'model.joblib'}');"
        f"X = np.load(r'{tmp_path / 'X.npy'}');"
        f"np.save(r'{tmp_path / 'y_cpu.npy'}', m.predict(X))"
    )
    subprocess.run([sys.executable, "-c", script], check=True,
                   env={**__import__("os").environ, "CUDA_VISIBLE_DEVICES": ""})
    np.testing.assert_allclose(np.load(tmp_path / "y_cpu.npy"),
                               np.load(tmp_path / "y_cuda.npy"), atol=1e-4)


def test_device_auto_resolves():
    X, y = _windows(60)
    model = DynSTRegressor(**{**TINY, "max_epochs": 1}).fit(X, y)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert model.net_.device == expected
    assert next(model.net_.module_.parameters()).device.type == expected


# ----------------------------------------------------------- scikit-learn
def test_grid_search_on_3d_windows():
    X, y = _windows(120)
    search = GridSearchCV(
        DynSTRegressor(max_epochs=2, batch_size=32,
                       backbone_params={"hidden_size": 8}, random_state=0),
        {"lr": [1e-3, 1e-2]}, cv=TimeSeriesSplit(2))
    search.fit(X, y)
    assert search.best_params_["lr"] in (1e-3, 1e-2)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.predict(X[:3]).shape == (3,) + y.shape[1:]


def test_cross_val_score():
    X, y = _windows(120)
    scores = cross_val_score(DynSTRegressor(**{**TINY, "max_epochs": 2}), X,
                             y, cv=TimeSeriesSplit(2))
    assert scores.shape == (2,)
    assert np.isfinite(scores).all()
    assert (scores <= 1.0).all()


def test_score_is_r2_over_finite_truths(fitted_dense, sine_windows):
    X, y = sine_windows
    y = y.copy()
    rng = np.random.default_rng(0)
    y[rng.random(y.shape) < 0.2] = np.nan
    y_pred = fitted_dense.predict(X).reshape(len(X), -1)
    truth = y.reshape(len(X), -1)
    r2 = []
    for column in range(truth.shape[1]):
        observed = np.isfinite(truth[:, column])
        t, p = truth[observed, column], y_pred[observed, column]
        r2.append(1 - ((t - p) ** 2).sum() / ((t - t.mean()) ** 2).sum())
    assert fitted_dense.score(X, y) == pytest.approx(np.mean(r2))


def test_score_with_sample_weight(fitted_dense, sine_windows):
    X, y = sine_windows
    weight = np.zeros(len(X))
    weight[: len(X) // 2] = 1.0
    half = len(X) // 2
    assert fitted_dense.score(X, y, sample_weight=weight) == pytest.approx(
        fitted_dense.score(X[:half], y[:half]))


# ----------------------------------------------------------- training
def test_history_per_epoch():
    X, y = _windows()
    model = DynSTRegressor(**{**TINY, "max_epochs": 4, "patience": None},
                           validation_fraction=0.2).fit(X, y)
    assert len(model.history_) == 4
    assert [row["epoch"] for row in model.history_] == [1, 2, 3, 4]
    for row in model.history_:
        assert np.isfinite(row["train_loss"]) and np.isfinite(
            row["valid_loss"])
        assert row["n_active_sensors"] == 4
        assert row["sparsity"] == 0.0
        assert "batches" not in row


def test_early_stopping_restores_best_weights():
    X, y = _windows(200, noise=0.3)
    fraction = 0.25
    model = DynSTRegressor(max_epochs=30, batch_size=16, lr=0.05, patience=1,
                           validation_fraction=fraction,
                           backbone_params={"hidden_size": 8},
                           random_state=0).fit(X, y)
    valid_losses = [row["valid_loss"] for row in model.history_]
    assert len(valid_losses) < 30                      # it stopped early
    assert np.argmin(valid_losses) < len(valid_losses) - 1
    # the restored network has the best validation loss, not the last one
    _, valid = chronological_split(len(X), fraction, gap=y.shape[1] - 1)
    module = model.net_.module_.eval()
    device = model.net_.device            # CUDA where there is a GPU
    with torch.no_grad():
        x = torch.tensor(to_tokens(X[valid], infer_layout(X)),
                         dtype=torch.float32, device=device)
        target = torch.tensor(to_tokens(y[valid], infer_layout(y)),
                              dtype=torch.float32, device=device)
        loss = MaskedLoss(model.loss)(module(x),
                                      module.scale_target(target)).item()
    assert loss == pytest.approx(min(valid_losses), rel=1e-4)
    assert loss != pytest.approx(valid_losses[-1], rel=1e-4)


def test_no_validation_trains_all_epochs(fitted_dense):
    assert len(fitted_dense.history_) == fitted_dense.max_epochs
    assert "valid_loss" not in fitted_dense.history_[0]
    assert np.isfinite(fitted_dense.history_[-1]["train_loss"])


def test_nan_readings_are_handled():
    X, y = _windows()
    rng = np.random.default_rng(1)
    X[rng.random(X.shape) < 0.2] = np.nan
    y[rng.random(y.shape) < 0.2] = np.nan
    model = DynSTRegressor(**TINY).fit(X, y)
    y_pred = model.predict(X)
    assert np.isfinite(y_pred).all()
    assert all(np.isfinite(row["train_loss"]) for row in model.history_)


def test_verbose_progress_bars(capfd):
    X, y = _windows(60)
    model = DynSTRegressor(**{**TINY, "max_epochs": 1}, verbose=2).fit(X, y)
    fit_output = capfd.readouterr()
    assert "train_loss" in fit_output.out
    model.predict(X)
    predict_output = capfd.readouterr()
    assert "predict" in predict_output.err
    assert "batch" in predict_output.err


def test_verbose_zero_is_silent(capfd):
    X, y = _windows(60)
    DynSTRegressor(**{**TINY, "max_epochs": 1}).fit(X, y).predict(X)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("loss", ["mse", "huber"])
def test_loss_parameter(loss, fitted_dense, sine_windows):
    X, y = sine_windows
    model = DynSTRegressor(loss=loss, validation_fraction=None,
                           **TINY).fit(X, y)
    assert model.net_.criterion_.loss == loss
    assert model.predict(X).shape == y.shape
    # same seed, another loss: another model
    assert not np.allclose(model.predict(X), fitted_dense.predict(X))


def test_unknown_loss():
    X, y = _windows(60)
    with pytest.raises(InvalidParameterError, match="'loss' parameter of "
                                                    "DynSTRegressor must be"):
        DynSTRegressor(loss="l3", **TINY).fit(X, y)


def _driven_windows(n_samples=400, n_sensors=10, seed=0):
    """Windows whose targets (2 sensors) depend on sensors 0 and 1 only."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 3, n_sensors))
    signal = X[:, :2, 0] + X[:, :2, 1]
    y = np.repeat(signal.sum(1)[:, None, None], 2, axis=2) \
        + 0.05 * rng.normal(size=(n_samples, 1, 2))
    return X, y


PRUNED = {"max_epochs": 30, "residual": False, "random_state": 0,
          "backbone_params": {"hidden_size": 16}, "epochs_per_round": 1}


@pytest.fixture(scope="module")
def fitted_pruned():
    X, y = _driven_windows()
    return DynSTRegressor(0.8, **PRUNED).fit(X, y), X, y


def test_pruning_keeps_the_sensors_that_drive_the_target(fitted_pruned):
    model, X, y = fitted_pruned
    np.testing.assert_array_equal(np.flatnonzero(model.support_), [0, 1])
    assert model.sparsity_ == pytest.approx(0.8)
    assert model.sensor_scores_.shape == (10,)
    assert model.sensor_scores_[:2].min() > model.sensor_scores_[2:].max()
    assert model.score(X, y) > 0.95


def test_pruned_model_computes_on_kept_sensors_only(fitted_pruned):
    model, X, _ = fitted_pruned
    assert model.net_.module_.n_kept == 2
    np.testing.assert_allclose(model.predict(X[:, :, model.support_]),
                               model.predict(X), rtol=1e-6)
    np.testing.assert_array_equal(model.transform(X), X[:, :, [0, 1]])
    with pytest.raises(ValueError, match="X has 3 features, but "
                                         "DynSTRegressor is expecting 10"):
        model.predict(X[:, :, :3])


def test_pruning_history_records_rounds(fitted_pruned):
    model, _, _ = fitted_pruned
    n_active = [row["n_active_sensors"] for row in model.history_]
    assert n_active[0] == 10 and n_active[-1] == 2
    assert all(a >= b for a, b in zip(n_active, n_active[1:]))
    rounds = [row["event_pruning"] for row in model.history_
              if str(row.get("event_pruning")).startswith("prune")]
    assert len(rounds) == 10
    assert "valid_loss" in model.history_[-1]


@pytest.mark.parametrize("coverage", [True, False])
def test_coverage_keeps_one_of_each_pair_of_twins(coverage):
    # each twin's absence costs little while the other stays; ranking by
    # that cost once per round switches whole pairs off, the covering
    # removal keeps one sensor per source
    X, y = make_twin_windows()
    model = DynSTRegressor(0.5, n_rounds=2, epochs_per_round=2,
                           max_epochs=10, batch_size=32, random_state=0,
                           backbone_params={"hidden_size": 16},
                           coverage=coverage).fit(X, y)
    kept = model.support_
    assert kept.sum() == 4
    assert (kept[:4] | kept[4:]).all() == coverage


def test_fine_tuning_runs_early_stopping_not_pruning(fitted_pruned):
    model, _, _ = fitted_pruned
    names = [name for name, _ in model.net_.callbacks_]
    assert "early_stopping" in names
    assert "alternate" not in names and "prune" not in names
    assert not model.net_.module_.gate.scores.requires_grad


@pytest.mark.parametrize("importance", ["removal", "magnitude"])
def test_both_criteria_keep_the_driving_sensors(importance):
    X, y = _driven_windows()
    model = DynSTRegressor(0.8, importance=importance, **PRUNED).fit(X, y)
    np.testing.assert_array_equal(np.flatnonzero(model.support_), [0, 1])


def test_one_shot_prunes_once():
    X, y = _driven_windows(200)
    model = DynSTRegressor(0.5, pruning="one-shot",
                           **{**PRUNED, "max_epochs": 14}).fit(X, y)
    n_active = [row["n_active_sensors"] for row in model.history_]
    assert sorted(set(n_active)) == [5, 10]
    assert model.support_.sum() == 5


def test_required_sensors_and_costs():
    X, y = _driven_windows(200)
    model = DynSTRegressor(0.8, required_sensors=[7],
                           **{**PRUNED, "n_rounds": 2,
                              "max_epochs": 8}).fit(X, y)
    assert model.support_[7] and model.support_.sum() == 2
    costs = np.ones(10)
    costs[[0, 1]] = 4.0  # sensors 0 and 1 are 8 of the total cost 16
    model = DynSTRegressor(0.5, sensor_costs=costs,
                           **{**PRUNED, "n_rounds": 2,
                              "max_epochs": 8}).fit(X, y)
    cost_share = costs[~model.support_].sum() / costs.sum()
    assert cost_share >= 0.5
    # sparsity means the share of the cost everywhere it is reported
    assert model.sparsity_ == pytest.approx(cost_share)
    pruning_rows = [row for row in model.history_ if "event_pruning" in row]
    for row in (pruning_rows[-1], model.history_[-1]):  # pruner, fine-tuning
        assert row["sparsity"] == pytest.approx(cost_share)
    selector = SensorSelector(0.5, sensor_costs=costs,
                              **{**PRUNED, "n_rounds": 2,
                                 "max_epochs": 8}).fit(X, y)
    assert selector.sparsity_ == pytest.approx(
        costs[~selector.support_].sum() / costs.sum())


@pytest.mark.parametrize("params, match", [
    ({"required_sensors": [0, 1, 2, 3, 4, 5]},
     "required sensors cost 6 of 10"),
    ({"required_sensors": [12]}, r"sensor indices in \[0, 10\)"),
    ({"required_sensors": np.ones(3, bool)}, r"mask must have shape \(10,\)"),
    ({"sensor_costs": np.ones(4)}, "sensor_costs must hold 10 positive"),
    ({"sensor_costs": np.r_[np.ones(8), 0.0, -1.0]},
     r"got \[0.0, -1.0\] at sensors \[8, 9\]"),
    ({"sparsity": "auto", "pruning": "one-shot"},
     "sparsity='auto' .* needs pruning='iterative'; got pruning='one-shot'"),
    ({"sparsity": "auto", "pruning": "dst"},
     "needs pruning='iterative'; got pruning='dst'"),
])
def test_bad_pruning_constraints(params, match):
    X, y = _driven_windows(50)
    with pytest.raises(ValueError, match=match):
        DynSTRegressor(**{"sparsity": 0.5, **PRUNED, **params}).fit(X, y)


def test_refit_dense_drops_the_earlier_fits_scores():
    X, y = _driven_windows(60)
    model = DynSTRegressor(0.5, **{**PRUNED, "max_epochs": 8}).fit(X, y)
    assert model.sensor_scores_.shape == (10,)
    model.set_params(sparsity=0.0).fit(X, y)
    assert not hasattr(model, "sensor_scores_")
    assert model.support_.all()


# ----------------------------------------------------------- bad input (SPEC)
def test_predict_wrong_number_of_sensors(fitted_dense, sine_windows):
    X, _ = sine_windows
    with pytest.raises(ValueError, match="X has 3 features, but DynSTRegressor "
                                         "is expecting 4 features"):
        fitted_dense.predict(X[:, :, :3])


def test_transform_wrong_number_of_sensors(fitted_dense, sine_windows):
    X, _ = sine_windows
    with pytest.raises(ValueError, match="X has 5 features, but DynSTRegressor "
                                         "is expecting 4 features"):
        fitted_dense.transform(np.concatenate([X, X[:, :, :1]], axis=2))


def test_predict_wrong_steps(fitted_dense, sine_windows):
    X, _ = sine_windows
    with pytest.raises(ValueError, match=r"samples of shape \(6, 4\).*as in "
                                         r"fit; got samples of shape \(5, 4\)"):
        fitted_dense.predict(X[:, 1:])


def test_predict_wrong_layout(fitted_dense, sine_windows):
    X, _ = sine_windows
    with pytest.raises(ValueError, match=r"samples of shape \(6, 4\)"):
        fitted_dense.predict(X[:, -1])


def test_predict_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="is not fitted yet"):
        DynSTRegressor().predict(np.zeros((2, 3, 4)))


def test_sparsity_leaving_no_sensor():
    with pytest.raises(ValueError, match="switches off every one of the 4 "
                                         "sensors"):
        check_n_kept(0.9, 4)
    X, y = _windows(60)
    with pytest.raises(InvalidParameterError,
                       match="'sparsity' parameter of DynSTRegressor must be "
                             r"a float in the range \[0(\.0)?, 1(\.0)?\)"):
        DynSTRegressor(1.0).fit(X, y)
    assert issubclass(InvalidParameterError, ValueError)


def test_y_with_fewer_samples():
    X, y = _windows(60)
    with pytest.raises(ValueError, match=f"X has {len(X)} samples, y has "
                                         f"{len(X) - 1}"):
        DynSTRegressor(**TINY).fit(X, y[:-1])


def test_y_none():
    X, _ = _windows(60)
    with pytest.raises(ValueError, match="requires y to be passed"):
        DynSTRegressor(**TINY).fit(X, None)


@pytest.mark.parametrize("where", ["X", "y"])
def test_all_nan_sensor(where):
    X, y = _windows(60)
    (X if where == "X" else y)[:, :, 2] = np.nan
    with pytest.raises(ValueError, match=f"{where} must have at least one "
                                         r"observed value for every sensor.*"
                                         r"sensor indices \[2\]"):
        DynSTRegressor(**TINY).fit(X, y)


@pytest.mark.parametrize("where", ["X", "y"])
def test_all_nan_sample(where):
    X, y = _windows(60)
    (X if where == "X" else y)[7] = np.nan
    with pytest.raises(ValueError, match=f"{where} must have at least one "
                                         r"observed value in every sample.*"
                                         r"positions \[7\]"):
        DynSTRegressor(**TINY).fit(X, y)


def test_all_nan_sample_at_predict(fitted_dense, sine_windows):
    X, _ = sine_windows
    X = X.copy()
    X[3] = np.nan
    with pytest.raises(ValueError, match=r"all NaN, e\.g\. at positions \[3\]"):
        fitted_dense.predict(X)


@pytest.mark.parametrize("where", ["X", "y"])
def test_infinite_values(where):
    X, y = _windows(60)
    (X if where == "X" else y)[4, 1, 0] = np.inf
    with pytest.raises(ValueError, match=f"{where} must contain finite values "
                                         r"or NaN.*index \(4, 1, 0\)"):
        DynSTRegressor(**TINY).fit(X, y)


def test_adjacency_wrong_shape():
    X, y = _windows(60)
    with pytest.raises(ValueError, match=r"adjacency must have shape "
                                         r"\(n_sensors, n_sensors\) = \(4, 4\); "
                                         r"got \(3, 3\)"):
        DynSTRegressor(adjacency=np.eye(3), **TINY).fit(X, y)


def test_adjacency_negative():
    X, y = _windows(60)
    adjacency = -np.eye(4)
    with pytest.raises(ValueError, match="non-negative edge weights"):
        DynSTRegressor(adjacency=adjacency, **TINY).fit(X, y)


def test_graph_backbone_without_adjacency():
    X, y = _windows(60)
    with pytest.raises(ValueError, match="'graph' backbone needs an adjacency"):
        DynSTRegressor(backbone="graph", **TINY).fit(X, y)


def test_grid_not_divisible_by_patch_size():
    X, y = _grid()
    with pytest.raises(ValueError, match=r"height=4, width=6\) must be "
                                         r"divisible by patch_size=4"):
        DynSTRegressor(patch_size=4, **TINY).fit(X, y)


def test_grid_without_patch_size():
    X, y = _grid()
    with pytest.raises(ValueError, match="needs patch_size"):
        DynSTRegressor(**TINY).fit(X, y)


def test_non_chronological_frame_index():
    X_frame, y_frame = make_windows(_frame(), 6, 2, as_frame=True)
    order = np.r_[0:10, 11, 10, 12:len(X_frame)]
    with pytest.raises(ValueError, match="index of X must be chronological"):
        DynSTRegressor(**TINY).fit(X_frame.iloc[order], y_frame.iloc[order])


def test_strings_are_a_type_error():
    X = np.array([[["a"] * 3] * 4] * 5)
    with pytest.raises(TypeError, match="X must hold numbers"):
        DynSTRegressor(**TINY).fit(X, np.zeros((5, 1, 3)))


@pytest.mark.parametrize("residual", [True, "interpolate", "last"])
def test_residual_true_with_other_target(residual):
    X, y = _windows(60)
    with pytest.raises(ValueError, match=f"residual={residual!r} forecasts "
                                         "the change from the last observed"):
        DynSTRegressor(residual=residual, **TINY).fit(X, y[:, :, :2])


@pytest.mark.parametrize("residual, interpolated", [
    ("auto", True), (True, True), ("interpolate", True), ("last", False)])
def test_residual_chooses_the_switched_off_sensors_base(residual,
                                                        interpolated):
    X, y = _windows(80)
    model = DynSTRegressor(0.5, residual=residual, n_rounds=2,
                           epochs_per_round=1, **TINY).fit(X, y)
    module = model.net_.module_
    assert module.residual is True
    if interpolated:
        np.testing.assert_array_equal(module.fill_index.cpu().numpy(),
                                      np.flatnonzero(~model.support_))
        assert module.fill_map.shape == (int((~model.support_).sum()),
                                         int(model.support_.sum()))
        # the trust in the estimates learns at 10 times the network's LR
        groups = dict(model.net_.get_params()["optimizer__param_groups"])
        assert groups["base_trust"]["lr"] == pytest.approx(10 * model.lr)
        assert module.base_trust.shape == (4, 2)
        assert not torch.all(module.base_trust == 1.0)  # it was trained
    else:
        assert module.fill_map is None and module.base_covariance is None
        assert module.base_trust is None
    # either way only the kept sensors are read
    kept = X[:, :, model.support_]
    np.testing.assert_allclose(model.predict(kept), model.predict(X),
                               rtol=1e-5, atol=1e-6)


def test_dense_model_holds_no_interpolation(fitted_dense):
    # nothing to interpolate: no (n_sensors x n_sensors) statistics stored
    assert fitted_dense.net_.module_.base_covariance is None


def test_residual_auto_with_other_target():
    X, y = _windows(60)
    model = DynSTRegressor(**TINY).fit(X, y[:, :, :2])
    assert model.net_.module_.residual is False
    assert model.predict(X[:4]).shape == (4, 2, 2)


# ----------------------------------------------------------- real data
def test_beats_persistence_on_metr_la():
    from sklearn_dynst.datasets import load_metr_la

    # 40 sensors, 1500 steps (5 days), 3 steps ahead: over seeds 0-5 the
    # model's MAE was 0.89 (loss="mae") and 0.92-0.95 (loss="mse") times
    # persistence's
    series = load_metr_la().data.iloc[:1500, :40].to_numpy()
    horizon = 3
    X, y = make_windows(series, 12, horizon)
    X_train, X_test, y_train, y_test = temporal_train_test_split(
        X, y, test_size=0.25, gap=horizon)
    model = DynSTRegressor(max_epochs=15, batch_size=64, lr=1e-3,
                           backbone_params={"hidden_size": 32},
                           random_state=0).fit(X_train, y_train)
    persistence = np.repeat(X_test[:, -1:], horizon, axis=1)
    mae = masked_mae(y_test, model.predict(X_test))
    mae_persistence = masked_mae(y_test, persistence)
    assert mae < 0.97 * mae_persistence


# ------------------------------------------------------- pruned, every layout
@pytest.mark.parametrize("name", ["2d", "3d", "4d", "5d", "5d-cnn", "graph"])
def test_pruned_every_layout(name):
    X, y, params = _layout_data(name)
    model = DynSTRegressor(0.4, n_rounds=2, epochs_per_round=1,
                           **{**TINY, "max_epochs": 2}, **params).fit(X, y)
    n_sensors = model.n_features_in_
    n_kept = check_n_kept(0.4, n_sensors)
    assert model.support_.sum() == n_kept
    assert model.net_.module_.n_kept == n_kept
    assert model.sensor_scores_.shape == (n_sensors,)
    X_kept = model.transform(X)
    y_pred = model.predict(X)
    assert y_pred.shape == y.shape and np.isfinite(y_pred).all()
    # the compact model reads the kept sensors only, in any layout
    np.testing.assert_allclose(model.predict(X_kept), y_pred, rtol=1e-5,
                               atol=1e-6)
    if params.get("patch_size"):
        assert model.support_grid_.shape == (2, 3)
        np.testing.assert_array_equal(model.support_grid_.ravel(),
                                      model.support_)
    else:
        assert not hasattr(model, "support_grid_")


def test_graph_backbone_sees_the_kept_subgraph_only():
    X, y, params = _layout_data("graph")
    model = DynSTRegressor(0.4, n_rounds=2, epochs_per_round=1,
                           **{**TINY, "max_epochs": 2}, **params).fit(X, y)
    # a dropped sensor's readings and edges cannot change the forecast
    dropped = np.flatnonzero(~model.support_)
    X_changed = X.copy()
    X_changed[:, :, dropped] = 1e3
    np.testing.assert_allclose(model.predict(X_changed), model.predict(X),
                               rtol=1e-6)


def test_dst_keeps_the_target_sparsity_from_the_start():
    X, y = _driven_windows(200)
    model = DynSTRegressor(0.5, pruning="dst", swap_fraction=0.2,
                           **{**PRUNED, "max_epochs": 2, "n_rounds": 4}
                           ).fit(X, y)
    n_active = [row["n_active_sensors"] for row in model.history_]
    assert set(n_active) == {5}
    swaps = [row["event_pruning"] for row in model.history_
             if str(row.get("event_pruning")).startswith("swap")]
    assert swaps  # the random start is revised
    assert model.support_.sum() == 5


def test_sensor_dropout_is_off_after_pruning():
    X, y = _driven_windows(200)
    model = DynSTRegressor(0.5, sensor_dropout=0.3,
                           **{**PRUNED, "max_epochs": 2, "n_rounds": 2}
                           ).fit(X, y)
    assert model.net_.module_.sensor_dropout == 0.0
    with pytest.raises(InvalidParameterError, match="sensor_dropout"):
        DynSTRegressor(0.5, sensor_dropout=1.0).fit(X, y)


def test_grid_search_over_sparsity_on_3d_windows():
    X, y = _windows(160, 6)
    search = GridSearchCV(
        DynSTRegressor(n_rounds=2, epochs_per_round=1, **{**TINY,
                                                          "max_epochs": 2}),
        {"sparsity": [0.0, 0.5]}, cv=TimeSeriesSplit(2)).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert best.sparsity_ == search.best_params_["sparsity"]
    assert best.predict(X[:3]).shape == (3,) + y.shape[1:]


def test_absence_importance_needs_dropout_and_the_sensors_as_targets():
    X, y = _driven_windows(120)  # 10 input sensors, 2 target sensors
    params = {**PRUNED, "max_epochs": 1, "n_rounds": 1}
    with pytest.raises(ValueError, match="importance='absence' compares"):
        DynSTRegressor(0.5, importance="absence", **params).fit(X, y)
    model = DynSTRegressor(0.5, **params).fit(X, y)
    assert model._importance() == "removal"
    X_self = X[:, :, :4]
    with pytest.raises(ValueError, match="sensor_dropout=0.0"):
        DynSTRegressor(0.5, importance="absence", sensor_dropout=0.0,
                       **params).fit(X_self, X_self[:, -1:])
    model = DynSTRegressor(0.5, **params).fit(X_self, X_self[:, -1:])
    assert model._importance() == "absence"
    assert np.isfinite(model.sensor_scores_[model.support_]).all()


@pytest.mark.parametrize("sparsity, params, expected", [
    (0.5, {}, "absence"),
    (0.9, {}, "absence"),  # the covering removal adds what others lose
    (0.8, {"coverage": False}, "absence"),
    (0.9, {"coverage": False}, "removal"),
    (0.9, {"residual": "last"}, "removal"),  # no bases: no covering
])
def test_auto_importance_by_sparsity_and_covering(sparsity, params,
                                                  expected):
    model = DynSTRegressor(sparsity, **params)
    model.input_layout_ = infer_layout(np.zeros((2, 3, 20)))
    model.target_layout_ = infer_layout(np.zeros((2, 3, 20)))
    model.n_features_in_ = 20
    assert model._importance() == expected
    model.set_params(sensor_dropout=0.0)
    assert model._importance() == "removal"

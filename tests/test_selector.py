"""Tests of sklearn_dynst._selector (SensorSelector)."""

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_dynst import DynSTRegressor, SensorSelector

FAST = {"max_epochs": 12, "epochs_per_round": 1, "n_rounds": 3,
        "random_state": 0, "backbone_params": {"hidden_size": 16}}


def _paired_snapshots(n_samples=300, seed=0):
    """Sensors 5-9 are noisy copies of sensors 0-4."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n_samples, 5))
    return np.hstack([base, base + 0.05 * rng.normal(size=base.shape)])


def test_reconstruction_from_the_kept_sensors():
    X = _paired_snapshots()
    selector = SensorSelector(0.5, **FAST).fit(X)
    assert selector.support_.sum() == 5
    assert selector.estimator_.n_features_in_ == 10
    reconstructed = selector.estimator_.predict(selector.transform(X))
    assert reconstructed.shape == X.shape
    error = np.abs(reconstructed - X).mean(axis=0)
    assert error[selector.support_].max() < 0.05  # kept: their own value


def test_reconstruction_keeps_one_sensor_of_each_pair():
    X = _paired_snapshots(600)
    selector = SensorSelector(0.5, **{**FAST, "max_epochs": 60,
                                      "n_rounds": 5, "epochs_per_round": 4,
                                      "batch_size": 16,
                                      "swap_fraction": 0.2}).fit(X)
    # the absence cost sees that a sensor whose twin is on costs little,
    # and the covering removal does not then switch its twin off too
    kept = selector.support_
    assert selector.estimator_._importance() == "absence"
    assert (kept[:5] | kept[5:]).all()
    error = np.abs(selector.estimator_.predict(X) - X).mean(axis=0)
    covered = np.tile(kept[:5] | kept[5:], 2)
    assert error[covered].max() < 0.1  # a kept twin stands in for its pair


def test_frames_names_and_pandas_output():
    X = pd.DataFrame(_paired_snapshots(120),
                     columns=[f"s{i}" for i in range(10)])
    selector = SensorSelector(0.5, **FAST).fit(X)
    names = selector.get_feature_names_out()
    assert list(names) == list(X.columns[selector.support_])
    out = selector.set_output(transform="pandas").transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(names)
    back = selector.inverse_transform(out.to_numpy())
    assert back.shape == X.shape
    assert np.all(back[:, ~selector.support_] == 0)


def test_pipeline_grid_search_over_selector_sparsity():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 3, 6))
    y = X[:, :2, :] * 0.5
    pipe = Pipeline([
        ("sensorselector", SensorSelector(**FAST)),
        ("dynstregressor", DynSTRegressor(max_epochs=3, random_state=0,
                                          residual=False)),
    ])
    search = GridSearchCV(pipe, {"sensorselector__sparsity": [0.5, 0.75]},
                          cv=TimeSeriesSplit(2)).fit(X, y)
    best = search.best_estimator_
    n_kept = best.named_steps["sensorselector"].support_.sum()
    assert n_kept in (2, 3)
    assert best.named_steps["dynstregressor"].n_features_in_ == n_kept
    assert search.predict(X[:4]).shape == (4, 2, 6)


def test_clone_and_joblib(tmp_path):
    X = _paired_snapshots(120)
    selector = SensorSelector(0.5, **FAST).fit(X)
    assert clone(selector).get_params() == selector.get_params()
    joblib.dump(selector, tmp_path / "selector.joblib")
    loaded = joblib.load(tmp_path / "selector.joblib")
    np.testing.assert_array_equal(loaded.transform(X), selector.transform(X))
    np.testing.assert_array_equal(
        SensorSelector(0.5, **FAST).fit(X).support_, selector.support_)


def test_sparsity_zero_is_refused():
    with pytest.raises(ValueError, match="'sparsity' parameter of "
                                         "SensorSelector must be a float"):
        SensorSelector(0.0).fit(_paired_snapshots(20))


@parametrize_with_checks([SensorSelector(
    0.5, max_epochs=3, epochs_per_round=1, n_rounds=1, batch_size=16,
    validation_fraction=None, random_state=0,
    backbone_params={"hidden_size": 8})])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _layout(name):
    rng = np.random.default_rng(0)
    if name == "2d":
        return rng.normal(size=(120, 6)), {}
    if name == "3d":
        return rng.normal(size=(120, 3, 6)), {}
    if name == "4d":
        return rng.normal(size=(120, 3, 6, 2)), {}
    return rng.normal(size=(60, 3, 1, 4, 6)), {"patch_size": 2}  # 6 patches


@pytest.mark.parametrize("name", ["2d", "3d", "4d", "grid"])
@pytest.mark.parametrize("with_y", [False, True])
def test_every_layout_with_and_without_y(name, with_y):
    X, params = _layout(name)
    y = X[:, -1:] if with_y and X.ndim > 2 else (X if with_y else None)
    selector = SensorSelector(0.5, **{**FAST, "max_epochs": 2,
                                      "n_rounds": 2}, **params).fit(X, y)
    kept = selector.get_support(indices=True)
    assert len(kept) == 3 and selector.support_.sum() == 3
    X_kept = selector.transform(X)
    assert X_kept.shape[0] == len(X)
    back = selector.inverse_transform(X_kept)
    assert back.shape == X.shape
    forecast = selector.estimator_.predict(X_kept)
    np.testing.assert_allclose(forecast, selector.estimator_.predict(X),
                               rtol=1e-5, atol=1e-6)
    if name == "grid":
        assert X_kept.shape == (60, 3, 3, 4)  # patchified kept patches
        assert selector.support_grid_.shape == (2, 3)
        np.testing.assert_array_equal(selector.support_grid_.ravel(),
                                      selector.support_)
    else:
        assert X_kept.shape == X.shape[:-1 if X.ndim == 2 else 2] + (3,) \
            + X.shape[3:]
        assert not hasattr(selector, "support_grid_")
    assert len(selector.history_) >= 6

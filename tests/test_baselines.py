"""Tests of sklearn_dynst.baselines."""

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_dynst import make_windows, patchify
from sklearn_dynst.baselines import (
    PersistenceRegressor,
    QRSensorSelector,
    RandomSensorSelector,
    VarianceSensorSelector,
)
from sklearn_dynst.metrics import masked_mae

SELECTORS = [RandomSensorSelector, VarianceSensorSelector, QRSensorSelector]


def _expected_failed_checks(estimator):
    if isinstance(estimator, PersistenceRegressor):
        return {"check_regressor_multioutput": (
            "y must hold the sensors of X (each sensor's last value is "
            "repeated); 5 arbitrary targets for 10 features are refused")}
    return {}


@parametrize_with_checks(
    [RandomSensorSelector(random_state=0), VarianceSensorSelector(),
     QRSensorSelector(), PersistenceRegressor()],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# ------------------------------------------------------------- selectors
LAYOUTS = [
    ((40, 8), {}),
    ((20, 3, 8), {}),
    ((20, 3, 8, 2), {}),
    ((20, 3, 2, 4, 8), {"patch_size": 2}),  # 2 x 4 = 8 patches
]


@pytest.mark.parametrize("Selector", SELECTORS)
@pytest.mark.parametrize("shape, params", LAYOUTS)
def test_selectors_on_every_layout(Selector, shape, params):
    X = _data(shape)
    selector = Selector(sparsity=0.75, **params).fit(X)
    kept = selector.get_support(indices=True)
    assert selector.n_features_in_ == 8
    assert kept.shape == (2,)
    assert selector.sparsity_ == pytest.approx(0.75)
    X_kept = selector.transform(X)
    sensors = patchify(X, 2) if len(shape) == 5 else X
    expected = sensors[:, kept] if len(shape) == 2 else sensors[:, :, kept]
    np.testing.assert_array_equal(X_kept, expected)
    back = selector.inverse_transform(X_kept)
    assert back.shape == X.shape
    dropped = np.flatnonzero(~selector.support_)
    back_sensors = patchify(back, 2) if len(shape) == 5 else back
    if len(shape) == 2:
        np.testing.assert_array_equal(back[:, dropped], 0.0)
    else:
        np.testing.assert_array_equal(back_sensors[:, :, dropped], 0.0)
        np.testing.assert_array_equal(back_sensors[:, :, kept], expected)


@pytest.mark.parametrize("Selector", SELECTORS)
def test_selectors_names_and_pandas_output(Selector):
    frame = pd.DataFrame(_data((40, 4)), columns=["n1", "n2", "n3", "n4"])
    selector = Selector(sparsity=0.5).fit(frame)
    names = selector.get_feature_names_out()
    np.testing.assert_array_equal(names, frame.columns[selector.support_])
    selector.set_output(transform="pandas")
    out = selector.transform(frame)
    assert isinstance(out, pd.DataFrame)
    pd.testing.assert_frame_equal(out, frame[list(names)])


@pytest.mark.parametrize("Selector", SELECTORS)
def test_selectors_on_window_frames(Selector):
    series = pd.DataFrame(_data((30, 4)), columns=["a", "b", "c", "d"])
    X, y = make_windows(series, 3, 2, as_frame=True)
    selector = Selector(sparsity=0.5).fit(X, y)
    names = list(selector.get_feature_names_out())
    assert len(names) == 2
    X_kept = selector.transform(X)
    assert X_kept.columns.tolist() == [(s, n) for s in range(3) for n in names]
    np.testing.assert_array_equal(X_kept.to_numpy(), X[X_kept.columns])


@pytest.mark.parametrize("Selector", SELECTORS)
def test_selectors_wrong_sensor_count_and_no_sensor_left(Selector):
    selector = Selector(sparsity=0.5).fit(_data((20, 3, 4)))
    name = Selector.__name__
    with pytest.raises(ValueError, match=f"X has 5 features, but {name} is "
                       "expecting 4 features as input"):
        selector.transform(_data((20, 3, 5)))
    with pytest.raises(ValueError, match=f"X has 5 features, but {name} is "
                       "expecting 4 features as input"):
        selector.transform(_data((20, 5)))
    with pytest.raises(ValueError, match="switches off every one of the 4"):
        Selector(sparsity=0.95).fit(_data((20, 3, 4)))


def test_random_selector_is_reproducible_and_uniform():
    X = _data((10, 6))
    first = RandomSensorSelector(sparsity=0.5, random_state=3).fit(X)
    again = RandomSensorSelector(sparsity=0.5, random_state=3).fit(X)
    np.testing.assert_array_equal(first.support_, again.support_)
    assert not hasattr(first, "sensor_scores_")
    supports = np.array([
        RandomSensorSelector(sparsity=0.5, random_state=seed).fit(X).support_
        for seed in range(200)])
    assert len({tuple(s) for s in supports}) > 10
    assert supports.sum(axis=1).tolist() == [3] * 200
    np.testing.assert_allclose(supports.mean(axis=0), 0.5, atol=0.12)


def test_variance_selector_picks_highest_variance_sensors():
    scale = np.array([1.0, 8.0, 0.5, 3.0, 0.1, 5.0])
    X = _data((400, 6)) * scale
    X[::7, 1] = np.nan  # missing readings are skipped
    selector = VarianceSensorSelector(sparsity=0.5).fit(X)
    np.testing.assert_array_equal(selector.get_support(indices=True),
                                  [1, 3, 5])
    np.testing.assert_allclose(selector.sensor_scores_, np.nanvar(X, axis=0))


def test_variance_selector_averages_channels_and_cells():
    X = _data((30, 4, 3, 2)) * np.array([1.0, 1.0, 4.0])[:, None]
    X[:, :, 0, 1] *= 3.0  # sensor 0: channel 1 varies a lot
    selector = VarianceSensorSelector(sparsity=1 / 3).fit(X)
    per_channel = X.transpose(2, 3, 0, 1).reshape(3, 2, -1).var(axis=2)
    np.testing.assert_allclose(selector.sensor_scores_,
                               per_channel.mean(axis=1))
    np.testing.assert_array_equal(selector.get_support(indices=True), [0, 2])
    grid = _data((10, 2, 1, 4, 4))
    grid[..., 2:, :2] *= 10.0  # the bottom-left patch
    grid_selector = VarianceSensorSelector(sparsity=0.75, patch_size=2)
    np.testing.assert_array_equal(grid_selector.fit(grid).support_grid_,
                                  [[False, False], [True, False]])


def test_variance_selector_scale_dependence():
    # raw variance: the same signal in larger units wins
    signal = _data((50, 1))
    X = np.hstack([signal, 100.0 * signal, _data((50, 1), seed=1)])
    selector = VarianceSensorSelector(sparsity=2 / 3).fit(X)
    np.testing.assert_array_equal(selector.get_support(indices=True), [1])


def test_qr_selector_finds_sensors_that_carry_the_information():
    rng = np.random.default_rng(0)
    X = 1e-3 * rng.normal(size=(80, 5, 12))
    X[:, :, 3] += 10.0 * rng.normal(size=(80, 5))
    X[:, :, 8] += 4.0 * rng.normal(size=(80, 5))
    X[:, :, 10] += 100.0  # a large but constant reading carries nothing
    selector = QRSensorSelector(sparsity=5 / 6).fit(X)
    np.testing.assert_array_equal(selector.ranking_, [3, 8])
    expected = np.zeros(12)
    expected[[3, 8]] = [2, 1]
    np.testing.assert_array_equal(selector.sensor_scores_, expected)


def test_qr_selector_sensors_reconstruct_a_low_rank_field():
    positions = np.linspace(0, 1, 30)
    modes = np.stack([np.sin((i + 1) * np.pi * positions) for i in range(3)])
    rng = np.random.default_rng(1)
    field = rng.normal(size=(200, 3)) @ modes
    train, test = field[:150], field[150:]
    selector = QRSensorSelector(sparsity=0.9).fit(train)  # keeps 3 sensors
    kept = selector.get_support(indices=True)
    # the kept sensors pin down the 3 modes: least squares recovers the field
    coefficients = np.linalg.lstsq(modes[:, kept].T, test[:, kept].T,
                                   rcond=None)[0]
    np.testing.assert_allclose(coefficients.T @ modes, test, atol=1e-8)
    assert np.linalg.cond(modes[:, kept]) < 5.0
    # for comparison, three neighbouring sensors at the edge are poor
    assert np.linalg.cond(modes[:, :3]) > 100.0


def test_qr_selector_on_channels_and_missing_readings():
    X = _data((40, 2, 6, 3)) * 1e-3
    X[:, :, 4, :] += 5.0 * _data((40, 2, 1), seed=2)
    X[::3, 0, 4, 0] = np.nan
    selector = QRSensorSelector(sparsity=5 / 6).fit(X)
    np.testing.assert_array_equal(selector.get_support(indices=True), [4])


def test_qr_selector_n_basis_modes():
    X = _data((4, 2, 10))  # 8 snapshots
    selector = QRSensorSelector(sparsity=0.5, n_basis_modes=3).fit(X)
    assert selector.support_.sum() == 5
    with pytest.raises(ValueError, match=r"n_basis_modes must be <= "
                       r"min\(n_snapshots, n_sensors\) = 8 .* got "
                       "n_basis_modes=9"):
        QRSensorSelector(n_basis_modes=9).fit(X)
    # by default at most one mode per snapshot
    assert QRSensorSelector(sparsity=0.1).fit(X[:3]).support_.sum() == 9


def test_qr_selector_without_pysensors(monkeypatch):
    monkeypatch.setitem(sys.modules, "pysensors", None)
    with pytest.raises(ImportError, match=r'pip install "sklearn-dynst'
                       r'\[pysensors\]"'):
        QRSensorSelector().fit(_data((20, 4)))


# ------------------------------------------------------------ persistence
def test_persistence_last_observed_value_and_training_mean():
    X = np.array([
        [[1.0, 4.0], [2.0, 5.0], [np.nan, 6.0]],
        [[np.nan, 7.0], [np.nan, np.nan], [np.nan, 8.0]],
    ])  # (2 samples, 3 steps, 2 sensors)
    y = np.zeros((2, 2, 2))
    model = PersistenceRegressor().fit(X, y)
    np.testing.assert_allclose(model.sensor_means_, [[1.5], [6.0]])
    expected = np.array([[[2.0, 6.0], [2.0, 6.0]], [[1.5, 8.0], [1.5, 8.0]]])
    np.testing.assert_array_equal(model.predict(X), expected)


def test_persistence_channels_grid_and_other_window_lengths():
    X = _data((5, 4, 3, 2))
    X[0, 3, 1, 0] = np.nan
    model = PersistenceRegressor().fit(X, _data((5, 2, 3, 2)))
    y_pred = model.predict(X)
    assert y_pred.shape == (5, 2, 3, 2)
    np.testing.assert_array_equal(y_pred[:, 1], y_pred[:, 0])
    np.testing.assert_array_equal(y_pred[1:, 0], X[1:, -1])
    assert y_pred[0, 0, 1, 0] == X[0, 2, 1, 0]
    # windows of another length work: only the last observed value matters
    np.testing.assert_array_equal(model.predict(X[:, 2:])[1:, 0], X[1:, -1])
    grid = _data((3, 4, 2, 3, 5))
    grid_pred = PersistenceRegressor().fit(grid, grid[:, :3]).predict(grid)
    assert grid_pred.shape == (3, 3, 2, 3, 5)
    np.testing.assert_array_equal(grid_pred[:, 2], grid[:, -1])


def test_persistence_snapshots_and_single_series():
    X = _data((6, 3))
    X[2, 1] = np.nan
    model = PersistenceRegressor().fit(X, _data((6, 3), seed=1))
    expected = X.copy()
    expected[2, 1] = np.nanmean(X[:, 1])
    np.testing.assert_array_equal(model.predict(X), expected)
    # one value per sample: the columns of X are the past of one series
    series = PersistenceRegressor().fit(X, np.arange(6.0))
    assert series.single_series_
    np.testing.assert_array_equal(series.predict(X),
                                  [X[0, 2], X[1, 2], X[2, 2], X[3, 2],
                                   X[4, 2], X[5, 2]])
    assert series.predict(X).shape == (6,)
    assert PersistenceRegressor().fit(X, np.ones((6, 1))).predict(X).shape \
        == (6, 1)


def test_persistence_bad_input_errors():
    X = _data((6, 3, 4))
    with pytest.raises(ValueError, match=r"X has 4 sensor\(s\) x 1 channel"
                       r"\(s\), y has 3 x 1"):
        PersistenceRegressor().fit(X, _data((6, 2, 3)))
    with pytest.raises(ValueError, match="X has 6 samples, y has 5"):
        PersistenceRegressor().fit(X, _data((5, 2, 4)))
    model = PersistenceRegressor().fit(X, _data((6, 2, 4)))
    with pytest.raises(ValueError, match="X has 3 features, but "
                       "PersistenceRegressor is expecting 4 features as input"):
        model.predict(_data((6, 3, 3)))
    with pytest.raises(ValueError, match="laid out as in fit"):
        model.predict(_data((6, 3, 4, 2)))
    empty = X.copy()
    empty[1] = np.nan
    with pytest.raises(ValueError, match=r"at positions \[1\]"):
        model.predict(empty)
    with pytest.raises(ValueError, match="requires y"):
        PersistenceRegressor().fit(X, None)


def test_persistence_window_frames_and_score():
    series = pd.DataFrame(np.cumsum(_data((40, 3)), axis=0),
                          columns=["a", "b", "c"])
    X, y = make_windows(series, 4, 2, as_frame=True)
    model = PersistenceRegressor().fit(X, y)
    y_pred = model.predict(X)
    assert y_pred.shape == y.shape
    np.testing.assert_array_equal(y_pred[:, :3], X[3].to_numpy())
    expected = r2_score(y.to_numpy(), y_pred)
    assert model.score(X, y) == pytest.approx(expected)
    y_missing = y.copy()
    y_missing.iloc[::4, 0] = np.nan
    assert np.isfinite(model.score(X, y_missing))


def test_persistence_metr_la_mae():
    from sklearn_dynst.datasets import load_metr_la

    series = load_metr_la().data.to_numpy()
    X, y = make_windows(series, 12, 12)
    split = int(0.8 * len(X))
    model = PersistenceRegressor().fit(X[:split], y[:split])
    y_pred = model.predict(X[split:])
    assert y_pred.shape == y[split:].shape
    assert masked_mae(y[split:], y_pred) == pytest.approx(4.39, abs=0.005)

"""Tests of sklearn_dynst.plotting."""

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from sklearn_dynst.plotting import plot_forecast, plot_sensor_map  # noqa: E402
from sklearn_dynst.plotting._base import import_pyplot  # noqa: E402


@pytest.fixture
def coords():
    return np.array([[34.0, -118.2], [34.1, -118.3], [34.2, -118.1],
                     [34.3, -118.0]])


def test_sensor_map_draws_kept_and_switched_off(coords):
    ax = plot_sensor_map(coords, np.arange(4.0),
                         support=[True, False, True, False], label="MAE")
    kept, off = ax.collections
    np.testing.assert_allclose(kept.get_offsets(), coords[[0, 2]][:, ::-1])
    np.testing.assert_allclose(off.get_offsets(), coords[[1, 3]][:, ::-1])
    np.testing.assert_allclose(kept.get_array(), [0.0, 2.0])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["kept (2)", "switched off (2)"]


def test_sensor_map_accepts_dataframe(coords):
    import pandas as pd

    frame = pd.DataFrame(coords, columns=["latitude", "longitude"])
    ax = plot_sensor_map(frame, title="all kept")
    assert len(ax.collections) == 1
    assert ax.get_title() == "all kept"
    assert ax.get_legend() is None


def test_sensor_map_support_shape_error(coords):
    with pytest.raises(ValueError, match=r"support must have shape \(4,\)"):
        plot_sensor_map(coords, support=[True, False])


def test_forecast_plots_requested_sensor_and_step():
    y = np.random.default_rng(0).normal(size=(10, 3, 2))
    ax = plot_forecast(y, {"a": y + 1, "b": y - 1}, sensor=1, step=2,
                       index=np.arange(100, 110))
    truth, a, b = ax.lines
    np.testing.assert_allclose(truth.get_ydata(), y[:, 2, 1])
    np.testing.assert_allclose(a.get_ydata(), y[:, 2, 1] + 1)
    np.testing.assert_allclose(b.get_xdata(), np.arange(100, 110))
    assert "3 step(s) ahead" in ax.get_ylabel()


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"sklearn-dynst\[plot\]"):
        import_pyplot()

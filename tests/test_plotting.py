"""Tests of sklearn_dynst.plotting."""

import sys

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from sklearn_dynst.plotting import (  # noqa: E402
    plot_accuracy_vs_sparsity,
    plot_forecast,
    plot_grid_map,
    plot_kept_share,
    plot_history,
    plot_sensor_map,
    plot_sparsity_path,
)
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


def test_sensor_map_legend_names_both_groups(coords):
    ax = plot_sensor_map(coords, support=[True, False, True, False],
                         legend=("computed", "skipped"))
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["computed (2)", "skipped (2)"]
    import_pyplot().close("all")


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


def test_history_over_epochs_or_wall_time_skips_unlogged_epochs():
    history = [{"train_loss": 3.0, "dur": 1.5},
               {"train_loss": 2.0, "valid_loss": 2.5, "dur": 0.5},
               {"train_loss": 1.0, "valid_loss": 1.5, "dur": 1.0}]
    ax = plot_history(history, "valid_loss")
    (line,) = ax.lines
    assert line.get_xdata().tolist() == [2.0, 3.0]
    assert line.get_ydata().tolist() == [2.5, 1.5]
    ax = plot_history({"a": history, "b": history[:2]}, "train_loss",
                      x="time")
    assert ax.lines[0].get_xdata().tolist() == [1.5, 2.0, 3.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    assert ax.get_xlabel() == "training time (s)"
    with pytest.raises(ValueError, match="'sample_share'"):
        plot_history(history, "sample_share")
    with pytest.raises(ValueError, match="x must be"):
        plot_history(history, x="seconds")


def test_sparsity_path_marks_each_decision():
    history = [
        {"sparsity_updates": [
            {"step": 5, "sparsity": 0.1, "decision": "shrink", "loss": 1.0,
             "best_loss": 1.0},
            {"step": 10, "sparsity": 0.2, "decision": "shrink", "loss": 1.05,
             "best_loss": 1.0}]},
        {"sparsity_updates": [
            {"step": 15, "sparsity": 0.15, "decision": "expand", "loss": 1.2,
             "best_loss": 1.0},
            {"step": 20, "sparsity": 0.15, "decision": "stable", "loss": 1.12,
             "best_loss": 1.0}]},
        {"train_loss": 1.0}]
    ax = plot_sparsity_path(history, tolerance=1.1)
    path = ax.lines[0]
    assert path.get_xdata().tolist() == [5, 10, 15, 20]
    markers = {c.get_label(): c.get_offsets().tolist() for c in ax.collections}
    assert markers == {"shrink": [[5, 0.1], [10, 0.2]],
                       "expand": [[15, 0.15]], "stable": [[20, 0.15]]}
    loss, threshold = ax.right_ax.lines
    assert threshold.get_ydata().tolist() == pytest.approx([1.1] * 4)
    with pytest.raises(ValueError, match="no PALS updates"):
        plot_sparsity_path([{"train_loss": 1.0}])


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"sklearn-dynst\[plot\]"):
        import_pyplot()


def test_kept_share_plot_draws_windows_bins_and_correlation():
    rng = np.random.default_rng(0)
    busy = rng.uniform(0, 1, 200)
    kept = np.clip(0.3 + 0.4 * busy + rng.normal(0, 0.05, 200), 0, 1)
    ax = plot_kept_share(busy, kept, n_bins=4, title="masks")
    points, = ax.collections
    assert len(points.get_offsets()) == 200
    bins, = ax.lines
    assert len(bins.get_xdata()) == 4
    # binned means rise with the variability, and the legend says so
    assert np.all(np.diff(bins.get_ydata()) > 0)
    assert "Spearman 0.9" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="same length"):
        plot_kept_share(busy, kept[:10])
    import_pyplot().close("all")


def test_grid_map_masks_switched_off_cells_and_uses_coordinates():
    field = np.arange(20.0).reshape(4, 5)
    support = np.ones((4, 5), bool)
    support[0, :2] = False
    ax = plot_grid_map(field.ravel(), support=support.ravel(),
                       grid_shape=(4, 5), latitude=[58, 57, 56, 55],
                       longitude=[0, 1, 2, 3, 4], label="K")
    image = ax.images[0].get_array()
    # first row north: drawn at the top, so the image keeps its row order
    np.testing.assert_array_equal(image.mask, ~support)
    np.testing.assert_array_equal(image.data, field)
    assert ax.images[0].get_extent() == [-0.5, 4.5, 54.5, 58.5]
    assert "kept 18 of 20" in ax.texts[0].get_text()
    # a grid whose first row is the south is flipped to keep north up
    ax = plot_grid_map(field, support=support, latitude=[55, 56, 57, 58],
                       longitude=[0, 1, 2, 3, 4])
    np.testing.assert_array_equal(ax.images[0].get_array().mask,
                                  ~support[::-1])
    import_pyplot().close("all")


def test_grid_map_expands_a_patch_support_and_checks_shapes():
    field = np.zeros((5, 7))
    patches = np.array([[True, False, True], [False, True, True]])
    ax = plot_grid_map(field, support=patches, legend=("computed", "skipped"))
    mask = ax.images[0].get_array().mask
    assert mask.shape == (5, 7)
    assert mask[:3, 3:6].all() and not mask[:3, :3].any()
    assert mask[3:, :3].all() and not mask[3:, 6].any()
    assert ax.texts[0].get_text() == "computed 4 of 6 (grey: skipped)"
    ax = plot_grid_map(support=patches)  # the mask alone
    assert ax.images[0].get_array().mask.sum() == 2
    with pytest.raises(ValueError, match="neither the grid"):
        plot_grid_map(field, support=np.ones((2, 2), bool))
    with pytest.raises(ValueError, match="grid_shape"):
        plot_grid_map(np.zeros(35))
    with pytest.raises(ValueError, match="needs values, support or both"):
        plot_grid_map()
    with pytest.raises(ValueError, match="5 and 7 entries"):
        plot_grid_map(field, latitude=[1, 2], longitude=range(7))
    import_pyplot().close("all")


def test_accuracy_vs_sparsity_averages_seeds_and_marks_auto():
    results = pd.DataFrame({
        "method": ["dense", "dense", "dynst", "dynst", "dynst", "auto"],
        "sparsity": ["0.0", "0.0", "0.5", "0.5", "0.9", "auto"],
        "MAE": [3.0, 3.2, 3.1, 3.3, 3.6, 3.15],
        "kept": [1.0, 1.0, 0.5, 0.5, 0.1, 0.4]})
    ax = plot_accuracy_vs_sparsity(results, title="t")
    dense = [line for line in ax.get_lines() if line.get_label() == "dense"]
    assert dense[0].get_ydata()[0] == pytest.approx(3.1)
    curve = ax.containers[0].lines[0]
    np.testing.assert_allclose(curve.get_xdata(), [0.5, 0.9])
    np.testing.assert_allclose(curve.get_ydata(), [3.2, 3.6])
    star = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(np.asarray(star), [[0.6, 3.15]])
    with pytest.raises(ValueError, match="kept"):
        plot_accuracy_vs_sparsity(results.drop(columns="kept"))
    with pytest.raises(ValueError, match="RMSE"):
        plot_accuracy_vs_sparsity(results, metric="RMSE")
    import_pyplot().close("all")

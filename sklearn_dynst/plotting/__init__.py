"""Reusable plots: sensor maps, grid images, error against sparsity,
forecasts, training histories, what input-adaptive masks keep (needs the
``plot`` extra)."""

from ._accuracy import plot_accuracy_vs_sparsity
from ._forecast import plot_forecast
from ._grid import plot_grid_map
from ._history import plot_history, plot_sparsity_path
from ._maps import plot_sensor_map
from ._masks import plot_kept_share

__all__ = ["plot_sensor_map", "plot_grid_map", "plot_forecast",
           "plot_history", "plot_sparsity_path", "plot_kept_share",
           "plot_accuracy_vs_sparsity"]

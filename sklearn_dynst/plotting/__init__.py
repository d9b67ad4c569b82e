"""Reusable plots: sensor maps and forecasts (needs the ``plot`` extra)."""

from ._forecast import plot_forecast
from ._maps import plot_sensor_map

__all__ = ["plot_sensor_map", "plot_forecast"]

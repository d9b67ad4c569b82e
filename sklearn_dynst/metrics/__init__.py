"""Forecast metrics that skip missing truths (NaN, or a ``null_value``), and
a measure of how busy input windows are."""

from ._regression import masked_mae, masked_mse, masked_r2_score, masked_rmse
from ._variability import window_variability

__all__ = ["masked_mae", "masked_mse", "masked_rmse", "masked_r2_score",
           "window_variability"]

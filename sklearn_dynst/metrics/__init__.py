"""Forecast metrics that skip missing truths (NaN, or a ``null_value``)."""

from ._regression import masked_mae, masked_mse, masked_r2_score, masked_rmse

__all__ = ["masked_mae", "masked_mse", "masked_rmse", "masked_r2_score"]

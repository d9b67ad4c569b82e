"""Per-sensor standardisation, fitted on training data, applied in torch.

The statistics are fitted once with NumPy (:func:`fit_standardizer`) and held
as buffers of a :class:`Standardizer` module, so a fitted network maps raw
readings to forecasts in original units on any device.
"""

import numpy as np
import torch
from torch import nn

__all__ = ["fit_standardizer", "Standardizer"]


def fit_standardizer(tokens):
    """NaN-aware mean and standard deviation per sensor and value.

    Parameters
    ----------
    tokens : ndarray of shape (n_samples, n_sensors, n_steps, n_values)
        Training data in the token layout; NaN marks missing readings.

    Returns
    -------
    mean, scale : ndarray of shape (n_sensors, n_values)
        ``scale`` is 1 where a sensor is constant (or has a single reading),
        so it is centred but not blown up.
    """
    observed = np.isfinite(tokens)
    count = observed.sum(axis=(0, 2))
    safe = np.where(observed, tokens, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = safe.sum(axis=(0, 2)) / count
        mean = np.where(count > 0, mean, 0.0)
        centred = np.where(observed, tokens - mean[None, :, None, :], 0.0)
        var = (centred**2).sum(axis=(0, 2)) / count
    scale = np.sqrt(np.where(count > 0, var, 1.0))
    scale = np.where(scale > 1e-8 * np.maximum(np.abs(mean), 1.0), scale, 1.0)
    return mean, scale


class Standardizer(nn.Module):
    """Per-sensor affine scaling held as buffers.

    Parameters
    ----------
    mean, scale : array-like of shape (n_sensors, n_values)
        As returned by :func:`fit_standardizer`.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn_dynst._scaling import Standardizer, fit_standardizer
    >>> tokens = np.array([[[[1.0]], [[10.0]]], [[[3.0]], [[30.0]]]])
    >>> scaler = Standardizer(*fit_standardizer(tokens))
    >>> scaler.transform(torch.tensor(tokens, dtype=torch.float32))[..., 0, 0]
    tensor([[-1., -1.],
            [ 1.,  1.]])
    """

    def __init__(self, mean, scale):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale",
                             torch.as_tensor(scale, dtype=torch.float32))

    def _stats(self, sensor_index):
        mean, scale = self.mean, self.scale
        if sensor_index is not None:
            mean, scale = mean[sensor_index], scale[sensor_index]
        return mean[:, None, :], scale[:, None, :]

    def transform(self, x, sensor_index=None):
        """Standardise ``x`` of shape (batch, n_sensors, n_steps, n_values).

        ``sensor_index`` selects the statistics when ``x`` holds a subset of
        the sensors.
        """
        mean, scale = self._stats(sensor_index)
        return (x - mean) / scale

    def inverse_transform(self, z, sensor_index=None):
        """Map standardised values back to original units."""
        mean, scale = self._stats(sensor_index)
        return z * scale + mean

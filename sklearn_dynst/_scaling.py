"""Per-sensor standardisation, fitted on training data, applied in torch.

The statistics are fitted once with NumPy (:func:`fit_standardizer`) and held
as buffers of a :class:`Standardizer` module, so a fitted network maps raw
readings to forecasts in original units on any device.
"""

import numpy as np
import torch
from torch import nn

__all__ = ["fit_standardizer", "Standardizer"]


def _chunks(tokens, max_elements=2**22):
    """Consecutive sample slices of ``tokens`` of at most ``max_elements``
    values each (one sample at least)."""
    per_sample = max(1, int(np.prod(tokens.shape[1:])))
    step = max(1, max_elements // per_sample)
    for start in range(0, len(tokens), step):
        yield tokens[start:start + step]


def fit_standardizer(tokens):
    """NaN-aware mean and standard deviation per sensor and value.

    Two passes over slices of the samples with float64 sums, so the memory
    needed beyond ``tokens`` stays at a few slices (it was several copies of
    the whole array: 7 times the windows' float32 size at the peak of a
    fit) and float32 data lose no precision in the sums.

    Parameters
    ----------
    tokens : ndarray of shape (n_samples, n_sensors, n_steps, n_values)
        Training data in the token layout; NaN marks missing readings.

    Returns
    -------
    mean, scale : ndarray of shape (n_sensors, n_values)
        ``scale`` is 1 where a sensor is constant (or has a single reading),
        so it is centred but not blown up.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst._scaling import fit_standardizer
    >>> tokens = np.array([[[[1.0]], [[np.nan]]], [[[3.0]], [[5.0]]]])
    >>> mean, scale = fit_standardizer(tokens)
    >>> mean.ravel().tolist(), scale.ravel().tolist()
    ([2.0, 5.0], [1.0, 1.0])
    """
    shape = (tokens.shape[1], tokens.shape[3])
    count, total, squares = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for part in _chunks(tokens):
        observed = np.isfinite(part)
        count += observed.sum(axis=(0, 2))
        total += np.where(observed, part, 0.0).sum(axis=(0, 2),
                                                   dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, 0.0)
    for part in _chunks(tokens):
        centred = np.where(np.isfinite(part), part - mean[None, :, None, :],
                           0.0)
        squares += (centred ** 2).sum(axis=(0, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        var = squares / count
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

"""The masked training loss, in torch: the one place every method reuses."""

import torch

__all__ = ["masked_squared_error", "reduce_sample_losses"]


def masked_squared_error(y_pred, y_true):
    """Per-sample sum of squared errors over observed truths, and their count.

    Parameters
    ----------
    y_pred : Tensor of shape (batch, ...)
    y_true : Tensor of the same shape; NaN marks a missing truth.

    Returns
    -------
    total : Tensor of shape (batch,)
        Sum of squared errors over the observed entries of each sample.
    count : Tensor of shape (batch,)
        Number of observed entries of each sample.
    """
    observed = torch.isfinite(y_true)
    error = torch.where(observed, y_pred - torch.nan_to_num(y_true), 0.0)
    total = error.pow(2).flatten(1).sum(1)
    count = observed.flatten(1).sum(1).to(y_pred.dtype)
    return total, count


def reduce_sample_losses(total, count, weight=None):
    """Mean squared error over every observed entry of a batch.

    Each observed value counts once (samples with fewer observed truths weigh
    less), and ``weight`` scales each sample's contribution, e.g. the
    rescaling of kept easy samples in sample pruning.

    Parameters
    ----------
    total, count : Tensor of shape (batch,)
        As returned by :func:`masked_squared_error`.
    weight : Tensor of shape (batch,), default=None

    Returns
    -------
    loss : scalar Tensor
    """
    if weight is not None:
        total = total * weight
        count = count * weight
    return total.sum() / count.sum().clamp_min(1.0)

"""The masked training loss, in torch: the one place every method reuses."""

import torch
from torch.nn import functional

__all__ = ["LOSSES", "pointwise_error", "masked_error",
           "sum_sample_losses", "reduce_sample_losses"]

LOSSES = ("mae", "mse", "huber")


def pointwise_error(y_pred, y_true, loss="mse"):
    """Pointwise loss and the mask of observed truths.

    Parameters
    ----------
    y_pred : Tensor of shape (batch, ...)
    y_true : Tensor of the same shape; NaN marks a missing truth.
    loss : {"mae", "mse", "huber"}, default="mse"
        Absolute error, squared error, or Huber loss with ``delta=1`` (in
        the units of the tensors, standardised ones in training).

    Returns
    -------
    values : Tensor like ``y_pred``
        The loss of each entry, 0 where the truth is missing.
    observed : bool Tensor like ``y_pred``

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst.metrics._torch import pointwise_error
    >>> pointwise_error(torch.tensor([[1.0, 2.0]]),
    ...                 torch.tensor([[3.0, float("nan")]]), "mse")
    (tensor([[4., 0.]]), tensor([[ True, False]]))
    """
    observed = torch.isfinite(y_true)
    error = torch.where(observed, y_pred - torch.nan_to_num(y_true), 0.0)
    if loss == "mae":
        values = error.abs()
    elif loss == "mse":
        values = error.pow(2)
    elif loss == "huber":
        values = functional.huber_loss(error, torch.zeros_like(error),
                                       reduction="none", delta=1.0)
    else:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}.")
    return values, observed


def masked_error(y_pred, y_true, loss="mse"):
    """Per-sample sum of a pointwise loss over observed truths, and the count.

    Parameters
    ----------
    y_pred : Tensor of shape (batch, ...)
    y_true : Tensor of the same shape; NaN marks a missing truth.
    loss : {"mae", "mse", "huber"}, default="mse"
        See :func:`pointwise_error`.

    Returns
    -------
    total : Tensor of shape (batch,)
        Sum of the pointwise loss over the observed entries of each sample.
    count : Tensor of shape (batch,)
        Number of observed entries of each sample.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst.metrics._torch import masked_error
    >>> masked_error(torch.tensor([[1.0, 2.0]]),
    ...              torch.tensor([[3.0, float("nan")]]), "mae")
    (tensor([2.]), tensor([1.]))
    """
    return sum_sample_losses(*pointwise_error(y_pred, y_true, loss))


def sum_sample_losses(values, observed):
    """Per-sample sums of :func:`pointwise_error`'s values, and the counts."""
    return (values.flatten(1).sum(1),
            observed.flatten(1).sum(1).to(values.dtype))


def reduce_sample_losses(total, count, weight=None):
    """Mean loss over every observed entry of a batch.

    Each observed value counts once (samples with fewer observed truths weigh
    less), and ``weight`` scales each sample's contribution, e.g. the
    rescaling of kept easy samples in sample pruning.

    Parameters
    ----------
    total, count : Tensor of shape (batch,)
        As returned by :func:`masked_error`.
    weight : Tensor of shape (batch,), default=None

    Returns
    -------
    loss : scalar Tensor

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst.metrics._torch import reduce_sample_losses
    >>> reduce_sample_losses(torch.tensor([4.0, 2.0]), torch.tensor([2.0, 2.0]))
    tensor(1.5000)
    """
    if weight is not None:
        total = total * weight
        count = count * weight
    return total.sum() / count.sum().clamp_min(1.0)

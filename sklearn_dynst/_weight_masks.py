"""Unstructured weight sparsity as plain functions on tensors.

* :func:`prunable_weights`: the backbone's linear and convolution weights
  (and the all-sensor decoder's spatial mixing, a linear map over sensors).
* :func:`rigl_update`: drop the active weights of smallest magnitude,
  regrow the switched-off ones of largest gradient (RigL), per tensor.
* :func:`pack_masked` / :func:`unpack_masked`: a masked tensor as a bit
  mask plus its kept values, so that a saved model is smaller (a float32
  tensor at sparsity ``s`` takes ``1 - s + 1/32`` of its dense size).
"""

import numpy as np
import torch
from torch import nn

from .backbones._blocks import AllSensorDecoder

__all__ = ["prunable_weights", "rigl_update", "pack_masked", "unpack_masked"]

_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def prunable_weights(module):
    """Weights that weight sparsity may prune, by qualified name.

    The ``weight`` of every linear and convolution layer, and the
    ``mixing`` of an :class:`~sklearn_dynst.backbones._blocks.AllSensorDecoder`
    (the decoder's sensor-to-sensor linear map). Biases, embeddings, norms
    and the sensor gate stay dense.

    Parameters
    ----------
    module : nn.Module

    Returns
    -------
    weights : dict of str to Parameter

    Examples
    --------
    >>> from torch import nn
    >>> from sklearn_dynst._weight_masks import prunable_weights
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Embedding(5, 2))
    >>> list(prunable_weights(net))
    ['0.weight']
    """
    weights = {}
    for name, layer in module.named_modules():
        prefix = f"{name}." if name else ""
        if isinstance(layer, _LAYERS):
            weights[prefix + "weight"] = layer.weight
        elif isinstance(layer, AllSensorDecoder):
            weights[prefix + "mixing"] = layer.mixing
    return weights


def rigl_update(weight, mask, gradient, n_drop, n_grow):
    """New mask of one tensor: magnitude drop, gradient regrow.

    Drops the ``n_drop`` active entries of smallest ``|weight|`` and
    regrows the ``n_grow`` switched-off entries of largest ``|gradient|``
    (the dense gradient, where the loss would fall fastest); entries
    dropped now are not regrown at once. Regrown weights start at 0.

    Parameters
    ----------
    weight, gradient : Tensor
    mask : bool Tensor of the same shape
    n_drop, n_grow : int

    Returns
    -------
    mask : bool Tensor
        A new mask; ``weight`` is zeroed in place where it is False.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._weight_masks import rigl_update
    >>> w = torch.tensor([0.5, -0.1, 0.0, 0.0])
    >>> mask = torch.tensor([True, True, False, False])
    >>> rigl_update(w, mask, torch.tensor([0.0, 0.0, 0.3, 0.9]), 1, 1)
    tensor([ True, False, False,  True])
    """
    flat_mask = mask.flatten().clone()
    magnitude = weight.detach().abs().flatten()
    active = torch.nonzero(flat_mask).flatten()
    inactive = torch.nonzero(~flat_mask).flatten()
    n_drop = int(min(n_drop, max(active.numel() - 1, 0)))
    n_grow = int(min(n_grow, inactive.numel()))
    if n_drop:
        drop = active[magnitude[active].argsort()[:n_drop]]
        flat_mask[drop] = False
    if n_grow:
        score = gradient.detach().abs().flatten()[inactive]
        grow = inactive[score.argsort(descending=True)[:n_grow]]
        flat_mask[grow] = True
    new_mask = flat_mask.view_as(mask)
    with torch.no_grad():
        weight.mul_(new_mask)
    return new_mask


def pack_masked(tensor, mask):
    """A masked tensor as ``(shape, packed bit mask, kept values)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._weight_masks import pack_masked, unpack_masked
    >>> t = torch.tensor([[1.0, 0.0], [0.0, 4.0]])
    >>> packed = pack_masked(t, t != 0)
    >>> packed[2]
    array([1., 4.], dtype=float32)
    >>> unpack_masked(*packed)
    (tensor([[1., 0.],
            [0., 4.]]), tensor([[ True, False],
            [False,  True]]))
    """
    mask = mask.detach().cpu().numpy().astype(bool)
    values = tensor.detach().cpu().numpy()[mask]
    return tuple(mask.shape), np.packbits(mask.ravel()), values


def unpack_masked(shape, bits, values):
    """The tensor and mask that :func:`pack_masked` packed."""
    size = int(np.prod(shape))
    mask = np.unpackbits(bits, count=size).astype(bool).reshape(shape)
    dense = np.zeros(shape, dtype=values.dtype)
    dense[mask] = values
    return torch.from_numpy(dense), torch.from_numpy(mask)

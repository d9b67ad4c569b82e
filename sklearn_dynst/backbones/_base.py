"""Backbone registry and construction."""

import inspect

from torch import nn

from ._cnn import CNNBackbone
from ._graph import GraphBackbone
from ._gru import GRUBackbone
from ._mlp import MLPBackbone
from ._transformer import TransformerBackbone

__all__ = ["BACKBONES", "make_backbone"]

BACKBONES = {
    "mlp": MLPBackbone,
    "gru": GRUBackbone,
    "graph": GraphBackbone,
    "transformer": TransformerBackbone,
    "cnn": CNNBackbone,
}


def make_backbone(backbone, problem, params=None):
    """Instantiate a backbone for a problem.

    Parameters
    ----------
    backbone : str or type
        A name of :data:`BACKBONES` or an ``nn.Module`` subclass obeying the
        backbone contract.
    problem : dict
        Problem sizes (``n_sensors``, ``in_features``, ...); only the keys the
        class's ``__init__`` accepts are passed (all of them if it takes
        ``**kwargs``).
    params : dict, default=None
        Extra keyword arguments, e.g. ``{"hidden_size": 128}``.

    Returns
    -------
    module : nn.Module

    Examples
    --------
    >>> from sklearn_dynst.backbones import make_backbone
    >>> net = make_backbone("mlp", {"n_sensors": 4, "in_features": 6,
    ...                             "n_outputs": 4, "out_features": 2,
    ...                             "n_steps": 3})
    >>> type(net).__name__
    'MLPBackbone'
    """
    if isinstance(backbone, str):
        if backbone not in BACKBONES:
            raise ValueError(
                f"backbone must be one of {sorted(BACKBONES)} or an nn.Module "
                f"class; got {backbone!r}."
            )
        backbone = BACKBONES[backbone]
    if not (isinstance(backbone, type) and issubclass(backbone, nn.Module)):
        raise TypeError(
            "backbone must be a name or an nn.Module subclass (the class, not "
            f"an instance); got {backbone!r}."
        )
    params = dict(params or {})
    signature = inspect.signature(backbone.__init__).parameters
    takes_all = any(p.kind is p.VAR_KEYWORD for p in signature.values())
    kwargs = {k: v for k, v in problem.items() if takes_all or k in signature}
    unknown = [k for k in params if not takes_all and k not in signature]
    if unknown:
        raise ValueError(
            f"backbone_params {unknown} are not parameters of "
            f"{backbone.__name__}; it accepts {sorted(signature)[1:]}."
        )
    kwargs.update(params)
    return backbone(**kwargs)

"""Forecasting backbones obeying the backbone contract.

A backbone is an ``nn.Module`` whose ``forward(x, sensor_index)`` takes
``x`` of shape ``(batch, n_kept, in_features)`` -- one stream-morphed token per
kept sensor: its values and observed flags at every input step -- and the
original indices ``sensor_index`` of those sensors, and returns the forecast
of *all* output sensors, ``(batch, n_outputs, out_features)``. Its cost must
grow with ``n_kept``, so that a model that only sees the kept sensors is
really cheaper.

Custom backbones are classes; the estimators instantiate them with whichever
of these keyword arguments their ``__init__`` accepts: ``n_sensors``,
``in_features``, ``n_outputs``, ``out_features``, ``n_steps``,
``in_channels``, ``horizon``, ``out_channels``, ``adjacency`` (float tensor or
None), ``patch_size``, plus the estimator's ``backbone_params``.

A backbone, or any of its submodules, may define ``lr_scales(n_kept)``,
returning ``{parameter name: factor}`` for its own parameters given the
number of sensors the trained network is expected to read: the estimators
train each such parameter in its own optimizer group at ``lr * factor``
(the all-sensor decoder uses it to slow its mixing over many sensors, see
:meth:`AllSensorDecoder.lr_scales <sklearn_dynst.backbones._blocks.AllSensorDecoder.lr_scales>`).
"""

from ._base import BACKBONES, make_backbone
from ._cnn import CNNBackbone
from ._graph import GraphBackbone
from ._gru import GRUBackbone
from ._mlp import MLPBackbone
from ._transformer import TransformerBackbone

__all__ = [
    "BACKBONES",
    "make_backbone",
    "MLPBackbone",
    "GRUBackbone",
    "GraphBackbone",
    "TransformerBackbone",
    "CNNBackbone",
]

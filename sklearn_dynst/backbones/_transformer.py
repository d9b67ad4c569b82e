"""Transformer backbone: one token per kept sensor, one query per output."""

import torch
from torch import nn

from ._blocks import MLP, TokenEmbedding

__all__ = ["TransformerBackbone"]


class TransformerBackbone(nn.Module):
    """Self-attention over the kept sensors, cross-attention to every output.

    Kept sensors are tokens; ``n_layers`` pre-norm transformer layers mix
    them (``O(n_kept^2 d)``); a decoder with one learned query per output
    sensor attends to the kept tokens (``O(n_outputs n_kept d)``) and a head
    maps each query's result to that sensor's forecast. Tokens that are not
    fed (switched-off sensors, or tokens dropped by an input-adaptive mask)
    cost nothing.

    Parameters
    ----------
    n_sensors, in_features, n_outputs, out_features : int
        See :class:`MLPBackbone`.
    d_model : int, default=64
    n_heads : int, default=4
    n_layers : int, default=2
    dropout : float, default=0.1

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst.backbones import TransformerBackbone
    >>> net = TransformerBackbone(n_sensors=6, in_features=4, n_outputs=6,
    ...                           out_features=3)
    >>> net(torch.zeros(2, 3, 4), torch.tensor([0, 2, 5])).shape
    torch.Size([2, 6, 3])
    """

    def __init__(self, n_sensors, in_features, n_outputs, out_features,
                 d_model=64, n_heads=4, n_layers=2, dropout=0.1):
        super().__init__()
        self.embedding = TokenEmbedding(n_sensors, in_features, d_model, 2,
                                        dropout)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, 2 * d_model, dropout, activation="gelu",
            batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers,
                                             enable_nested_tensor=False)
        self.queries = nn.Parameter(0.02 * torch.randn(n_outputs, d_model))
        self.cross_attention = nn.MultiheadAttention(
            d_model, n_heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(d_model)
        self.head = MLP(d_model, d_model, out_features, 2, dropout)

    def forward(self, x, sensor_index):
        tokens = self.encoder(self.embedding(x, sensor_index))
        queries = self.queries.expand(x.shape[0], -1, -1)
        attended, _ = self.cross_attention(queries, tokens, tokens,
                                           need_weights=False)
        return self.head(self.norm(queries + attended))

"""Transformer backbone: one token per kept sensor, one query per output."""

import torch
from torch import nn

from ._blocks import MLP, Attention, EncoderLayer, TokenEmbedding, \
    linear_flops

__all__ = ["TransformerBackbone"]


class TransformerBackbone(nn.Module):
    """Self-attention over the kept sensors, cross-attention to every output.

    Kept sensors are tokens; ``n_layers`` pre-norm transformer layers mix
    them (``O(n_kept^2 d)``); a decoder with one learned query per output
    sensor attends to the kept tokens (``O(n_outputs n_kept d)``) and a head
    maps each query's result to that sensor's forecast. Tokens that are not
    fed (switched-off sensors, or tokens dropped by an input-adaptive mask)
    cost nothing.

    ``sensor_index`` is one index vector for the batch or, for
    input-adaptive pruning, one per sample ``(batch, n_kept)``; in training
    a ``token_mask`` ``(batch, n_tokens)`` makes each masked token absent
    from every attention (see :class:`~sklearn_dynst.backbones._blocks.
    Attention`), so a masked forward equals the forward on the kept tokens
    alone. :meth:`flops` counts the multiply-adds of one sample.

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
    >>> net.flops(3) < net.flops(6)
    True
    """

    def __init__(self, n_sensors, in_features, n_outputs, out_features,
                 d_model=64, n_heads=4, n_layers=2, dropout=0.1):
        super().__init__()
        self.embedding = TokenEmbedding(n_sensors, in_features, d_model, 2,
                                        dropout)
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, n_heads, dropout) for _ in range(n_layers))
        self.final_norm = nn.LayerNorm(d_model)
        # learned queries live in the projected space: no per-sample cost
        self.queries = nn.Parameter(0.02 * torch.randn(n_outputs, d_model))
        self.cross_attention = Attention(d_model, n_heads, dropout,
                                         project_queries=False,
                                         project_output=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = MLP(d_model, d_model, out_features, 2, dropout)

    def forward(self, x, sensor_index, token_mask=None):
        tokens = self.embedding(x, sensor_index)
        for layer in self.layers:
            tokens = layer(tokens, token_mask)
        attended = self.cross_attention(self.queries.unsqueeze(0),
                                        self.final_norm(tokens), token_mask)
        return self.head(self.norm(self.queries + attended))

    def flops(self, n_kept):
        """Multiply-add FLOPs of one sample's forward on ``n_kept`` tokens."""
        n_outputs = self.queries.shape[0]
        return (self.embedding.flops(n_kept)
                + sum(layer.flops(n_kept) for layer in self.layers)
                + self.cross_attention.flops(n_outputs, n_kept)
                + linear_flops(self.head, n_outputs))

"""Graph backbone: graph convolution over the kept sensors' subgraph."""

import torch
from torch import nn

from ._blocks import AllSensorDecoder, TokenEmbedding

__all__ = ["GraphBackbone"]


def _row_normalise(weights):
    return weights / weights.sum(-1, keepdim=True).clamp_min(1e-6)


class GraphBackbone(nn.Module):
    """Diffusion graph convolution restricted to the kept sensors.

    Tokens of the kept sensors are refined by ``n_layers`` residual graph
    convolutions ``t <- t + GELU(A_f t W_f + A_b t W_b)`` where ``A_f`` and
    ``A_b`` are the row-normalised forward and backward transitions of the
    adjacency *restricted to the kept sensors* (a switched-off sensor relays
    nothing), then decoded to every sensor. Cost: ``O(n_kept^2 d)`` per layer.

    Parameters
    ----------
    n_sensors, in_features, n_outputs, out_features : int
        See :class:`MLPBackbone`.
    adjacency : Tensor of shape (n_sensors, n_sensors)
        Non-negative edge weights (required).
    hidden_size : int, default=64
    n_layers : int, default=2
        Graph convolution layers.
    dropout : float, default=0.1

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst.backbones import GraphBackbone
    >>> adjacency = torch.tensor([[0., 1., 0.], [1., 0., 1.], [0., 1., 0.]])
    >>> net = GraphBackbone(3, 4, 3, 2, adjacency=adjacency)
    >>> net(torch.zeros(2, 2, 4), torch.tensor([0, 2])).shape
    torch.Size([2, 3, 2])
    """

    def __init__(self, n_sensors, in_features, n_outputs, out_features,
                 adjacency=None, hidden_size=64, n_layers=2, dropout=0.1):
        super().__init__()
        if adjacency is None:
            raise ValueError(
                "The 'graph' backbone needs an adjacency matrix of shape "
                f"(n_sensors, n_sensors) = ({n_sensors}, {n_sensors}); got "
                "adjacency=None. Pass adjacency=... to the estimator."
            )
        self.register_buffer(
            "adjacency", torch.as_tensor(adjacency, dtype=torch.float32))
        self.encoder = TokenEmbedding(n_sensors, in_features, hidden_size, 2,
                                      dropout)
        self.forward_weights = nn.ModuleList(
            nn.Linear(hidden_size, hidden_size) for _ in range(n_layers))
        self.backward_weights = nn.ModuleList(
            nn.Linear(hidden_size, hidden_size, bias=False)
            for _ in range(n_layers))
        self.norms = nn.ModuleList(
            nn.LayerNorm(hidden_size) for _ in range(n_layers))
        self.dropout = nn.Dropout(dropout)
        self.decoder = AllSensorDecoder(n_sensors, n_outputs, hidden_size,
                                        out_features, 2, dropout, adjacency)

    def forward(self, x, sensor_index):
        tokens = self.encoder(x, sensor_index)
        sub = self.adjacency.index_select(0, sensor_index).index_select(
            1, sensor_index)
        forward, backward = _row_normalise(sub), _row_normalise(sub.T)
        for f, b, norm in zip(self.forward_weights, self.backward_weights,
                              self.norms):
            message = f(torch.matmul(forward, tokens)) + b(
                torch.matmul(backward, tokens))
            tokens = norm(tokens + self.dropout(nn.functional.gelu(message)))
        return self.decoder(tokens, sensor_index)

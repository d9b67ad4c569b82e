"""Building blocks shared by the backbones."""

import torch
from torch import nn

__all__ = ["MLP", "TokenEmbedding", "AllSensorDecoder"]


class MLP(nn.Sequential):
    """Feed-forward stack: ``n_layers`` linear layers with GELU and dropout.

    Parameters
    ----------
    in_features, hidden_size, out_features : int
    n_layers : int, default=2
    dropout : float, default=0.0
    """

    def __init__(self, in_features, hidden_size, out_features, n_layers=2,
                 dropout=0.0):
        layers = []
        size = in_features
        for _ in range(n_layers - 1):
            layers += [nn.Linear(size, hidden_size), nn.GELU(),
                       nn.Dropout(dropout)]
            size = hidden_size
        layers.append(nn.Linear(size, out_features))
        super().__init__(*layers)


class TokenEmbedding(nn.Module):
    """Per-sensor token: a linear path plus a nonlinear path plus an identity.

    ``token_i = W x_i + MLP(x_i) + e_i`` where ``e_i`` is a learned embedding
    of sensor ``i`` (so a shared encoder still knows which sensor it reads).
    The linear path keeps the network at least as good as a linear model on
    smooth series; the cost is linear in the number of tokens.

    Parameters
    ----------
    n_sensors : int
        Number of sensors the embedding table covers.
    in_features : int
        Size of each input token.
    d_model : int
        Size of the output tokens.
    n_layers : int, default=2
        Layers of the nonlinear path.
    dropout : float, default=0.0
    """

    def __init__(self, n_sensors, in_features, d_model, n_layers=2,
                 dropout=0.0):
        super().__init__()
        self.linear = nn.Linear(in_features, d_model)
        self.mlp = MLP(in_features, d_model, d_model, n_layers, dropout)
        self.sensor_embedding = nn.Embedding(n_sensors, d_model)
        nn.init.normal_(self.sensor_embedding.weight, std=0.02)

    def forward(self, x, sensor_index):
        return (self.linear(x) + self.mlp(x)
                + self.sensor_embedding(sensor_index))


class AllSensorDecoder(nn.Module):
    """Decode the kept sensors' tokens into a forecast for *every* sensor.

    Output sensor ``j`` reads ``h_j = sum_i W[j, i] token_i + C mean_i
    token_i`` over the kept sensors ``i``: a learned spatial mixing
    (initialised to the identity when inputs and outputs are the same
    sensors, plus the normalised adjacency when one is given) and a global
    context of the whole network's state (e.g. how many sensors read
    nothing, a proxy of the time of day). Then ``y_j = V h_j + MLP(h_j +
    e_j)``. The cost is ``O(n_outputs * n_kept * d_model)``: it shrinks with
    the kept sensors.

    Parameters
    ----------
    n_sensors : int
        Number of input sensors (columns of ``W``).
    n_outputs : int
        Number of sensors to forecast.
    d_model : int
        Token size.
    out_features : int
        Forecast values per output sensor.
    n_layers : int, default=2
        Layers of the nonlinear head.
    dropout : float, default=0.0
    adjacency : Tensor of shape (n_sensors, n_sensors), default=None
        Edge weights used to initialise the mixing.
    """

    def __init__(self, n_sensors, n_outputs, d_model, out_features,
                 n_layers=2, dropout=0.0, adjacency=None):
        super().__init__()
        mixing = torch.zeros(n_outputs, n_sensors)
        if n_outputs == n_sensors:
            mixing += torch.eye(n_sensors)
            if adjacency is not None:
                adjacency = torch.as_tensor(adjacency, dtype=torch.float32)
                degree = adjacency.sum(1, keepdim=True).clamp_min(1e-6)
                mixing += 0.5 * adjacency / degree
        else:
            mixing += 1.0 / n_sensors
        self.mixing = nn.Parameter(mixing)
        self.output_embedding = nn.Parameter(
            0.02 * torch.randn(n_outputs, d_model))
        self.context = nn.Linear(d_model, d_model)
        self.linear = nn.Linear(d_model, out_features)
        self.mlp = MLP(d_model, d_model, out_features, n_layers, dropout)

    def forward(self, tokens, sensor_index):
        weights = self.mixing.index_select(1, sensor_index)
        hidden = torch.einsum("ok,bkd->bod", weights, tokens)
        hidden = hidden + self.context(tokens.mean(1)).unsqueeze(1)
        return self.linear(hidden) + self.mlp(hidden + self.output_embedding)

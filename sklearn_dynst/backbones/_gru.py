"""Recurrent backbone: a GRU shared by all sensors reads each sensor's steps."""

from torch import nn

from ._blocks import AllSensorDecoder, TokenEmbedding

__all__ = ["GRUBackbone"]


class GRUBackbone(nn.Module):
    """Shared per-sensor GRU encoder and a decoder to every sensor.

    Each kept sensor's window is read step by step by one GRU (weights shared
    across sensors); its last hidden state, added to a linear token of the
    whole window, is the sensor's token. Cost grows linearly with the kept
    sensors and the steps.

    Parameters
    ----------
    n_sensors, in_features, n_outputs, out_features : int
        See :class:`MLPBackbone`.
    n_steps : int
        Input steps per window; ``in_features`` must be a multiple of it.
    adjacency : Tensor or None, default=None
        Optional edge weights for the decoder's initial mixing.
    hidden_size : int, default=64
    n_layers : int, default=1
        Stacked GRU layers.
    dropout : float, default=0.1

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst.backbones import GRUBackbone
    >>> net = GRUBackbone(n_sensors=3, in_features=8, n_outputs=3,
    ...                   out_features=2, n_steps=4)
    >>> net(torch.zeros(5, 3, 8), torch.arange(3)).shape
    torch.Size([5, 3, 2])
    """

    def __init__(self, n_sensors, in_features, n_outputs, out_features,
                 n_steps, adjacency=None, hidden_size=64, n_layers=1,
                 dropout=0.1):
        super().__init__()
        if in_features % n_steps:
            raise ValueError(
                f"in_features={in_features} must be a multiple of "
                f"n_steps={n_steps} (n_steps * in_channels)."
            )
        self.n_steps = n_steps
        self.gru = nn.GRU(in_features // n_steps, hidden_size, n_layers,
                          batch_first=True,
                          dropout=dropout if n_layers > 1 else 0.0)
        self.tokens = TokenEmbedding(n_sensors, in_features, hidden_size, 1)
        self.decoder = AllSensorDecoder(n_sensors, n_outputs, hidden_size,
                                        out_features, 2, dropout, adjacency)

    def forward(self, x, sensor_index):
        batch, n_kept, _ = x.shape
        steps = x.reshape(batch * n_kept, self.n_steps, -1)
        _, hidden = self.gru(steps)
        tokens = hidden[-1].reshape(batch, n_kept, -1)
        tokens = tokens + self.tokens(x, sensor_index)
        return self.decoder(tokens, sensor_index)

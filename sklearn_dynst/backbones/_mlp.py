"""The default backbone: shared per-sensor MLP encoder, decoder to all sensors."""

from torch import nn

from ._blocks import AllSensorDecoder, TokenEmbedding

__all__ = ["MLPBackbone"]


class MLPBackbone(nn.Module):
    """Shared per-sensor encoder and a decoder to every sensor.

    Each kept sensor's stream-morphed window (its values and observed flags
    at every step) is encoded by the same :class:`TokenEmbedding`; an
    :class:`AllSensorDecoder` mixes the kept tokens into a forecast of every
    output sensor. Cost grows linearly with the number of kept sensors.

    Parameters
    ----------
    n_sensors : int
        Number of input sensors before any selection.
    in_features : int
        Size of a sensor token, ``n_steps * in_channels``.
    n_outputs : int
        Number of sensors forecast.
    out_features : int
        Values forecast per output sensor, ``horizon * out_channels``.
    adjacency : Tensor or None, default=None
        Optional edge weights, used to initialise the decoder's mixing.
    hidden_size : int, default=64
        Token size.
    n_layers : int, default=2
        Layers of the nonlinear paths.
    dropout : float, default=0.1

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst.backbones import MLPBackbone
    >>> net = MLPBackbone(n_sensors=5, in_features=6, n_outputs=5,
    ...                   out_features=3)
    >>> net(torch.zeros(2, 4, 6), torch.tensor([0, 1, 3, 4])).shape
    torch.Size([2, 5, 3])
    """

    def __init__(self, n_sensors, in_features, n_outputs, out_features,
                 adjacency=None, hidden_size=64, n_layers=2, dropout=0.1):
        super().__init__()
        self.encoder = TokenEmbedding(n_sensors, in_features, hidden_size,
                                      n_layers, dropout)
        self.decoder = AllSensorDecoder(n_sensors, n_outputs, hidden_size,
                                        out_features, n_layers, dropout,
                                        adjacency)

    def forward(self, x, sensor_index, token_mask=None):
        return self.decoder(self.encoder(x, sensor_index), sensor_index,
                            token_mask)

    def flops(self, n_kept):
        """Multiply-add FLOPs of one sample's forward on ``n_kept`` tokens."""
        return self.encoder.flops(n_kept) + self.decoder.flops(n_kept)

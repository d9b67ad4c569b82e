"""Convolutional backbone for grid data cut into patches."""

from torch import nn

from ._blocks import AllSensorDecoder, TokenEmbedding

__all__ = ["CNNBackbone"]


class CNNBackbone(nn.Module):
    """Convolutions inside each kept grid patch, decoder to every patch.

    Each kept patch (``patch_size x patch_size`` cells, with the values and
    observed flags of every step and channel stacked as input channels) is
    encoded by a small CNN shared across patches, pooled to a token and
    added to a linear token of the patch; the tokens are decoded to every
    patch's forecast. A patch that is not fed is not convolved: the cost
    grows with the number of kept patches.

    Parameters
    ----------
    n_sensors, in_features, n_outputs, out_features : int
        See :class:`MLPBackbone` (sensors are patches here).
    n_steps : int
        Input steps per window.
    patch_size : int or None, default=None
        Patch edge (None: 1, a sensor is one cell); ``in_features`` must be
        ``n_steps * k * patch_size**2``.
    adjacency : Tensor or None, default=None
        Optional edge weights between patches, used to initialise the
        decoder's mixing (as in :class:`MLPBackbone`).
    hidden_size : int, default=64
        Convolution channels and token size.
    dropout : float, default=0.1

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst.backbones import CNNBackbone
    >>> net = CNNBackbone(n_sensors=4, in_features=3 * 2 * 9, n_outputs=4,
    ...                   out_features=2 * 9, n_steps=3, patch_size=3)
    >>> net(torch.zeros(2, 2, 54), torch.tensor([1, 3])).shape
    torch.Size([2, 4, 18])
    """

    def __init__(self, n_sensors, in_features, n_outputs, out_features,
                 n_steps, patch_size=None, adjacency=None, hidden_size=64,
                 dropout=0.1):
        super().__init__()
        patch_size = 1 if patch_size is None else patch_size
        cells = patch_size * patch_size
        if in_features % (n_steps * cells):
            raise ValueError(
                f"in_features={in_features} must be a multiple of n_steps * "
                f"patch_size**2 = {n_steps * cells} for the 'cnn' backbone."
            )
        self.patch_size = patch_size
        self.conv = nn.Sequential(
            nn.Conv2d(in_features // cells, hidden_size, 3, padding=1),
            nn.GELU(),
            nn.Conv2d(hidden_size, hidden_size, 3, padding=1),
            nn.GELU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.tokens = TokenEmbedding(n_sensors, in_features, hidden_size, 1)
        self.decoder = AllSensorDecoder(n_sensors, n_outputs, hidden_size,
                                        out_features, 2, dropout, adjacency)

    def forward(self, x, sensor_index, token_mask=None):
        batch, n_kept, n_features = x.shape
        p = self.patch_size
        # token features are ordered (step, [values, flags], channel, row, col)
        images = x.reshape(batch * n_kept, n_features // (p * p), p, p)
        conv = self.conv(images).reshape(batch, n_kept, -1)
        return self.decoder(conv + self.tokens(x, sensor_index), sensor_index,
                            token_mask)

    def flops(self, n_kept):
        """Multiply-add FLOPs of one sample's forward on ``n_kept`` patches
        (every filter runs on every cell of a kept patch, none on a dropped
        one)."""
        cells = self.patch_size ** 2
        convolutions = sum(
            2 * cells * m.out_channels * m.in_channels * m.kernel_size[0]
            * m.kernel_size[1] // m.groups
            for m in self.conv if isinstance(m, nn.Conv2d))
        return (n_kept * convolutions + self.tokens.flops(n_kept)
                + self.decoder.flops(n_kept))

"""DynST's learnable sensor mask and the gradients that guide its updates.

A :class:`SensorGate` holds one learnable score per sensor (DynST's ``M_g``)
that scales the stream-morphed token of that sensor, so one score holds for
every step and channel. Which sensors are *active* is not a zero in the gate:
it is the :class:`~sklearn_dynst._network.ForecastNetwork`'s ``sensor_index``,
so switched-off sensors are never computed on, in training or deployed.

:func:`mask_gradients` measures, for every sensor (switched-off ones
included), the gradient of the loss with respect to its effective mask value
(its score if active, 0 if not): the signal DynST uses to drop and regrow
sensors between pruning rounds.
"""

import torch
from torch import nn

__all__ = ["SensorGate", "mask_gradients"]


class SensorGate(nn.Module):
    """A learnable score per sensor that scales its token.

    Parameters
    ----------
    n_sensors : int
    init : float, default=1.0
        Initial score of every sensor (1 leaves the tokens unchanged).
    l1 : float, default=0.0
        Strength of the L1 penalty on the active sensors' scores (see
        :meth:`penalty`). Without such pressure the scores of useless
        sensors need not shrink, and pruning the smallest ones would be
        arbitrary; with it, a score stays large only where the sensor's data
        lowers the loss (as scaling factors do in network slimming).

    Attributes
    ----------
    scores : Parameter of shape (n_sensors,)

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._masks import SensorGate
    >>> gate = SensorGate(4)
    >>> gate(torch.ones(2, 2, 3), torch.tensor([1, 3])).shape
    torch.Size([2, 2, 3])
    """

    def __init__(self, n_sensors, init=1.0, l1=0.0):
        super().__init__()
        self.scores = nn.Parameter(torch.full((n_sensors,), float(init)))
        self.l1 = l1

    def penalty(self, sensor_index):
        """``l1`` times the mean absolute score of the sensors ``sensor_index``."""
        return self.l1 * self.scores.index_select(0, sensor_index).abs().mean()

    def forward(self, tokens, sensor_index):
        """Scale ``tokens`` (batch, n_kept, n_features) by their sensors' scores."""
        return tokens * self.scores.index_select(0, sensor_index)[None, :,
                                                                   None]


def mask_gradients(network, batches, loss_fn):
    """Gradient of the loss with respect to every sensor's presence.

    The presence is 1 for active sensors and 0 for switched-off ones; it
    scales a sensor's token and its residual (last observed value). All
    sensors are fed for this pass, the only place where switched-off
    sensors are read (their identity still reaches the backbone, their data
    does not). First order, ``-gradient`` estimates the loss increase of
    removing an active sensor, and ``gradient`` the loss change of bringing
    back a switched-off one (negative: it would help). The gradients of all
    ``batches`` are summed; the network's parameters are left untouched (no
    gradient is accumulated in them).

    Parameters
    ----------
    network : ForecastNetwork
        Its ``sensor_index`` marks the active sensors.
    batches : iterable of (x, y)
        ``x`` holding all sensors, ``y`` in the network's target units
        (standardised); e.g. a few training batches.
    loss_fn : callable
        ``loss_fn(y_pred, y) -> scalar Tensor``.

    Returns
    -------
    gradients : Tensor of shape (n_sensors,)
        Sum over batches of the gradient.
    fisher : Tensor of shape (n_sensors,)
        Sum over batches of the squared gradient (an empirical Fisher
        estimate of the loss curvature in each presence). At a trained
        optimum the plain gradient of an active sensor is close to zero
        whatever its value, while its Fisher term still measures how much
        the loss depends on it. Both come from the same pass.
    """
    presence = torch.zeros(network.n_sensors,
                           device=network.sensor_index.device)
    presence[network.sensor_index] = 1.0
    weights = presence.requires_grad_()
    total = torch.zeros_like(weights)
    fisher = torch.zeros_like(weights)
    for x, y in batches:
        loss = loss_fn(network(x, sensor_weights=weights), y)
        (gradient,) = torch.autograd.grad(loss, weights)
        total += gradient
        fisher += gradient.pow(2)
    return total.detach(), fisher.detach()

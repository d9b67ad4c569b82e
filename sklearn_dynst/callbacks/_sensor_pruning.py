"""skorch callbacks that run DynST's training policy on a ForecastNet.

* :class:`AlternatingMaskTraining` (Eq. 3): ``n_network_steps`` optimiser
  steps on the network with the sensor scores fixed, then
  ``n_mask_steps`` steps on the scores with the network fixed. A frozen
  parameter has no gradient, so the optimiser skips it entirely (no update,
  no weight decay, no momentum).
* :class:`IterativeSensorPruning` (Eq. 4-7): at the end of given epochs,
  switch off the lowest-scoring active sensors up to the round's sparsity;
  half-way between rounds, swap a few active sensors with small mask
  gradients for switched-off ones with large gradients. Switched-off
  sensors leave the network's active set, so they cost nothing afterwards.

Both record their decisions in ``net.history``.
"""

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.dataset import unpack_data
from skorch.utils import to_tensor

from .._masks import mask_gradients
from .._pruning import prune_lowest, pruning_schedule, swap_sensors

__all__ = ["AlternatingMaskTraining", "IterativeSensorPruning"]


class AlternatingMaskTraining(Callback):
    """Alternate optimiser steps between the network and the sensor scores.

    Parameters
    ----------
    n_network_steps : int, default=4
        Steps (batches) on the network with the scores fixed (DynST's R).
    n_mask_steps : int, default=1
        Steps on the scores with the network fixed (DynST's M).

    Examples
    --------
    ``DynSTRegressor(sparsity > 0)`` trains under this callback; the running
    count of mask steps is in its history (2 batches per epoch here, so the
    first 4 steps go to the network):

    >>> import numpy as np
    >>> from sklearn_dynst import DynSTRegressor
    >>> X = np.random.default_rng(0).normal(size=(100, 3, 6))
    >>> model = DynSTRegressor(0.5, n_rounds=2, epochs_per_round=1,
    ...                        max_epochs=3, random_state=0).fit(X, X[:, :1])
    >>> [row.get("mask_steps") for row in model.history_[:4]]
    [0, 0, 1, 1]
    """

    def __init__(self, n_network_steps=4, n_mask_steps=1):
        self.n_network_steps = n_network_steps
        self.n_mask_steps = n_mask_steps

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        if getattr(net.module_, "gate", None) is None:
            raise ValueError(
                "AlternatingMaskTraining needs a module with a SensorGate "
                "(module.gate); got none."
            )
        self.step_ = 0
        self.mask_steps_ = 0

    def _set_phase(self, net, mask_phase):
        for parameter in net.module_.parameters():
            parameter.requires_grad_(not mask_phase)
        net.module_.gate.scores.requires_grad_(mask_phase)

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        cycle = self.n_network_steps + self.n_mask_steps
        mask_phase = self.step_ % cycle >= self.n_network_steps
        self._set_phase(net, mask_phase)
        self.mask_steps_ += int(mask_phase)
        self.step_ += 1

    def on_epoch_end(self, net, **kwargs):
        net.history.record("mask_steps", self.mask_steps_)

    def on_train_end(self, net, **kwargs):
        for parameter in net.module_.parameters():
            parameter.requires_grad_(True)


class IterativeSensorPruning(Callback):
    """Prune sensors in rounds, with dynamic swaps between rounds.

    Parameters
    ----------
    sparsity : float in [0, 1)
        Final share of sensors (or of their cost) switched off.
    prune_epochs : sequence of int
        Epochs (1-based) at whose end a round prunes; the sparsity grows
        along :func:`~sklearn_dynst._pruning.pruning_schedule` and reaches
        ``sparsity`` at the last one.
    swap_fraction : float, default=0.05
        Share of the active sensors swapped half-way between two rounds
        (DynST's q, much smaller than the share a round prunes); 0 disables
        swaps.
    required : array-like of bool, default=None
        Sensors never switched off.
    costs : array-like of float, default=None
        Sensor costs; ``sparsity`` then is a share of the total cost.
    n_score_batches : int, default=8
        Training batches over which presence gradients are summed.
    importance : {"magnitude", "removal", "absence"}, default="magnitude"
        What a round prunes: the smallest gate scores (DynST's Eq. 4); the
        sensors the loss depends on least, by an empirical Fisher estimate:
        the sum over batches of the squared gradient of the loss in each
        sensor's presence (which scales its data and its own residual); or,
        for a network trained with sensor dropout whose outputs are its
        input sensors, each sensor's *absence cost*: its own forecast error
        in the training batches where the dropout hid it minus where it did
        not, accumulated since the last round (no extra pass). At a trained
        optimum the plain gradient is near zero whatever a sensor is worth;
        its Fisher term is not. With "removal" or "absence", swaps drop the
        active sensors of least Fisher value and regrow the switched-off
        ones whose return lowers the loss most (first order at presence 0).
    start : {"dense", "random"}, default="dense"
        "dense" starts with every sensor on and prunes in rounds. "random"
        is fixed-sparsity dynamic sparse training (the ablation of the
        DynST paper's Table 4): a random set at ``sparsity`` from the first
        epoch (drawn from torch's generator), and every round epoch swaps
        ``swap_fraction`` of it instead of pruning.

    Attributes
    ----------
    active_ : ndarray of bool of shape (n_sensors,)
        Sensors on now.
    scores_ : ndarray of shape (n_sensors,)
        The importance each sensor had in the last round it took part in
        (NaN before the first round).

    Examples
    --------
    ``DynSTRegressor(sparsity > 0)`` prunes with this callback; its rounds
    are in the history (a warm-up of 2 epochs, then one round per epoch):

    >>> import numpy as np
    >>> from sklearn_dynst import DynSTRegressor
    >>> X = np.random.default_rng(0).normal(size=(100, 3, 6))
    >>> model = DynSTRegressor(0.5, n_rounds=2, epochs_per_round=1,
    ...                        max_epochs=3, random_state=0).fit(X, X[:, :1])
    >>> [row.get("event_pruning") for row in model.history_[:4]]
    [None, None, 'prune round 1', 'prune round 2']
    >>> [row["n_active_sensors"] for row in model.history_[:4]]
    [6, 6, 4, 3]
    """

    def __init__(self, sparsity, prune_epochs, swap_fraction=0.05,
                 required=None, costs=None, n_score_batches=8,
                 importance="magnitude", start="dense"):
        self.sparsity = sparsity
        self.prune_epochs = prune_epochs
        self.swap_fraction = swap_fraction
        self.required = required
        self.costs = costs
        self.n_score_batches = n_score_batches
        self.importance = importance
        self.start = start

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        module = net.module_
        if getattr(module, "gate", None) is None:
            raise ValueError(
                "IterativeSensorPruning needs a module with a SensorGate "
                "(module.gate); got none."
            )
        epochs = sorted(int(e) for e in self.prune_epochs)
        self.levels_ = dict(zip(epochs, pruning_schedule(self.sparsity,
                                                         len(epochs))))
        self.swap_epochs_ = {(a + b) // 2 for a, b in zip(epochs, epochs[1:])
                             if b - a >= 2}
        self.active_ = np.zeros(module.n_sensors, dtype=bool)
        self.active_[module.sensor_index.cpu().numpy()] = True
        self.round_ = 0
        self.scores_ = np.full(module.n_sensors, np.nan)
        self._reset_absence(module.n_sensors)
        if self.importance == "absence" and (
                module.n_outputs != module.n_sensors
                or not module.sensor_dropout > 0):
            raise ValueError(
                "importance='absence' compares each sensor's own forecast "
                "error when the training's sensor dropout hid it and when it "
                "did not; it needs sensor_dropout > 0 and targets holding the "
                f"same sensors as the inputs; got sensor_dropout="
                f"{module.sensor_dropout} and {module.n_outputs} target "
                f"sensors for {module.n_sensors} input sensors."
            )
        if self.start == "random":
            draw = torch.rand(module.n_sensors).numpy()
            self.active_ = prune_lowest(draw, self.active_, self.sparsity,
                                        required=self.required,
                                        costs=self.costs)
            self.swap_epochs_ |= set(epochs)
            self.levels_ = {}
            self._apply(net)

    def _score_batches(self, net, dataset):
        iterator = net.get_iterator(dataset, training=False)
        for position, batch in enumerate(iterator):
            if position >= self.n_score_batches:
                return
            Xi, yi = unpack_data(batch)
            x = to_tensor(Xi["x"] if isinstance(Xi, dict) else Xi,
                          device=net.device)
            yield x, net.module_.scale_target(to_tensor(yi, device=net.device))

    def _presence_gradients(self, net, dataset):
        """Summed presence gradients and their Fisher sums, as NumPy."""
        net.module_.eval()
        gradients, fisher = mask_gradients(
            net.module_, self._score_batches(net, dataset), net.criterion_)
        return gradients.cpu().numpy(), fisher.cpu().numpy()

    def _reset_absence(self, n_sensors):
        self.absence_sums_ = np.zeros((4, n_sensors))

    def on_batch_end(self, net, batch=None, training=False, y_pred=None,
                     **kwargs):
        module = net.module_
        presence = getattr(module, "last_presence_", None)
        if self.importance != "absence" or not training or presence is None:
            return
        _, yi = unpack_data(batch)
        y_true = module.scale_target(to_tensor(yi, device=net.device))
        index = module.sensor_index
        # each active sensor's own forecast error, with and without it
        pred, true = y_pred.detach()[:, index], y_true[:, index]
        total, count = net.criterion_.sample_losses(
            pred.flatten(0, 1), true.flatten(0, 1))
        total = total.view(pred.shape[:2])
        count = count.view(pred.shape[:2])
        absent = 1.0 - presence
        sums = torch.stack([(total * absent).sum(0), (count * absent).sum(0),
                            (total * presence).sum(0),
                            (count * presence).sum(0)])
        self.absence_sums_[:, index.cpu().numpy()] += sums.cpu().numpy()

    def _absence_cost(self):
        """Mean own error of each sensor when absent minus when present."""
        absent_total, absent_count, total, count = self.absence_sums_
        with np.errstate(invalid="ignore", divide="ignore"):
            cost = absent_total / absent_count - total / count
        self._reset_absence(len(cost))
        return np.where(np.isfinite(cost), cost, np.inf)

    def _apply(self, net):
        net.module_.set_active(np.flatnonzero(self.active_))

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        epoch = len(net.history)
        event = None
        if epoch in self.swap_epochs_ and self.swap_fraction > 0:
            gradients, fisher = self._presence_gradients(net, dataset_train)
            n_swap = int(round(self.swap_fraction * self.active_.sum()))
            before = self.active_
            if self.start == "random":
                self.scores_[self.active_] = fisher[self.active_]
            if self.importance in ("removal", "absence"):
                # drop the active sensors the loss depends on least (Fisher),
                # regrow those whose return lowers it most (-gradient at 0)
                value = np.where(self.active_, fisher, -gradients)
                self.active_ = swap_sensors(self.active_, value, n_swap,
                                            required=self.required,
                                            signed=True)
            else:  # Eq. 5-7: gradient magnitudes
                self.active_ = swap_sensors(self.active_, gradients, n_swap,
                                            required=self.required)
            self._apply(net)
            n_swapped = int((before & ~self.active_).sum())
            event = f"swap {n_swapped}" if n_swapped else None
            if self.start == "random" and epoch in self.prune_epochs:
                self.round_ += 1
        if epoch in self.levels_:
            if self.importance == "absence":
                scores = self._absence_cost()
            elif self.importance == "removal":
                _, scores = self._presence_gradients(net, dataset_train)
            else:
                scores = net.module_.gate.scores.detach().abs().cpu().numpy()
            # each sensor keeps the importance of its last round as active
            self.scores_[self.active_] = scores[self.active_]
            self.active_ = prune_lowest(scores, self.active_,
                                        self.levels_[epoch],
                                        required=self.required,
                                        costs=self.costs)
            self._apply(net)
            self.round_ += 1
            event = f"prune round {self.round_}"
        net.history.record("n_active_sensors", int(self.active_.sum()))
        net.history.record("sparsity", 1.0 - self.active_.mean())
        net.history.record("round", self.round_)
        net.history.record("event_pruning", event)

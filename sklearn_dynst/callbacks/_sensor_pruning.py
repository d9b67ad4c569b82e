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

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import Callback
from skorch.dataset import unpack_data
from skorch.utils import to_tensor

from .._masks import mask_gradients
from .._pals import PALSController, cosine_rate, update_counts
from .._pruning import (_as_mask, dropout_variances, prune_covering,
                        prune_lowest, pruning_schedule, shrink_to_mean,
                        swap_sensors, switched_off_share)
from ._common import (PALS_CONSTRAINTS, DecisionSchedule,
                      validate_callback_params, validation_loss)

__all__ = ["AlternatingMaskTraining", "IterativeSensorPruning",
           "AdaptiveSensorPruning"]

_IMPORTANCES = ("magnitude", "removal", "absence")


def auto_importance(sparsity, covering=False):
    """What ``importance="auto"`` ranks by at ``sparsity``, where the
    absence cost applies: the absence cost with the covering removal (which
    adds what the sensors already off lose) or up to sparsity 0.8, the
    Fisher estimate ("removal") beyond it without the covering removal."""
    return "absence" if covering or sparsity <= 0.8 else "removal"


class AlternatingMaskTraining(Callback):
    """Alternate optimiser steps between the network and the sensor scores.

    Parameters
    ----------
    n_network_steps : int, default=4
        Steps (batches) on the network with the scores fixed (DynST's R).
    n_mask_steps : int, default=1
        Steps on the scores with the network fixed (DynST's M).

    Attributes
    ----------
    step_ : int
        Training steps seen since the training began.
    mask_steps_ : int
        Of those, the steps on the scores (in the history as
        ``mask_steps``).

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


class _SensorPruningBase(Callback):
    """Active set, importance measures and history shared by the sensor
    pruning callbacks (subclasses set ``importance``, ``required``,
    ``costs`` and ``n_score_batches``)."""

    def _setup(self, net):
        validate_callback_params(self)
        module = net.module_
        if getattr(module, "gate", None) is None:
            raise ValueError(
                f"{type(self).__name__} needs a module with a SensorGate "
                "(module.gate); got none."
            )
        self.active_ = np.zeros(module.n_sensors, dtype=bool)
        self.active_[module.sensor_index.cpu().numpy()] = True
        self.scores_ = np.full(module.n_sensors, np.nan)
        # importance per unit of interpolation variance, relative to the
        # median of its round (for prune_covering's switched-off sensors)
        self.weights_ = np.ones(module.n_sensors)
        # the bases' covariance is fixed for the fit: reduced once
        self._covariance = self._sensor_covariance(module)
        self._reset_absence(module.n_sensors)
        if self.importance in ("absence", "auto") and (
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
        training = net.module_.training
        net.module_.eval()
        gradients, fisher = mask_gradients(
            net.module_, self._score_batches(net, dataset), net.criterion_)
        net.module_.train(training)
        return gradients.cpu().numpy(), fisher.cpu().numpy()

    def _reset_absence(self, n_sensors):
        # per sensor, absent (0) and present (1): summed error, observed
        # values, samples, and the samples' mean errors summed and squared
        self.absence_sums_ = np.zeros((2, 5, n_sensors))
        self.importance_errors_ = None

    def on_batch_end(self, net, training=False, sample_errors=None,
                     sample_observed=None, **kwargs):
        module = net.module_
        presence = getattr(module, "last_presence_", None)
        if self.importance not in ("absence", "auto") or not training \
                or presence is None:
            return
        index = module.sensor_index
        # each active sensor's own forecast error, with and without it, from
        # the pointwise errors the training step computed
        total = sample_errors[:, index].flatten(2).sum(2)
        count = sample_observed[:, index].flatten(2).sum(2).to(total.dtype)
        mean = total / count.clamp_min(1)
        sums = []
        for weight in (1.0 - presence, presence):
            samples = weight * (count > 0)
            sums.append(torch.stack([
                (total * weight).sum(0), (count * weight).sum(0),
                samples.sum(0), (mean * samples).sum(0),
                (mean ** 2 * samples).sum(0)]))
        self.absence_sums_[:, :, index.cpu().numpy()] += \
            torch.stack(sums).cpu().numpy()

    def _absence_cost(self):
        """Mean own error of each sensor when absent minus when present;
        its standard error goes to ``importance_errors_``."""
        costs, noise = [], []
        for total, count, samples, mean_sum, square_sum in self.absence_sums_:
            with np.errstate(invalid="ignore", divide="ignore"):
                costs.append(total / count)
                mean = mean_sum / samples
                noise.append((square_sum / samples - mean ** 2)
                             / (samples - 1))
        cost = costs[0] - costs[1]
        self._reset_absence(len(cost))
        finite = np.isfinite(cost)
        self.importance_errors_ = np.sqrt(np.clip(noise[0] + noise[1], 0,
                                                  None))
        return np.where(finite, cost, np.inf)

    def _resolved_importance(self):
        """``importance``, with "auto" resolved at the current sparsity: the
        absence cost up to 0.8, the Fisher estimate beyond (as measured for
        DynST's rounds)."""
        if self.importance == "auto":
            return auto_importance(self._sparsity())
        return self.importance

    def _importance(self, net, dataset, presence_gradients=None):
        """Each sensor's importance now, by ``self.importance``.

        ``presence_gradients``, the result of :meth:`_presence_gradients`
        when the caller computed it already, spares a second pass. Every
        measure starts a new accumulation of the absence cost.
        """
        importance = self._resolved_importance()
        if importance == "absence":
            return self._absence_cost()
        self._reset_absence(len(self.active_))
        if importance == "removal":
            if presence_gradients is None:
                presence_gradients = self._presence_gradients(net, dataset)
            return presence_gradients[1]
        return net.module_.gate.scores.detach().abs().cpu().numpy()

    def _apply(self, net):
        net.module_.set_active(np.flatnonzero(self.active_))

    def _sparsity(self):
        return switched_off_share(self.active_, self.costs)

    @staticmethod
    def _sensor_covariance(module):
        """Per-sensor covariance of the interpolated bases (the mean of the
        value-diagonal blocks), or None when the module interpolates none."""
        if not getattr(module, "_interpolates", False):
            return None
        covariance = module.base_covariance.double().cpu().numpy()
        n_sensors = module.n_sensors
        n_values = covariance.shape[0] // n_sensors
        blocks = covariance.reshape(n_sensors, n_values, n_sensors, n_values)
        return np.einsum("avbv->ab", blocks) / n_values

    def _prune(self, net, importance, sparsity):
        """Switch off sensors of least ``importance`` up to ``sparsity``.

        With ``coverage`` and an interpolating module, through
        :func:`~sklearn_dynst._pruning.prune_covering`. Each active sensor's
        weight is its importance (shrunk towards the mean by its noise, for
        the absence cost) per unit of the interpolation variance under
        which it was measured (given the sensors the dropout left present);
        switched-off sensors keep the weight of their last round, relative
        to that round's median.
        """
        module = net.module_
        covariance = self._covariance
        if (not self.coverage or covariance is None
                or self._resolved_importance() == "magnitude"):
            return prune_lowest(importance, self.active_, sparsity,
                                required=self.required, costs=self.costs)
        active = self.active_
        if self.importance_errors_ is not None:
            importance = shrink_to_mean(importance, self.importance_errors_)
        importance = importance[active]
        measured = np.isfinite(importance)
        scale = np.abs(importance[measured]).max() if measured.any() else 1.0
        # a cost at or below zero still leaves the sensor some weight, so
        # that coverage decides among sensors that all look free
        floor = 1e-3 * scale if scale > 0 else 1.0
        variances = dropout_variances(
            covariance, active, module.sensor_dropout,
            ridge=module.base_ridge,
            random_state=int(torch.randint(2 ** 31 - 1, (1,))))
        weights = np.maximum(importance, floor) / variances[active]
        # an active sensor the round never measured counts as the most
        # important one that it did
        weights[~measured] = weights[measured].max() if measured.any() \
            else 1.0
        median = np.median(weights)
        self.weights_[active] = weights / median
        return prune_covering(self.weights_ * median, active, sparsity,
                              covariance, required=self.required,
                              costs=self.costs, ridge=module.base_ridge)


class IterativeSensorPruning(_SensorPruningBase):
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
    coverage : bool, default=True
        For a module that interpolates switched-off sensors' bases (and
        importance "absence" or "removal"): prune with
        :func:`~sklearn_dynst._pruning.prune_covering`, one sensor at a
        time, counting what the sensors already off lose when they can no
        longer lean on it. False (or another module) ranks by importance
        once per round (:func:`~sklearn_dynst._pruning.prune_lowest`).

    Attributes
    ----------
    active_ : ndarray of bool of shape (n_sensors,)
        Sensors on now.
    scores_ : ndarray of shape (n_sensors,)
        The importance each sensor had in the last round it took part in
        (NaN before the first round).
    weights_ : ndarray of shape (n_sensors,)
        With ``coverage``: each sensor's importance per unit of
        interpolation variance in the last round it took part in, relative
        to that round's median (1 before).
    levels_ : dict of int to float
        Sparsity to reach at the end of each round's epoch (empty with
        ``start="random"``).
    swap_epochs_ : set of int
        Epochs at whose end a swap happens.
    round_ : int
        Rounds done.
    absence_sums_ : ndarray of shape (2, 5, n_sensors)
        With importance "absence": the running sums, per sensor absent (0)
        and present (1), of its own error, observed values, samples, and
        the samples' mean errors and their squares, since the last round.
    importance_errors_ : ndarray of shape (n_sensors,) or None
        Standard error of the last absence costs (None before one).

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
                 importance="magnitude", start="dense", coverage=True):
        self.sparsity = sparsity
        self.prune_epochs = prune_epochs
        self.swap_fraction = swap_fraction
        self.required = required
        self.costs = costs
        self.n_score_batches = n_score_batches
        self.importance = importance
        self.start = start
        self.coverage = coverage

    _parameter_constraints = {
        "sparsity": [Interval(Real, 0, 1, closed="left")],
        "swap_fraction": [Interval(Real, 0, 1, closed="left")],
        "importance": [StrOptions(set(_IMPORTANCES))],
        "start": [StrOptions({"dense", "random"})],
    }

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._setup(net)
        module = net.module_
        epochs = sorted(int(e) for e in self.prune_epochs)
        self.levels_ = dict(zip(epochs, pruning_schedule(self.sparsity,
                                                         len(epochs))))
        self.swap_epochs_ = {(a + b) // 2 for a, b in zip(epochs, epochs[1:])
                             if b - a >= 2}
        self.round_ = 0
        if self.start == "random":
            draw = torch.rand(module.n_sensors).numpy()
            self.active_ = prune_lowest(draw, self.active_, self.sparsity,
                                        required=self.required,
                                        costs=self.costs)
            self.swap_epochs_ |= set(epochs)
            self.levels_ = {}
            self._apply(net)

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
            scores = self._importance(net, dataset_train)
            # each sensor keeps the importance of its last round as active
            self.scores_[self.active_] = scores[self.active_]
            self.active_ = self._prune(net, scores, self.levels_[epoch])
            self._apply(net)
            self.round_ += 1
            event = f"prune round {self.round_}"
        net.history.record("n_active_sensors", int(self.active_.sum()))
        net.history.record("sparsity", self._sparsity())
        net.history.record("round", self.round_)
        net.history.record("event_pruning", event)


class AdaptiveSensorPruning(_SensorPruningBase):
    """PALS for sensors: the training decides how many sensors can go.

    Starting from every sensor, every ``update_every`` training steps from
    the end of the ``warm_up`` epochs to ``decision_share`` of the
    training, the validation error (the MAE of the forecasts in the
    target's units, which a grid search over the sparsity would compare;
    the mean recent training loss without a validation split) is
    compared with ``tolerance`` times the best seen
    (:func:`~sklearn_dynst._pals.pals_decision`): shrink (prune ``growth``
    times more sensors than are regrown), expand (regrow more than are
    pruned) or stay (prune and regrow as many). The share of the active
    sensors exchanged decays from ``initial_rate`` to ``final_rate`` along a
    cosine (:func:`~sklearn_dynst._pals.cosine_rate`). Pruned are the active
    sensors of least ``importance``; regrown the switched-off ones whose
    return would lower the loss most (the gradient of the loss in their
    presence, at presence 0). Below ``min_sparsity`` it always shrinks; it
    never shrinks at or above ``max_sparsity``.

    Parameters
    ----------
    n_steps : int or None, default=None
        Training steps of the whole training this callback runs in (the
        decisions end after ``decision_share`` of them); None counts
        ``max_epochs`` epochs of the training data in batches.
    update_every : int or "auto", default="auto"
        Steps between updates. "auto" is PALS's 20 when the decision period
        holds at least ``min_updates`` updates, else as many steps as give
        ``min_updates`` (at least 1): the public code trains for thousands
        of steps, a small sensor data set for a few hundred.
    tolerance : float, default=1.1
        PALS's lambda.
    growth : float, default=1.1
        PALS's gamma.
    initial_rate, final_rate : float, default=0.5, 0.005
        Share of the active sensors exchanged per update, first and last.
    max_sparsity : float, default=0.9
    min_sparsity : float, default=0.2
    decision_share : float, default=2/3
        Share of the training during which updates happen.
    warm_up : int, default=0
        Epochs trained on every sensor before the first update: the best
        loss PALS compares with should be that of a trained network, or
        every update is "within tolerance" while the loss still falls.
    min_updates : int, default=60
        See ``update_every``.
    importance : {"magnitude", "removal", "absence", "auto"}, default="removal"
        See :class:`IterativeSensorPruning`; "auto" uses the absence cost
        up to sparsity 0.8 and the Fisher estimate ("removal") beyond.
        Measured on METR-LA (seed 0, 26 updates to 0.50): absence with
        sensor dropout 3.96 test MAE, Fisher without dropout 4.42.
    required : array-like of bool, default=None
        Sensors never switched off.
    costs : array-like of float, default=None
        Sensor costs: sparsities are then shares of the total cost.
    n_score_batches : int, default=2
        Batches over which presence gradients are summed per update.
    swap_fraction : float or None, default=0.0
        Most sensors exchanged per update, as a share of the active ones
        (None: PALS's ``rate`` share). Shrinks and expands still prune or
        regrow their extra ``(growth - 1) * rate`` share. Measured on
        METR-LA (seed 0): uncapped exchanges (up to half of the active
        sensors every few steps) chose 0.63 for a test MAE of 4.45, where
        DynST at 0.7 reaches 4.15; the cap follows DynST's measured
        ``swap_fraction=0``.
    coverage : bool, default=True
        A shrink that regrows nothing switches its sensors off as
        :class:`IterativeSensorPruning` does with ``coverage``, one at a
        time by :func:`~sklearn_dynst._pruning.prune_covering` (for a
        module that interpolates switched-off sensors' bases); False, or
        an update that also regrows, drops the sensors of least importance.

    Attributes
    ----------
    active_ : ndarray of bool of shape (n_sensors,)
    path_ : list of dict
        One entry per update: ``step``, ``loss``, ``best_loss``,
        ``decision``, ``rate``, ``sparsity`` (after the update),
        ``n_pruned``, ``n_regrown``.
    update_every_ : int
        The steps between updates used.
    controller_ : PALSController
        The best validation loss so far and its sparsity.
    best_sparsity_ : float
        Sparsity at which the best validation loss was seen (the
        controller's).
    scores_, weights_, absence_sums_, importance_errors_
        As in :class:`IterativeSensorPruning`, per update instead of per
        round.

    Examples
    --------
    ``DynSTRegressor(sparsity="auto")`` runs this callback; each epoch of
    its history lists that epoch's updates:

    >>> import numpy as np
    >>> from sklearn_dynst import DynSTRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4, 6)).cumsum(1)
    >>> model = DynSTRegressor("auto", n_rounds=2, epochs_per_round=2,
    ...                        max_epochs=2, random_state=0).fit(X, X)
    >>> decisions = [u["decision"] for row in model.history_
    ...              for u in row.get("sparsity_updates", [])]
    >>> decisions[0], bool(0.0 < model.sparsity_ <= 0.9)
    ('shrink', True)
    """

    _parameter_constraints = {
        **PALS_CONSTRAINTS,
        "importance": [StrOptions({*_IMPORTANCES, "auto"})],
        "swap_fraction": [Interval(Real, 0, 1, closed="left"), None],
    }

    def __init__(self, n_steps=None, update_every="auto", tolerance=1.1,
                 growth=1.1, initial_rate=0.5, final_rate=0.005,
                 max_sparsity=0.9, min_sparsity=0.2, decision_share=2 / 3,
                 warm_up=0, min_updates=60, importance="removal",
                 required=None,
                 costs=None, n_score_batches=2, swap_fraction=0.0,
                 coverage=True):
        self.n_steps = n_steps
        self.update_every = update_every
        self.tolerance = tolerance
        self.growth = growth
        self.initial_rate = initial_rate
        self.final_rate = final_rate
        self.max_sparsity = max_sparsity
        self.min_sparsity = min_sparsity
        self.decision_share = decision_share
        self.warm_up = warm_up
        self.min_updates = min_updates
        self.importance = importance
        self.required = required
        self.costs = costs
        self.n_score_batches = n_score_batches
        self.swap_fraction = swap_fraction
        self.coverage = coverage

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._setup(net)
        self._schedule = DecisionSchedule(
            self.n_steps, self.update_every, self.warm_up,
            self.decision_share, self.min_updates)
        self.path_ = []
        self.controller_ = PALSController(self.tolerance, self.max_sparsity,
                                          self.min_sparsity)
        self._train_losses = []
        self._epoch_updates = []

    @property
    def update_every_(self):
        return self._schedule.update_every_

    @property
    def best_sparsity_(self):
        """Sparsity at which the best validation loss was seen."""
        return self.controller_.best_sparsity_

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None,
                       **kwargs):
        self._train, self._valid = dataset_train, dataset_valid
        self._epoch_updates = []
        self._schedule.start(net, dataset_train)

    def on_batch_end(self, net, batch=None, training=False, loss=None,
                     **kwargs):
        super().on_batch_end(net, batch=batch, training=training, **kwargs)
        if not training:
            return
        if self._valid is None:  # the fallback loss; no sync otherwise
            self._train_losses.append(float(loss.detach()))
        if self._schedule.advance():
            self._update(net)
            self._train_losses = []

    def _validation_loss(self, net):
        """Validation loss (the recent training batches' mean when there
        is no validation split)."""
        return validation_loss(net, self._valid, self._train_losses)

    def _update(self, net):
        loss = self._validation_loss(net)
        decision = self.controller_.decide(loss, self._sparsity())
        rate = cosine_rate(self._schedule.progress(), self.initial_rate,
                           self.final_rate)
        n_active = int(self.active_.sum())
        max_swap = None if self.swap_fraction is None else int(
            round(self.swap_fraction * n_active))
        n_prune, n_grow = update_counts(
            decision, rate, n_active, int((~self.active_).sum()),
            growth=self.growth, max_swap=max_swap,
            max_sparsity=self.max_sparsity)
        presence = None
        if self._resolved_importance() == "removal" or n_grow > 0:
            # one pass for the Fisher values and the regrowth gradients
            presence = self._presence_gradients(net, self._train)
        value = self._importance(net, self._train, presence)
        before = self.active_.copy()
        self.scores_[self.active_] = value[self.active_]
        if self.coverage and n_grow == 0:
            if n_prune > 0:
                self.active_ = self._prune(net, value,
                                           self._sparsity_after(n_prune))
        else:
            if n_grow > 0:
                value = np.where(self.active_, value, -presence[0])
            self.active_ = swap_sensors(self.active_, value, n_prune,
                                        required=self.required, signed=True,
                                        n_grow=n_grow)
        self._apply(net)
        entry = {"step": self._schedule.step, "loss": loss,
                 "best_loss": self.controller_.best_loss_,
                 "decision": decision,
                 "rate": rate, "sparsity": self._sparsity(),
                 "n_pruned": int((before & ~self.active_).sum()),
                 "n_regrown": int((~before & self.active_).sum())}
        self.path_.append(entry)
        self._epoch_updates.append(entry)

    def _sparsity_after(self, n_prune):
        """The sparsity once ``n_prune`` more sensors are off (of the
        droppable ones; with costs, the same share of the active cost)."""
        required = _as_mask(self.required, self.active_.size, "required")
        n_active = int(self.active_.sum())
        n_prune = min(n_prune, int((self.active_ & ~required).sum()))
        if self.costs is None:
            return (self.active_.size - n_active + n_prune) / self.active_.size
        costs = np.asarray(self.costs, dtype=float)
        kept = costs[self.active_].sum() * (1 - n_prune / n_active)
        return 1 - max(kept, costs[required].sum()) / costs.sum()

    def on_epoch_end(self, net, **kwargs):
        net.history.record("n_active_sensors", int(self.active_.sum()))
        net.history.record("sparsity", self._sparsity())
        net.history.record("sparsity_updates", list(self._epoch_updates))

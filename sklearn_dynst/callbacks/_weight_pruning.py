"""Unstructured weight sparsity of the backbone, as a skorch callback.

:class:`WeightPruning` keeps a mask per prunable weight
(:func:`~sklearn_dynst._weight_masks.prunable_weights`) on the module
(``module.weight_masks``), re-applies it after every optimiser step, and
every ``update_every`` steps of its decision period drops the active
weights of smallest magnitude and regrows the switched-off ones of largest
gradient (RigL). A float ``sparsity`` is reached along a cubic schedule; with
``"auto"`` the PALS controller decides (shrink, expand, stable) from the
validation error (MAE in the target's units), as for sensors.
"""

from numbers import Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import Callback

from .._pals import PALSController, cosine_rate, update_counts
from .._weight_masks import prunable_weights, rigl_update
from ._common import (PALS_CONSTRAINTS, DecisionSchedule,
                      validate_callback_params, validation_loss)

__all__ = ["WeightPruning"]


class WeightPruning(Callback):
    """Sparse backbone weights: RigL updates, a set level or PALS.

    Parameters
    ----------
    sparsity : float in [0, 1) or "auto"
        Share of the prunable weights switched off at the end of the
        decision period, or "auto" (PALS decides).
    update : bool, default=True
        False only re-applies the masks already on the module (fine-tuning
        after the decisions).
    n_steps, update_every, warm_up, decision_share, min_updates
        When updates happen, as in
        :class:`~sklearn_dynst.callbacks.AdaptiveSensorPruning`.
    tolerance, growth, max_sparsity, min_sparsity
        PALS's controller for ``"auto"``.
    initial_rate, final_rate : float, default=0.5, 0.005
        Share of each tensor's active weights exchanged per update (cosine
        decay).

    Attributes
    ----------
    weights_ : dict of str to Parameter
        The prunable weights (the backbone's linear and convolution
        weights) by parameter name; their boolean masks are the module's
        ``weight_masks``.
    path_ : list of dict
        One entry per update: ``step``, ``loss`` (``"auto"`` only),
        ``decision``, ``sparsity`` (after the update).
    controller_ : PALSController
        The best validation loss so far and its sparsity (``"auto"``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst import DynSTRegressor
    >>> X = np.random.default_rng(0).normal(size=(200, 4, 6)).cumsum(1)
    >>> model = DynSTRegressor(weight_sparsity=0.5, n_rounds=2,
    ...                        epochs_per_round=1, max_epochs=2,
    ...                        random_state=0).fit(X, X)
    >>> round(model.history_[-1]["weight_sparsity"], 2)
    0.5
    """

    _parameter_constraints = {
        **PALS_CONSTRAINTS,
        "sparsity": [Interval(Real, 0, 1, closed="left"),
                     StrOptions({"auto"})],
    }

    def __init__(self, sparsity, *, update=True, n_steps=None,
                 update_every="auto", warm_up=0, decision_share=2 / 3,
                 min_updates=60, tolerance=1.1, growth=1.1,
                 max_sparsity=0.9, min_sparsity=0.2, initial_rate=0.5,
                 final_rate=0.005):
        self.sparsity = sparsity
        self.update = update
        self.n_steps = n_steps
        self.update_every = update_every
        self.warm_up = warm_up
        self.decision_share = decision_share
        self.min_updates = min_updates
        self.tolerance = tolerance
        self.growth = growth
        self.max_sparsity = max_sparsity
        self.min_sparsity = min_sparsity
        self.initial_rate = initial_rate
        self.final_rate = final_rate

    # ----------------------------------------------------------- masks
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        validate_callback_params(self)
        module = net.module_
        self.weights_ = prunable_weights(module)
        masks = getattr(module, "weight_masks", None)
        if masks is None or set(masks) != set(self.weights_):
            masks = {name: torch.ones_like(w, dtype=torch.bool)
                     for name, w in self.weights_.items()}
        module.weight_masks = masks
        self._schedule = DecisionSchedule(
            self.n_steps, self.update_every, self.warm_up,
            self.decision_share, self.min_updates) if self.update else None
        self.path_ = []
        self.controller_ = PALSController(self.tolerance, self.max_sparsity,
                                          self.min_sparsity)
        self._gradients = None
        self._apply(net)

    def on_train_end(self, net, **kwargs):
        # the masks live on the module; parameters or data held here would
        # be pickled again, densely, with the callbacks
        self.weights_ = None
        self._gradients = None
        self._valid = None

    def _masks(self, net):
        return net.module_.weight_masks

    def _apply(self, net):
        with torch.no_grad():
            for name, weight in self.weights_.items():
                weight.mul_(self._masks(net)[name])

    def sparsity_of(self, net):
        """Share of the prunable weights switched off now."""
        masks = self._masks(net).values()
        total = sum(m.numel() for m in masks)
        return 1.0 - sum(int(m.sum()) for m in masks) / max(total, 1)

    # ---------------------------------------------------------- epochs
    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None,
                       **kwargs):
        self._valid = dataset_valid
        self._epoch_updates = []
        if self._schedule is not None:
            self._schedule.start(net, dataset_train)

    def on_epoch_end(self, net, **kwargs):
        net.history.record("weight_sparsity", self.sparsity_of(net))
        if self.update:
            net.history.record("weight_updates", list(self._epoch_updates))

    # --------------------------------------------------------- batches
    def on_grad_computed(self, net, named_parameters, training=False,
                         **kwargs):
        if training and self._schedule is not None \
                and self._schedule.is_update(self._schedule.step + 1):
            self._gradients = {name: w.grad.detach().clone()
                               for name, w in self.weights_.items()
                               if w.grad is not None}

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        if self._schedule is not None and self._schedule.advance():
            self._update(net)
        self._apply(net)

    def _update(self, net):
        schedule = self._schedule
        progress = schedule.progress()
        rate = cosine_rate(progress, self.initial_rate, self.final_rate)
        entry = {"step": schedule.step}
        if self.sparsity == "auto":
            loss = validation_loss(net, self._valid)
            decision = self.controller_.decide(loss, self.sparsity_of(net))
            entry.update(loss=loss, best_loss=self.controller_.best_loss_)
        else:  # cubic approach to the target level (Zhu & Gupta)
            target = self.sparsity * (1.0 - (1.0 - progress) ** 3)
            decision = "schedule"
        masks = self._masks(net)
        for name, weight in self.weights_.items():
            mask = masks[name]
            n_active = int(mask.sum())
            n_inactive = mask.numel() - n_active
            if decision == "schedule":
                n_keep = max(1, int(round((1.0 - target) * mask.numel())))
                swap = min(int(round(rate * n_active)), n_inactive)
                n_drop, n_grow = max(n_active - n_keep, 0) + swap, swap
                n_grow += max(n_keep - n_active, 0)
            else:
                n_drop, n_grow = update_counts(
                    decision, rate, n_active, n_inactive, growth=self.growth,
                    max_sparsity=self.max_sparsity)
            gradient = (self._gradients or {}).get(name)
            if gradient is None:
                gradient = torch.zeros_like(weight)
                n_grow = 0
            masks[name] = rigl_update(weight, mask, gradient, n_drop, n_grow)
        self._gradients = None
        entry.update(decision=decision, rate=rate,
                     sparsity=self.sparsity_of(net))
        self.path_.append(entry)
        self._epoch_updates.append(entry)

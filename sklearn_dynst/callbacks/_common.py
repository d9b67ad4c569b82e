"""What the pruning callbacks share: when to update, the validation loss."""

import math
import warnings
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import (Interval, StrOptions,
                                             validate_parameter_constraints)
from skorch.dataset import unpack_data
from skorch.utils import to_tensor

from ..exceptions import EmptyMaskWarning
from ..metrics._torch import pointwise_error

__all__ = ["DecisionSchedule", "validation_loss", "validate_callback_params",
           "PALS_CONSTRAINTS"]


# the PALS controller's and the update schedule's parameters, shared by
# AdaptiveSensorPruning and WeightPruning
PALS_CONSTRAINTS = {
    "tolerance": [Interval(Real, 1, None, closed="left")],
    "growth": [Interval(Real, 1, None, closed="left")],
    "initial_rate": [Interval(Real, 0, 1, closed="both")],
    "final_rate": [Interval(Real, 0, 1, closed="both")],
    "min_sparsity": [Interval(Real, 0, 1, closed="both")],
    "max_sparsity": [Interval(Real, 0, 1, closed="left")],
    "decision_share": [Interval(Real, 0, 1, closed="both")],
    "update_every": [Interval(Real, 1, None, closed="left"),
                     StrOptions({"auto"})],
    "min_updates": [Interval(Real, 1, None, closed="left")],
    "warm_up": [Interval(Real, 0, None, closed="left")],
}


def validate_callback_params(callback):
    """Check ``callback``'s parameters against its class's
    ``_parameter_constraints``, with scikit-learn's validation (as the
    estimators' ``fit`` does): an ``InvalidParameterError`` (a ValueError)
    names the parameter, the callback, what was expected and what was
    given.

    Examples
    --------
    >>> from sklearn_dynst.callbacks import WeightPruning
    >>> from sklearn_dynst.callbacks._common import validate_callback_params
    >>> validate_callback_params(WeightPruning(1.5))
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'sparsity' parameter of WeightPruning must be a float in the range [0.0, 1.0) or a str among {'auto'}. Got 1.5 instead.
    """
    validate_parameter_constraints(
        callback._parameter_constraints, callback.get_params(deep=False),
        caller_name=type(callback).__name__)


class DecisionSchedule:
    """Which training steps are update steps.

    Updates happen every ``update_every`` steps from the end of ``warm_up``
    epochs to ``decision_share`` of ``n_steps`` (None: ``max_epochs``
    epochs of the training data in batches). ``update_every="auto"`` is 20
    when that period holds ``min_updates`` updates, fewer steps otherwise.
    Sized at the first epoch, when the training data are known.

    Examples
    --------
    >>> from sklearn_dynst.callbacks._common import DecisionSchedule
    >>> schedule = DecisionSchedule(n_steps=90, update_every="auto",
    ...                             warm_up=0, decision_share=2 / 3,
    ...                             min_updates=20)
    >>> schedule.size(steps_per_epoch=10)
    >>> schedule.update_every_, [s for s in range(1, 90)
    ...                          if schedule.is_update(s)][-2:]
    (3, [57, 60])
    """

    def __init__(self, n_steps, update_every, warm_up, decision_share,
                 min_updates):
        self.n_steps = n_steps
        self.update_every = update_every
        self.warm_up = warm_up
        self.decision_share = decision_share
        self.min_updates = min_updates
        self.step = 0
        self.last_step_ = None

    def size(self, steps_per_epoch, max_epochs=None):
        """Fix the first and last update steps and the spacing."""
        n_steps = self.n_steps
        if n_steps is None:
            n_steps = max_epochs * steps_per_epoch
        self.first_step_ = self.warm_up * steps_per_epoch
        self.last_step_ = max(int(self.decision_share * n_steps),
                              self.first_step_ + 1)
        window = self.last_step_ - self.first_step_
        if self.update_every == "auto":
            self.update_every_ = int(min(20, max(1, window
                                                 // self.min_updates)))
        else:
            self.update_every_ = int(self.update_every)

    def start(self, net, dataset_train):
        """Size the schedule at the first epoch."""
        if self.last_step_ is None:
            self.size(int(np.ceil(len(dataset_train) / net.batch_size)),
                      net.max_epochs)

    def advance(self):
        """Count one training step; True when it is an update step."""
        self.step += 1
        return self.is_update(self.step)

    def is_update(self, step):
        since = step - self.first_step_
        return 0 < since and step <= self.last_step_ \
            and since % self.update_every_ == 0

    def progress(self):
        """Share of the decision period done, in [0, 1]."""
        return (self.step - self.first_step_) / max(
            self.last_step_ - self.first_step_, 1)


def validation_loss(net, dataset_valid, fallback=None):
    """Validation error of ``net`` over ``dataset_valid`` (no gradient):
    what PALS compares with the best seen.

    When the module standardises its targets (it has ``inverse_transform``,
    as the package's networks do), the mean absolute error of the forecasts
    mapped back to the target's units over the observed truths: the error
    a user's metrics, and a grid search over the sparsity, read, where each
    sensor weighs by its own scale. The training loss is standardised per
    sensor, which weighs a sensor by one over its spread and, on METR-LA,
    forgave switching sensors off more than the error in mph did
    (``sparsity="auto"`` chose 0.88 on average over three seeds, 0.83
    with this one; test MAE 4.54 and 4.45). Otherwise, the net's loss.

    ``fallback`` (e.g. the recent training losses) is averaged instead when
    there is no validation data. NaN, with an
    :class:`~sklearn_dynst.exceptions.EmptyMaskWarning`, when the
    validation data hold no observed truth.
    """
    if dataset_valid is None:
        if fallback is None or not len(fallback):
            raise ValueError("no validation data to measure the loss on; "
                             "give the net a train_split.")
        return float(np.mean(fallback))
    inverse = getattr(net.module_, "inverse_transform", None)
    total, count = 0.0, 0
    for batch in net.get_iterator(dataset_valid, training=False):
        if inverse is None:
            step = net.validation_step(batch)
            n = len(step["y_pred"])
            total += float(step["loss"]) * n
            count += n
            continue
        # the forecast alone (no gradient): the standardised loss that a
        # validation step also computes would be thrown away
        errors, observed = pointwise_error(
            inverse(net.evaluation_step(batch)),
            to_tensor(unpack_data(batch)[1], device=net.device), "mae")
        total += float(errors.sum())
        count += int(observed.sum())
    if count == 0:
        warnings.warn(
            "The validation data hold no observed truth (every target is "
            "NaN): no validation loss to compare; returning NaN.",
            EmptyMaskWarning, stacklevel=2)
        return math.nan
    return total / count

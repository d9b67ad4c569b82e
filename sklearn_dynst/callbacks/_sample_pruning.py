"""ST-Prune: dynamic sample pruning as a skorch callback plus a sampler.

Each epoch :class:`SamplePruning` decides which training samples are used
(:func:`~sklearn_dynst._sample_pruning.prune_samples`) and hands that list to
a :class:`PrunedSampler`, which the net's training ``DataLoader`` draws from
(through skorch's ``iterator_train__sampler``, no patched loader): a
skipped sample is never loaded, so it costs no forward and no backward pass.
The callback follows the batches in the sampler's order, so it knows which
samples each batch holds; before each batch it gives the net their loss
weights, after it it updates their scores from the batch's errors.
"""

import math
from numbers import Integral, Real

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.dataset import Dataset, unpack_data
from skorch.utils import to_tensor
from sklearn.utils import check_random_state
from torch.utils.data import Sampler, Subset

from .._net import BatchWeightMixin
from .._sample_pruning import (complexity_score, make_strata, mean_score,
                               nonstationarity, prune_samples)

__all__ = ["SamplePruning", "PrunedSampler", "SampleWeightMixin"]

SCORES = ("complexity", "mean", "random")


class PrunedSampler(Sampler):
    """Yield the positions chosen for the current epoch, in their order.

    :class:`SamplePruning` sets the positions before each epoch; until then
    the sampler yields every position of a dataset of ``n_samples``.

    Parameters
    ----------
    n_samples : int, default=0

    Examples
    --------
    >>> from sklearn_dynst.callbacks import PrunedSampler
    >>> sampler = PrunedSampler(4)
    >>> sampler.set_indices([3, 0])
    >>> list(sampler), len(sampler)
    ([3, 0], 2)
    """

    def __init__(self, n_samples=0):
        self.indices = np.arange(n_samples)

    def set_indices(self, indices):
        """Positions to yield from now on."""
        self.indices = np.asarray(indices, dtype=np.int64)

    def __iter__(self):
        return iter(self.indices.tolist())

    def __len__(self):
        return len(self.indices)


class SampleWeightMixin(BatchWeightMixin):
    """Let any skorch regressor weight its training loss per sample.

    ST-Prune's rescaling needs a loss that takes per-sample weights. Put
    this mixin before the skorch class and build the criterion with
    ``reduction="none"``; each sample's loss is the mean over its entries,
    the batch loss their weighted mean (weights set by
    :meth:`set_batch_weight`, 1 otherwise).

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetRegressor
    >>> from sklearn_dynst.callbacks import SampleWeightMixin
    >>> class WeightedNet(SampleWeightMixin, NeuralNetRegressor):
    ...     pass
    >>> net = WeightedNet(torch.nn.Linear, module__in_features=2,
    ...                   module__out_features=1,
    ...                   criterion=torch.nn.MSELoss,
    ...                   criterion__reduction="none").initialize()
    >>> net.set_batch_weight([0.0, 1.0])
    >>> float(net.get_loss(torch.zeros(2, 1), torch.tensor([[1.0], [2.0]]),
    ...                    training=True))
    4.0
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        loss = self.criterion_(y_pred, y_true)
        if loss.ndim == 0:
            raise ValueError(
                "SampleWeightMixin needs per-sample losses: build the "
                "criterion with reduction='none' (criterion__reduction="
                "'none'); got a criterion that returns a scalar.")
        per_sample = loss.reshape(len(loss), -1).mean(1)
        weight = self.training_batch_weight(training)
        if weight is None:
            return per_sample.mean()
        return (per_sample * weight).sum() / weight.sum().clamp_min(1e-12)


def _batch_length(batch):
    Xi, yi = unpack_data(batch)
    for part in (yi, Xi):
        if isinstance(part, dict):
            part = next(iter(part.values()))
        if part is not None and hasattr(part, "__len__"):
            return len(part)
    raise ValueError(
        "SamplePruning cannot tell the number of samples of a batch: "
        "expected a target or an input with a length (or a dict of them); "
        f"got X of type {type(Xi).__name__} and y of type "
        f"{type(yi).__name__}.")


def _training_inputs(dataset):
    """The inputs of a (Subset of a) skorch Dataset, without loading items."""
    positions = np.arange(len(dataset))
    while isinstance(dataset, Subset):
        positions = np.asarray(dataset.indices)[positions]
        dataset = dataset.dataset
    if isinstance(dataset, Dataset):
        X = dataset.X
        if isinstance(X, dict):
            X = X.get("x", next(iter(X.values())))
        return np.asarray(X)[positions]
    # any other Dataset: load the inputs once
    items = [dataset[i] for i in positions]
    X = [item[0] if isinstance(item, (tuple, list)) else item
         for item in items]
    if isinstance(X[0], dict):
        X = [x.get("x", next(iter(x.values()))) for x in X]
    return np.stack([np.asarray(x) for x in X])


class SamplePruning(Callback):
    """ST-Prune: skip easy training samples, keep the loss unbiased.

    Each epoch: score every sample from its errors when it was last seen
    (``score``), call the samples below the mean score easy, and leave
    ``ratio`` of the easy samples of each stationarity stratum out of the
    epoch (never loaded, no forward or backward pass); the kept easy
    samples of a stratum weigh ``n_easy / n_kept_easy`` in the loss, so the
    expected loss of an epoch is the full-data loss and the non-stationary
    long tail keeps its share. Annealing: the last ``anneal`` share of
    ``max_epochs``, and with ``anneal_patience`` the epochs after the
    validation loss stalls, train on all samples with weight 1.

    Works on any skorch net whose training steps go through its training
    iterator. Rescaling needs the net to weight its loss per sample
    (:meth:`ForecastNet.set_batch_weight`, or :class:`SampleWeightMixin`
    for other nets). Scores come from the step's ``sample_errors`` (NaN
    where the truth is missing, or 0 with a ``sample_observed`` mask) when
    the net provides them (the package's nets do: standardised pointwise
    losses per sensor and horizon step), else from the absolute errors of
    ``y_pred`` against the batch's target.

    Parameters
    ----------
    ratio : float in [0, 1), default=0.8
        Share of the easy samples left out of each epoch (an epoch then
        uses about 55% of the samples). InfoBatch's 0.5 saved little time.
        With the estimators' early stopping the total fit time fell 1.51x
        on METR-LA, 1.19x on SZ-taxi and 1.04x on Beijing PM2.5 (3 seeds;
        the pruned runs need more epochs to stop), test MAE within 0.2% of
        full data; over a fixed 30 epochs 1.55x / 1.73x / 1.70x, test MAE
        at most 0.5% above; see the user guide's measurements.
    score : {"complexity", "mean", "random"}, default="complexity"
        ``"complexity"``: :func:`~sklearn_dynst._sample_pruning.complexity_score`,
        the power mean (order ``power``) of the sensors' errors per horizon
        step (one hard sensor makes a sample hard). ``"mean"``: the mean
        error over every sensor and step (InfoBatch). ``"random"``: fresh
        uniform random scores each epoch (uniform random pruning; with a
        float ``easy``, at exactly the sample budget of the other scores).
    easy : "mean" or float in (0, 1], default="mean"
        Which samples may be pruned: those scoring below the mean score
        (InfoBatch's rule), or the lowest-scoring share of the samples (a
        fixed budget: ``ratio * easy`` of the samples sit out each epoch).
    power : float >= 1, default=4.0
        Order of the power mean in the complexity score (1: the mean).
    rescale : bool, default=True
        Up-weight the kept easy samples (False: every weight is 1, biased
        towards hard samples; for ablations).
    n_strata : int, default=4
        Equal-count bins of the samples' non-stationarity
        (:func:`~sklearn_dynst._sample_pruning.nonstationarity`), within
        which easy samples are pruned and rescaled.
    time_axis : int, default=1
        Time axis of the inputs, for the non-stationarity (the package's
        estimators pass 2: their networks read ``(sensor, step, value)``
        tokens).
    anneal : float in [0, 1], default=0.125
        Share of ``max_epochs`` at the end trained on the full data.
    anneal_patience : int or None, default=None
        Also anneal, for good, once ``valid_loss`` has not improved for this
        many epochs (with early stopping the last epochs are otherwise
        never reached).
    random_state : int, RandomState or None, default=None

    Attributes
    ----------
    sampler_ : PrunedSampler
    scores_ : ndarray of shape (n_train_samples,)
        Latest score of each training sample (inf before it was seen).
    strata_ : ndarray of int of shape (n_train_samples,)
    weights_ : ndarray of shape (n_train_samples,)
        Loss weights of the current epoch (0: skipped).

    Notes
    -----
    The net's ``history`` gets, per epoch, ``samples_used`` (the samples
    trained on), ``sample_share`` (their share of the training set) and
    ``pruning_active``, beside skorch's ``dur`` (the epoch's wall time).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst import DynSTRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4, 3)).cumsum(1)
    >>> model = DynSTRegressor(sample_pruning=0.5, max_epochs=8,
    ...                        random_state=0).fit(X, X[:, -2:])
    >>> [row["sample_share"] < 1 for row in model.history_][:3]
    [False, True, True]
    """

    def __init__(self, ratio=0.8, *, score="complexity", easy="mean",
                 power=4.0, rescale=True, n_strata=4, time_axis=1, anneal=0.125,
                 anneal_patience=None, random_state=None):
        self.ratio = ratio
        self.score = score
        self.easy = easy
        self.power = power
        self.rescale = rescale
        self.n_strata = n_strata
        self.time_axis = time_axis
        self.anneal = anneal
        self.anneal_patience = anneal_patience
        self.random_state = random_state

    def _check_params(self, net):
        if not (isinstance(self.ratio, Real) and 0 <= self.ratio < 1):
            raise ValueError(f"ratio must be a float in [0, 1); got "
                             f"{self.ratio!r}.")
        if self.score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}; got "
                             f"{self.score!r}.")
        if not (self.easy == "mean" or (isinstance(self.easy, Real)
                                        and 0 < self.easy <= 1)):
            raise ValueError(f"easy must be 'mean' or a float in (0, 1]; "
                             f"got {self.easy!r}.")
        if not (isinstance(self.power, Real) and self.power >= 1):
            raise ValueError(f"power must be a float >= 1; got "
                             f"{self.power!r}.")
        if not (isinstance(self.anneal, Real) and 0 <= self.anneal <= 1):
            raise ValueError(f"anneal must be in [0, 1]; got "
                             f"{self.anneal!r}.")
        if not (isinstance(self.n_strata, Integral) and self.n_strata >= 1):
            raise ValueError(f"n_strata must be a positive int; got "
                             f"{self.n_strata!r}.")
        if self.rescale and not hasattr(net, "set_batch_weight"):
            raise TypeError(
                f"SamplePruning(rescale=True) needs a net that weights its "
                f"loss per sample (a set_batch_weight method); "
                f"{type(net).__name__} has none. Add "
                "sklearn_dynst.callbacks.SampleWeightMixin to its bases, or "
                "use rescale=False.")

    def initialize(self):
        self.sampler_ = PrunedSampler()
        self.scores_ = None
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._check_params(net)
        self._rng = check_random_state(self.random_state)
        self.scores_ = None
        self._annealed = False
        self._start = len(net.history)  # partial_fit continues a history
        self._saved = {key: getattr(net, key, None) for key in
                       ("iterator_train__sampler", "iterator_train__shuffle")}
        # skorch reads iterator_train__* attributes when it builds each
        # epoch's DataLoader (its set_params refuses them on a fitted net)
        net.iterator_train__sampler = self.sampler_
        net.iterator_train__shuffle = False

    def on_train_end(self, net, **kwargs):
        self._set_weight(net, None)
        for key, value in self._saved.items():
            if value is None:
                net.__dict__.pop(key, None)
            else:
                setattr(net, key, value)

    # ---------------------------------------------------------- epochs
    def _first_epoch(self, dataset_train):
        n_samples = len(dataset_train)
        self.scores_ = np.full(n_samples, np.inf)
        if self.n_strata > 1:
            shift = nonstationarity(_training_inputs(dataset_train),
                                    self.time_axis)
        else:
            shift = np.zeros(n_samples)
        self.strata_ = make_strata(shift, self.n_strata)

    def _stalled(self, net):
        if self.anneal_patience is None:
            return False
        losses = [row.get("valid_loss")
                  for row in net.history[self._start:-1]]
        losses = [v for v in losses if v is not None]
        if len(losses) <= self.anneal_patience:
            return False
        best = int(np.argmin(losses))
        return len(losses) - 1 - best >= self.anneal_patience

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.scores_ is None or len(self.scores_) != len(dataset_train):
            self._first_epoch(dataset_train)
        epoch = len(net.history) - self._start  # 1-based: the row exists
        last_pruned = math.floor((1 - self.anneal) * net.max_epochs)
        self._annealed = self._annealed or self._stalled(net)
        active = (epoch > 1 and epoch <= last_pruned and not self._annealed
                  and self.ratio > 0)
        n_samples = len(self.scores_)
        if active:
            scores = self.scores_
            if self.score == "random":
                scores = self._rng.uniform(size=n_samples)
            order, self.weights_ = prune_samples(
                scores, self.ratio, self.strata_, easy=self.easy,
                rescale=self.rescale, random_state=self._rng)
        else:
            order = self._rng.permutation(n_samples)
            self.weights_ = np.ones(n_samples)
        self.sampler_.set_indices(order)
        self._cursor = 0
        net.history.record("samples_used", len(order))
        net.history.record("sample_share", len(order) / max(n_samples, 1))
        net.history.record("pruning_active", bool(active))

    # --------------------------------------------------------- batches
    def _set_weight(self, net, weight):
        if hasattr(net, "set_batch_weight"):
            net.set_batch_weight(weight)

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training:
            self._set_weight(net, None)
            return
        n = _batch_length(batch)
        positions = self.sampler_.indices[self._cursor:self._cursor + n]
        if len(positions) != n:
            raise RuntimeError(
                "SamplePruning lost track of the batches: the training "
                "iterator yielded more samples than its sampler; does the "
                "net's iterator_train use the callback's sampler?")
        self._positions = positions
        weight = self.weights_[positions] if self.rescale else None
        self._set_weight(net, weight)

    def on_batch_end(self, net, batch=None, training=False, y_pred=None,
                     sample_errors=None, sample_observed=None, **kwargs):
        if not training:
            return
        self._cursor += len(self._positions)
        if self.score == "random":  # drawn afresh each epoch: no scores
            return
        if sample_errors is None:
            sample_errors = self._errors(net, batch, y_pred)
            sample_observed = None
        if sample_observed is not None and self.score == "mean":
            sample_errors = torch.where(sample_observed, sample_errors,
                                        torch.nan)
        if self.score == "mean":
            score = mean_score(sample_errors)
        else:
            score = complexity_score(sample_errors, self.power,
                                     observed=sample_observed)
        score = score.detach().cpu().numpy()
        seen = np.isfinite(score)
        self.scores_[self._positions[seen]] = score[seen]

    @staticmethod
    def _errors(net, batch, y_pred):
        _, yi = unpack_data(batch)
        if y_pred is None or yi is None:
            missing = " and ".join(name for name, value in
                                   [("y_pred", y_pred), ("targets", yi)]
                                   if value is None)
            raise ValueError(
                "SamplePruning scores samples from their errors: the training "
                "step must return y_pred and the batch must hold targets; "
                f"got no {missing}.")
        y_true = to_tensor(yi, device=y_pred.device)
        if y_true.shape != y_pred.shape:
            y_true = y_true.reshape(y_pred.shape)
        return (y_pred.detach() - y_true).abs()

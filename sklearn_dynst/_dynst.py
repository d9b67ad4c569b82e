"""DynSTRegressor: a neural forecaster of every sensor of a network."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseSensorForecaster
from ._pruning import check_pruning_budget, switched_off_share
from .callbacks import (AdaptiveSensorPruning, AlternatingMaskTraining,
                        IterativeSensorPruning)
from .callbacks._sensor_pruning import auto_importance

__all__ = ["DynSTRegressor"]


class DynSTRegressor(BaseSensorForecaster):
    """Forecast every sensor of a network, from as few sensors as asked.

    With ``sparsity > 0`` this is DynST: a learnable score per sensor scales
    its stream-morphed token; training alternates ``n_network_steps`` steps
    on the network with the scores fixed and ``n_mask_steps`` steps on the
    scores with the network fixed, while each active sensor is hidden from
    each sample with probability ``sensor_dropout`` (so the network learns
    to forecast every sensor from the others); after a warm-up of ``2 *
    epochs_per_round`` epochs, ``n_rounds`` rounds each switch off the
    least important share of the active sensors (see ``importance``) until
    ``sparsity`` is reached, with optional swaps (``swap_fraction``) between
    rounds. The network is then fine-tuned on the kept sensors with early
    stopping. Switched-off sensors are removed from the computation (not
    multiplied by zero): ``predict`` accepts ``X`` holding only the kept
    sensors and computes on those alone.

    With ``sparsity=0`` this is the dense neural forecaster: each sensor's
    window is one token (stream-morph), missing readings are imputed and
    flagged to the network, the backbone forecasts the change from each
    sensor's last observed value, and the loss (``loss``) is taken over the
    observed future values of all sensors, in per-sensor standardised units.

    Parameters
    ----------
    sparsity : float in [0, 1) or "auto", default=0.0
        Fraction of sensors to switch off (of their total cost, with
        ``sensor_costs``). "auto" lets the training choose it (PALS, see
        :class:`~sklearn_dynst.callbacks.AdaptiveSensorPruning` and the
        parameters ``update_every`` to ``decision_share``): starting from
        every sensor, it shrinks while the validation error (MAE in the
        target's units) stays within ``tolerance`` times the best seen, and
        expands when it does not;
        the level reached is ``sparsity_``, the path in ``history_``.
    pruning : {"iterative", "one-shot", "dst"}, default="iterative"
        "iterative" is DynST's schedule above. "one-shot" trains as long,
        then prunes once to ``sparsity``. "dst" is fixed-sparsity dynamic
        sparse training: a random set of sensors at ``sparsity`` from the
        start, and each round swaps the share of the active sensors that an
        iterative round would prune (at least ``swap_fraction``). The last
        two are the training-scheme ablation of the DynST paper (Table 4);
        ``sparsity="auto"`` needs "iterative".
    importance : {"auto", "absence", "removal", "magnitude"}, default="auto"
        What each round prunes, the sensors that matter least by:

        - "absence": each sensor's own forecast error when the training's
          sensor dropout hid it, minus its error when it did not, averaged
          over the round's training batches (free: no extra pass). A sensor
          whose future its neighbours predict well costs little to switch
          off. Needs ``sensor_dropout > 0`` and ``y`` holding the sensors of
          ``X`` (forecasting or reconstructing the network itself).
        - "removal": an empirical Fisher estimate in each sensor's presence
          (which scales its data and its own last value): how much the loss
          depends on it, for any ``y``.
        - "magnitude": the smallest learned score (DynST's Eq. 4).

        "auto" is "absence" where it applies; without the covering removal
        (``coverage=False``, or no interpolated bases) only up to
        ``sparsity`` 0.8, "removal" beyond. With ``sparsity="auto"`` it is
        "absence" up to each update's current sparsity 0.8 and "removal"
        beyond, covering or not (on METR-LA, 3 seeds, the absence cost
        beyond 0.8 made PALS end sparser, at test MAE 4.528 against
        4.449). Where the absence cost does not apply, "auto" is
        "removal". The absence cost counts what a sensor's own forecast
        loses, not what the others lose without it; ``coverage`` adds that.
        Without ``coverage`` and without interpolated bases, on METR-LA (3
        seeds, mean test MAE) "absence" gave 3.90, 3.98, 4.15 and 4.81 at
        sparsity 0.3, 0.5, 0.7 and 0.9, against 4.06, 4.18, 4.37 and 4.78
        for random subsets through the same forecaster; at 0.9 "removal"
        gave 4.56 (random subsets 4.75). With the covering removal, at 0.9
        (3 seeds) "absence" / "removal" gave Beijing PM2.5 33.15 / 34.12,
        SZ-taxi 3.245 / 3.250, ERA5 0.911 / 0.924 K and METR-LA 4.650 /
        4.523: better on three sets of four. Swaps drop the
        active sensors of least value (least Fisher value, for "magnitude"
        the smallest mask gradient) and regrow the switched-off ones whose
        return lowers the loss most (largest mask gradient). On METR-LA at
        sparsity 0.5 (one seed, all sensors: MAE 3.91), "absence" gave test
        MAE 3.94, "removal" 4.03, and the same forecaster on PySensors' QR
        selection 4.00; without sensor dropout "removal" gave 4.32,
        "magnitude" 4.69 and a random half 4.44.
    n_rounds : int, default=10
        Pruning rounds (the DynST paper's 10); each removes the same share
        of the sensors still active.
    epochs_per_round : int, default=2
        Epochs between rounds (and half of the warm-up).
    swap_fraction : float, default=0.0
        Share of the active sensors swapped half-way between rounds
        (DynST's q, much smaller than the share a round prunes); 0 disables
        swaps. Off by default because it was measured to hurt: on METR-LA
        at sparsity 0.5 (seeds 0-2, with the adjacency) q = 0.02 gave test
        MAE 4.002 / 3.963 / 4.075 and q = 0 gave 3.983 / 3.965 / 3.993
        (all sensors: 3.91). Every swap exchanges that many sensors whether
        or not the exchange helps, and a forced exchange undoes part of the
        round's choice.
    n_network_steps, n_mask_steps : int, default=4 and 1
        DynST's R and M: batches on the network, then on the scores.
    mask_lr : float, default=1e-2
        Learning rate of the sensor scores (their own parameter group).
    sensor_dropout : float in [0, 1), default=0.5
        While pruning (not in the fine-tuning), the probability that an
        active sensor is absent from a training sample: its token is
        zeroed and its last value replaced by what a switched-off sensor
        gets (see ``residual``), exactly as if it were switched off. The
        network so learns to forecast each sensor from the others, and the
        removal criterion sees which sensors the others can stand in for (a
        network that always saw every sensor relies on each one's own
        history, and every sensor looks indispensable). On METR-LA (one
        seed; all sensors: MAE 3.91) at sparsity 0.5, rates 0, 0.2, 0.5 and
        0.7 gave 4.32, 4.09, 4.03 and 4.08; at sparsity 0.3, 0.3 and 0.5
        gave 3.95 and 3.93; at sparsity 0.9, 0.5 and 0.9 gave 4.58 and 4.71.
    required_sensors : array-like of int or bool, default=None
        Sensors never switched off (indices, or a mask over sensors).
    sensor_costs : array-like of shape (n_sensors,), default=None
        Positive cost per sensor; ``sparsity`` then is the share of the total
        cost switched off.
    coverage : bool, default=True
        With interpolated bases (see ``residual``) and the "absence" or
        "removal" importance: each round switches sensors off one at a
        time, each time the one whose removal adds least to a modelled
        cost, its own importance per unit of interpolation error times that
        error's variance given the other kept sensors, plus what the
        sensors already off lose when they can no longer lean on it
        (:func:`~sklearn_dynst._pruning.prune_covering`). The absence
        costs are first shrunk towards their mean by their measured noise,
        so that where they are all noise coverage alone decides. With
        ``sparsity="auto"`` each PALS shrink that regrows nothing
        switches its sensors off the same way. False ranks by importance
        once per round. Test MAE with / without it
        (interpolated bases both times) at sparsity 0.3, 0.5, 0.7, 0.9:
        METR-LA (3 seeds) 3.887 / 3.868, 3.917 / 3.958, 4.064 / 4.150,
        4.507 / 4.810 mph (dense 3.909); ERA5 (seed 0) 0.953 / 0.949,
        0.918 / 0.951, 0.920 / 0.937, 0.925 / 0.969 K (dense 0.913).
    update_every : int or "auto", default="auto"
        With ``sparsity="auto"``: training steps between PALS updates.
        "auto" is the public PALS code's 20 when the decision period holds
        at least 60 updates, fewer steps otherwise (small data sets).
    tolerance : float >= 1, default=1.1
        With ``sparsity="auto"``: PALS's lambda, the validation error (MAE
        in the target's units) allowed relative to the best seen.
    growth : float > 1, default=1.1
        With ``sparsity="auto"``: PALS's gamma, how many times more sensors
        a shrink prunes than it regrows (an expand: regrows than prunes).
    initial_rate, final_rate : float, default=0.5, 0.005
        With ``sparsity="auto"``: share of the active sensors exchanged per
        update, decaying along a cosine.
    max_sparsity : float, default=0.9
        With ``sparsity="auto"``: never shrink at or beyond it.
    min_sparsity : float, default=0.2
        With ``sparsity="auto"``: always shrink below it.
    decision_share : float, default=2/3
        With ``sparsity="auto"``: updates happen from the end of the
        warm-up (``2 * epochs_per_round`` epochs on every sensor) to this
        share of the pruning phase (``(2 + n_rounds) * epochs_per_round``
        epochs); the rest trains the chosen set.
    backbone : {"mlp", "gru", "graph", "transformer", "cnn"} or nn.Module class, default="mlp"
        Network mapping the sensor tokens to the forecast (see
        :mod:`sklearn_dynst.backbones`). ``"graph"`` needs ``adjacency``;
        ``"cnn"`` is meant for grid data with ``patch_size``.
    backbone_params : dict, default=None
        Extra arguments of the backbone, e.g. ``{"hidden_size": 128}``.
    adjacency : array-like of shape (n_sensors, n_sensors), default=None
        Non-negative edge weights between sensors.
    patch_size : int, default=None
        Patch edge for grid data ``(n_samples, n_steps, n_channels, height,
        width)``; each patch is one sensor region.
    residual : {"auto", "interpolate", "last"} or bool, default="auto"
        Forecast the change from the last observed value, which needs ``y``
        to hold the same sensors and values per step as ``X``. A
        switched-off sensor's last value is never read; "interpolate" (or
        True) starts its forecast from the expected value of that reading
        given the kept sensors' last readings (a Gaussian conditional mean
        whose covariance is estimated on the training windows, see
        :func:`~sklearn_dynst._network.interpolation_maps`), "last" from
        nothing (the backbone forecasts its level). "auto" is "interpolate"
        when ``y`` allows a residual, else False. How much each sensor's
        forecast at each step leans on its estimate is learned. While
        pruning, a sensor hidden by ``sensor_dropout`` starts from its
        estimate given the sensors present in its sample, as it would if
        switched off. Measured at sparsity 0.5 (seed 0, test MAE,
        "last" -> "interpolate"): ERA5 1.059 -> 0.951 K (dense 0.913),
        METR-LA 3.983 -> 3.934 mph (dense 3.900); see the user guide for
        every sparsity. Costs a ``(n_sensors, n_sensors)`` covariance (per
        value) in the fitted model.
    loss : {"mae", "mse", "huber"}, default="mae"
        Training loss over the observed future values, in per-sensor
        standardised units. "mse" is the DynST paper's Eq. 8; the default
        "mae" optimises the metric forecasts are judged by and gave lower
        test MAE than "mse" on METR-LA, SZ-taxi and Beijing PM2.5 (see
        ``benchmarks/``).
    max_epochs : int, default=100
        Upper bound on training epochs (early stopping usually ends sooner).
    batch_size : int, default=64
    lr : float, default=1e-3
        Learning rate of AdamW.
    weight_decay : float, default=1e-4
    validation_fraction : float or None, default=0.1
        Share of the *last* training samples held out for early stopping
        (chronological; ``horizon - 1`` samples before them are skipped so
        that no training target overlaps a validation target). None trains
        on everything for ``max_epochs``.
    patience : int or None, default=10
        Epochs without improvement of the validation loss before stopping;
        the best weights are restored. None disables early stopping.
    sample_pruning : float, SamplePruning or None, default=None
        ST-Prune: each epoch, leave this share of the easy training samples
        out (they cost no forward or backward pass) and up-weight the kept
        easy ones so the loss stays unbiased; see
        :class:`~sklearn_dynst.callbacks.SamplePruning`, whose defaults the
        float uses (full data in the last ``anneal`` share of
        ``max_epochs``; with early stopping, training usually ends before
        that). Pass a ``SamplePruning`` to set its other parameters, e.g.
        ``anneal_patience`` (its ``time_axis`` is set by the estimator).
        None trains on every sample every epoch.
    weight_sparsity : float, "auto" or None, default=None
        Unstructured sparsity of the backbone's linear and convolution
        weights and of the decoder's sensor mixing (see
        :class:`~sklearn_dynst.callbacks.WeightPruning`): a share of those
        weights switched off, reached along a cubic schedule during the
        pruning phase with RigL updates (magnitude drop, gradient regrow),
        or "auto" (PALS decides, with the same controller parameters as
        ``sparsity="auto"``). The share of all backbone parameters removed
        is ``weight_sparsity_``; a saved model stores the pruned tensors as
        bit masks plus kept values.
    device : str, default="auto"
        Torch device; "auto" uses CUDA when available, else the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and dropout.
    verbose : int, default=0
        0 silent, 1 one line per epoch, 2 also progress bars for fit and
        predict.

    Attributes
    ----------
    net_ : ForecastNet
        The fitted skorch net; ``net_.module_`` is the torch network.
    support_ : ndarray of bool of shape (`n_features_in_`,)
        Kept sensors (grid patches in row-major order for grid data).
    support_grid_ : ndarray of bool of shape (height // patch_size, width // patch_size)
        ``support_`` on the patch grid; only for grid data.
    sensor_scores_ : ndarray of shape (`n_features_in_`,)
        Importance of each sensor as the pruning measured it (see
        ``importance``), only when ``sparsity > 0``: kept sensors hold their
        value in the last round, switched-off ones the value that made them
        go. Higher is more important.
    weight_sparsity_ : float
        Share of the backbone's parameters switched off by
        ``weight_sparsity`` (biases and embeddings count, and stay dense);
        only with ``weight_sparsity``.
    sparsity_ : float
        Fraction of sensors (of their cost, with ``sensor_costs``) switched
        off; with ``sparsity="auto"`` the level PALS chose.
    history_ : list of dict
        Per epoch: ``train_loss``, ``valid_loss``, ``dur`` (seconds),
        ``n_active_sensors``, ``sparsity``, ``sample_share`` (share of the
        training samples used, below 1 with ``sample_pruning``, which also
        logs ``samples_used`` and ``pruning_active``) and, while pruning
        sensors, ``round``, ``event_pruning`` (e.g. "prune round 3",
        "swap 4") and ``mask_steps`` (optimiser steps on the sensor scores
        so far); with ``sparsity="auto"``, ``sparsity_updates`` (that
        epoch's PALS updates: step, loss, best loss, decision, sparsity);
        with ``weight_sparsity``, ``weight_sparsity`` (share of the
        prunable weights off).
    n_features_in_ : int
        Number of sensors (or grid patches) seen in ``fit``.
    feature_names_in_ : ndarray of str of shape (`n_features_in_`,)
        Sensor names, when ``X`` was a DataFrame with string columns.
    input_layout_, target_layout_ : SensorLayout
        Layouts of ``X`` and ``y`` seen in ``fit``.
    target_shape_ : tuple
        Shape of one sample of ``y``; ``predict`` returns this shape.

    See Also
    --------
    sklearn_dynst.baselines.PersistenceRegressor : Repeat the last value.
    sklearn_dynst.make_windows : Cut a series into ``X``, ``y`` windows.

    Notes
    -----
    Cost per sample of the default backbone: ``O(n_kept * n_steps *
    n_channels * d)`` to encode and ``O(n_outputs * n_kept * d)`` to decode,
    with ``d`` the hidden size.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst import DynSTRegressor, make_windows
    >>> t = np.arange(400)
    >>> series = np.sin(t[:, None] / 10 + np.arange(4))
    >>> X, y = make_windows(series, n_steps_in=8, horizon=3)
    >>> model = DynSTRegressor(max_epochs=5, random_state=0).fit(X, y)
    >>> model.predict(X[:2]).shape
    (2, 3, 4)
    """

    _parameter_constraints = {
        **BaseSensorForecaster._parameter_constraints,
        "sparsity": [Interval(Real, 0, 1, closed="left"),
                     StrOptions({"auto"})],
        "pruning": [StrOptions({"iterative", "one-shot", "dst"})],
        "importance": [StrOptions({"auto", "absence", "removal", "magnitude"})],
        "n_rounds": [Interval(Integral, 1, None, closed="left")],
        "epochs_per_round": [Interval(Integral, 1, None, closed="left")],
        "swap_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_network_steps": [Interval(Integral, 1, None, closed="left")],
        "n_mask_steps": [Interval(Integral, 1, None, closed="left")],
        "mask_lr": [Interval(Real, 0, None, closed="neither")],
        "sensor_dropout": [Interval(Real, 0, 1, closed="left")],
        "required_sensors": ["array-like", None],
        "sensor_costs": ["array-like", None],
        "coverage": ["boolean"],
        "update_every": [Interval(Integral, 1, None, closed="left"),
                         StrOptions({"auto"})],
        "tolerance": [Interval(Real, 1, None, closed="left")],
        "growth": [Interval(Real, 1, None, closed="neither")],
        "initial_rate": [Interval(Real, 0, 1, closed="right")],
        "final_rate": [Interval(Real, 0, 1, closed="right")],
        "max_sparsity": [Interval(Real, 0, 1, closed="neither")],
        "min_sparsity": [Interval(Real, 0, 1, closed="left")],
        "decision_share": [Interval(Real, 0, 1, closed="right")],
    }

    def _warm_up_epochs(self):
        return 2 * self.epochs_per_round

    def _expected_n_kept(self):
        """The sensors left at ``sparsity`` (by count, also with
        ``sensor_costs``); with "auto" those left at ``max_sparsity``, the
        level PALS ends near on redundant networks (0.75 to 0.9 on METR-LA,
        SZ-taxi and Beijing PM2.5); see the user guide, *Forecasting every
        sensor*."""
        n_sensors = self.n_features_in_
        share = self.max_sparsity if self.sparsity == "auto" \
            else self.sparsity
        return max(1, round(n_sensors * (1 - share)))

    def _phase_epochs(self):
        return self._warm_up_epochs() + self.n_rounds * self.epochs_per_round

    def _pals_params(self):
        return {"update_every": self.update_every,
                "tolerance": self.tolerance, "growth": self.growth,
                "initial_rate": self.initial_rate,
                "final_rate": self.final_rate,
                "max_sparsity": self.max_sparsity,
                "min_sparsity": self.min_sparsity,
                "decision_share": self.decision_share}

    def __init__(self, sparsity=0.0, *, pruning="iterative",
                 importance="auto", n_rounds=10,
                 epochs_per_round=2, swap_fraction=0.0, n_network_steps=4,
                 n_mask_steps=1, mask_lr=1e-2, sensor_dropout=0.5,
                 required_sensors=None, sensor_costs=None, coverage=True,
                 update_every="auto", tolerance=1.1, growth=1.1,
                 initial_rate=0.5, final_rate=0.005, max_sparsity=0.9,
                 min_sparsity=0.2, decision_share=2 / 3, backbone="mlp", backbone_params=None,
                 adjacency=None, patch_size=None, residual="auto",
                 loss="mae", max_epochs=100, batch_size=64, lr=1e-3,
                 weight_decay=1e-4, validation_fraction=0.1, patience=10,
                 sample_pruning=None, weight_sparsity=None, device="auto",
                 random_state=None, verbose=0):
        self.sparsity = sparsity
        self.pruning = pruning
        self.importance = importance
        self.n_rounds = n_rounds
        self.epochs_per_round = epochs_per_round
        self.swap_fraction = swap_fraction
        self.n_network_steps = n_network_steps
        self.n_mask_steps = n_mask_steps
        self.mask_lr = mask_lr
        self.sensor_dropout = sensor_dropout
        self.required_sensors = required_sensors
        self.sensor_costs = sensor_costs
        self.coverage = coverage
        self.update_every = update_every
        self.tolerance = tolerance
        self.growth = growth
        self.initial_rate = initial_rate
        self.final_rate = final_rate
        self.max_sparsity = max_sparsity
        self.min_sparsity = min_sparsity
        self.decision_share = decision_share
        self.backbone = backbone
        self.backbone_params = backbone_params
        self.adjacency = adjacency
        self.patch_size = patch_size
        self.residual = residual
        self.loss = loss
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.sample_pruning = sample_pruning
        self.weight_sparsity = weight_sparsity
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the forecaster.

        Parameters
        ----------
        X : array-like or DataFrame
            Input windows: ``(n_samples, n_sensors)``, ``(n_samples, n_steps,
            n_sensors[, n_channels])``, grid ``(n_samples, n_steps,
            n_channels, height, width)`` with ``patch_size``, or a window
            frame from ``make_windows(..., as_frame=True)``. NaN marks
            missing readings. Samples are in time order.
        y : array-like or DataFrame
            Targets in one of the same layouts (e.g. the next ``horizon``
            steps of every sensor) or 1-D; NaN truths are left out of the
            loss.

        Returns
        -------
        self : DynSTRegressor
        """
        X_tokens, y_tokens = self._validate_fit_data(X, y)
        if self.sparsity == 0:
            self.support_ = np.ones(self.n_features_in_, dtype=bool)
            self.__dict__.pop("sensor_scores_", None)  # from an earlier fit
            self.net_ = self._fit_net(X_tokens, y_tokens)
        else:
            self._fit_pruned(X_tokens, y_tokens)
        self.sparsity_ = switched_off_share(self.support_, self.sensor_costs)
        self._record_weight_sparsity()
        if self.input_layout_.is_grid:
            self.support_grid_ = self.support_.reshape(
                self.input_layout_.patch_grid)
        else:
            self.__dict__.pop("support_grid_", None)
        self.history_ = self._record_history(self.net_)
        return self

    def _constraints(self):
        """Required-sensor mask and costs, checked against the data."""
        n_sensors = self.n_features_in_
        required = np.zeros(n_sensors, dtype=bool)
        if self.required_sensors is not None:
            given = np.asarray(self.required_sensors)
            if given.dtype == bool:
                if given.shape != (n_sensors,):
                    raise ValueError(
                        f"required_sensors as a mask must have shape "
                        f"({n_sensors},); got {given.shape}."
                    )
                required = given.copy()
            else:
                if given.size and (given.min() < 0 or given.max() >= n_sensors):
                    raise ValueError(
                        f"required_sensors must be sensor indices in [0, "
                        f"{n_sensors}); got {given.tolist()}."
                    )
                required[given.astype(int)] = True
        costs = None if self.sensor_costs is None else \
            np.asarray(self.sensor_costs, dtype=float)
        check_pruning_budget(0.0 if self.sparsity == "auto" else
                             self.sparsity, n_sensors, required=required,
                             costs=costs, costs_name="sensor_costs")
        return required, costs

    def _importance(self):
        if self.importance != "auto":
            return self.importance
        itself = self.target_layout_.n_sensors == self.n_features_in_
        applies = itself and self.sensor_dropout > 0
        if not applies:
            return "removal"
        if self.sparsity == "auto":  # the callback decides per update
            return "auto"
        covering = self.coverage and self._residual(self.input_layout_,
                                                    self.target_layout_)[1]
        return auto_importance(self.sparsity, covering)

    def _fit_pruned(self, X_tokens, y_tokens):
        """DynST: learn sensor scores, prune in rounds, fine-tune the rest."""
        if self.sparsity == "auto" and self.pruning != "iterative":
            raise ValueError(
                f"sparsity='auto' (PALS) decides the level round by round and "
                f"needs pruning='iterative'; got pruning={self.pruning!r}.")
        required, costs = self._constraints()
        warm_up, n_epochs = self._warm_up_epochs(), self._phase_epochs()
        prune_epochs = [warm_up + (r + 1) * self.epochs_per_round
                        for r in range(self.n_rounds)]
        swap_fraction, start = self.swap_fraction, "dense"
        if self.pruning == "one-shot":  # train as long, score once at the end
            prune_epochs, swap_fraction = [n_epochs], 0.0
        elif self.pruning == "dst":  # as much change per round as pruning
            start = "random"
            swap_fraction = max(swap_fraction,
                                1 - (1 - self.sparsity) ** (1 / self.n_rounds))
        if self.sparsity == "auto":
            pruner = AdaptiveSensorPruning(
                **self._pals_params(), warm_up=warm_up, required=required,
                costs=costs, importance=self._importance(),
                swap_fraction=self.swap_fraction, coverage=self.coverage)
        else:
            pruner = IterativeSensorPruning(
                self.sparsity, prune_epochs, swap_fraction=swap_fraction,
                required=required, costs=costs,
                importance=self._importance(), start=start,
                coverage=self.coverage)
        callbacks = [
            ("alternate", AlternatingMaskTraining(self.n_network_steps,
                                                  self.n_mask_steps)),
            ("prune", pruner),
        ]
        self.net_ = self._fit_net(X_tokens, y_tokens, pruning={
            "callbacks": callbacks, "n_epochs": n_epochs,
            "mask_lr": self.mask_lr,
            "sensor_dropout": self.sensor_dropout})
        module = self.net_.module_
        self.support_ = np.zeros(self.n_features_in_, dtype=bool)
        self.support_[module.sensor_index.cpu().numpy()] = True
        self.sensor_scores_ = pruner.scores_.copy()

"""Machinery shared by the package's neural forecasters.

:class:`BaseSensorForecaster` validates data, brings it to the token layout,
builds the :class:`~sklearn_dynst._network.ForecastNetwork` and its
:class:`~sklearn_dynst._net.ForecastNet`, trains it reproducibly, and predicts
in original units and in the layout of the ``y`` given to ``fit``. Method
estimators (DynST, Dyna-Pruner) subclass it and add their own training
policies as skorch callbacks.
"""

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import EarlyStopping, GradientNormClipping, \
    LRScheduler, ProgressBar
from torch.optim.lr_scheduler import ReduceLROnPlateau

from ._layouts import from_tokens, take_sensors, to_tokens
from ._net import SAMPLE_INDEX, ChronologicalSplit, ForecastNet, \
    MaskedLoss, lr_scale_groups, resolve_device
from ._masks import SensorGate
from ._network import ForecastNetwork, last_value_covariance
from ._pruning import switched_off_share
from ._scaling import Standardizer, fit_standardizer
from .callbacks import SamplePruning, WeightPruning
from ._validation import check_adjacency, check_chronological, \
    check_coverage, check_n_sensors, check_sensor_array, check_sensor_names, \
    check_target
from .backbones import BACKBONES, make_backbone
from .metrics import masked_r2_score
from .metrics._torch import LOSSES

__all__ = ["BaseSensorForecaster"]


def _as_float32(array):
    """C-contiguous, writeable float32 (torch refuses read-only views)."""
    return np.require(array, dtype=np.float32, requirements=["C", "W"])


def _release_training_state(net):
    """Drop what only further training would use, so that a saved model
    holds little more than its weights: the optimiser (its moments, and its
    references to every parameter, which would be pickled a second time,
    densely) and the learning-rate scheduler's reference to it.
    ``net.partial_fit`` still works: :class:`ForecastNet` builds a fresh
    optimiser."""
    net.optimizer_ = None
    for _, callback in net.callbacks_:
        if hasattr(callback, "lr_scheduler_"):
            callback.lr_scheduler_ = None
    return net


class BaseSensorForecaster(TransformerMixin, RegressorMixin, BaseEstimator,
                           auto_wrap_output_keys=None):
    """Base class of the neural sensor forecasters (not for direct use).

    Besides ``fit``/``predict`` it is a transformer: ``transform`` keeps the
    kept sensors of ``X``, so a fitted forecaster can feed its selection to
    another estimator.
    """

    _parameter_constraints = {
        "backbone": [StrOptions(set(BACKBONES)), type],
        "backbone_params": [dict, None],
        "adjacency": ["array-like", "sparse matrix", None],
        "patch_size": [Interval(Integral, 1, None, closed="left"), None],
        "residual": ["boolean", StrOptions({"auto", "interpolate", "last"})],
        "loss": [StrOptions(set(LOSSES))],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "sample_pruning": [Interval(Real, 0, 1, closed="left"),
                           SamplePruning, None],
        "weight_sparsity": [Interval(Real, 0, 1, closed="left"),
                            StrOptions({"auto"}), None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------------ data
    def _validate_fit_data(self, X, y):
        """Check ``X`` and ``y`` for fit; return their token layouts."""
        if hasattr(X, "index"):
            check_chronological(X.index, name="X")
        check_sensor_names(self, X, reset=True)
        X_arr, x_layout = check_sensor_array(X, patch_size=self.patch_size)
        y_arr, y_layout, target_shape = check_target(
            y, X_arr, patch_size=self.patch_size, estimator=self)
        X_tokens, y_tokens = to_tokens(X_arr, x_layout), to_tokens(y_arr,
                                                                   y_layout)
        check_coverage(X_tokens, name="X")
        check_coverage(y_tokens, name="y")
        self.n_features_in_ = x_layout.n_sensors
        self.input_layout_ = x_layout
        self.target_layout_ = y_layout
        self.target_shape_ = target_shape
        return X_tokens, y_tokens

    def _validate_predict_data(self, X):
        """Check ``X`` after fit (all sensors, or the kept ones)."""
        check_is_fitted(self)
        check_sensor_names(self, X, reset=False, kept=self.support_)
        X_arr, layout = check_sensor_array(X, patch_size=self.patch_size)
        fitted = self.input_layout_
        patchified = fitted.is_grid and layout.ndim == 4
        check_n_sensors(self, layout, kept=int(np.sum(self.support_)))
        if patchified:  # grid patches as returned by transform or patchify
            expected = (fitted.n_steps, layout.n_sensors, fitted.n_values)
        else:
            expected = fitted.sample_shape(layout.n_sensors)
        if (layout.ndim != fitted.ndim and not patchified) \
                or X_arr.shape[1:] != expected:
            raise ValueError(
                f"X must have samples of shape {expected} {fitted.axes}, as "
                f"in fit; got samples of shape {X_arr.shape[1:]}."
            )
        tokens = X_arr.transpose(0, 2, 1, 3) if patchified else to_tokens(
            X_arr, layout)
        check_coverage(tokens, name="X", check_sensors=False)
        return tokens, layout

    # --------------------------------------------------------------- network
    def _residual(self, x_layout, y_layout):
        """Whether the network forecasts changes, and whether switched-off
        sensors' bases are interpolated from the kept sensors."""
        compatible = (x_layout.n_sensors == y_layout.n_sensors
                      and x_layout.n_values == y_layout.n_values)
        if self.residual not in ("auto", False) and not compatible:
            raise ValueError(
                f"residual={self.residual!r} forecasts the change from the "
                "last observed value, which needs y to hold the same sensors "
                f"and values per step as X; got X with {x_layout.n_sensors} "
                f"sensors x {x_layout.n_values} values and y with "
                f"{y_layout.n_sensors} x {y_layout.n_values}. Use "
                "residual='auto' or False."
            )
        residual = self.residual is not False and compatible
        return residual, residual and self.residual != "last"

    def _make_module(self, X_tokens, y_tokens, sensor_index=None, gate=False,
                     sensor_dropout=0.0):
        """Build the forecasting network for data in token layout.

        ``gate=True`` adds a :class:`~sklearn_dynst._masks.SensorGate` (a
        learnable score per sensor) for sensor pruning; ``sensor_dropout``
        is the network's training-time sensor absence rate.
        """
        _, n_sensors, n_steps, n_values = X_tokens.shape
        _, n_outputs, horizon, out_values = y_tokens.shape
        adjacency = None
        if self.adjacency is not None:
            adjacency = torch.as_tensor(
                check_adjacency(self.adjacency, n_sensors), dtype=torch.float32)
        problem = {
            "n_sensors": n_sensors, "in_features": n_steps * 2 * n_values,
            "n_outputs": n_outputs, "out_features": horizon * out_values,
            "n_steps": n_steps, "in_channels": 2 * n_values,
            "horizon": horizon, "out_channels": out_values,
            "adjacency": adjacency, "patch_size": self.patch_size,
        }
        backbone = make_backbone(self.backbone, problem, self.backbone_params)
        target_scaler = Standardizer(*fit_standardizer(y_tokens))
        residual, interpolate = self._residual(self.input_layout_,
                                               self.target_layout_)
        covariance = None
        if interpolate and (gate or sensor_index is not None):
            covariance = last_value_covariance(
                torch.as_tensor(_as_float32(X_tokens)), target_scaler)
        return ForecastNetwork(
            backbone,
            Standardizer(*fit_standardizer(X_tokens)),
            target_scaler,
            horizon,
            sensor_index=sensor_index,
            residual=residual,
            gate=SensorGate(n_sensors) if gate else None,
            sensor_dropout=sensor_dropout,
            token_pruner=self._token_pruner(problem["in_features"]),
            base_covariance=covariance,
        )

    def _token_pruner(self, in_features):
        """Input-adaptive token masks of the network (none here)."""
        return None

    def _sample_pruning(self, seed):
        """The :class:`SamplePruning` callback asked for, or None."""
        if self.sample_pruning is None:
            return None
        # the network reads (sensor, step, value) tokens: time is axis 2
        if isinstance(self.sample_pruning, SamplePruning):
            callback = copy.deepcopy(self.sample_pruning)
            callback.set_params(time_axis=2)
            return callback
        return SamplePruning(self.sample_pruning, time_axis=2,
                             random_state=seed)

    def _expected_n_kept(self):
        """Sensors the fitted network is expected to read, for the
        backbone's learning-rate factors (``lr_scales``): all of them,
        unless a subclass prunes."""
        return self.n_features_in_

    def _warm_up_epochs(self):
        """Dense epochs before the first pruning decision (4: DynST's
        default schedule; DynST derives it from its parameters)."""
        return 4

    def _phase_epochs(self):
        """Epochs of the pruning phase, warm-up included, before the
        fine-tuning (24: DynST's default schedule of 10 rounds of 2
        epochs; DynST derives it from its parameters)."""
        return 24

    def _pals_params(self):
        """The PALS controller's parameters (none in the base class)."""
        return {}

    def _weight_callbacks(self, update):
        """Weight sparsity's callback: deciding (pruning phase) or only
        keeping the masks (fine-tuning)."""
        if self.weight_sparsity is None:
            return []
        return [("weight_pruning", WeightPruning(
            self.weight_sparsity, update=update,
            warm_up=self._warm_up_epochs(),
            **self._pals_params()))]

    def _early_stopping(self):
        return self.validation_fraction is not None \
            and self.patience is not None

    def _training_callbacks(self, adaptive=True, seed=None,
                            lr_plateau=False):
        """Clipping, sample pruning when asked, and with ``adaptive`` the
        plateau LR and early stopping (with ``lr_plateau`` the plateau LR
        alone)."""
        callbacks = [("clip", GradientNormClipping(gradient_clip_value=5.0))]
        sample_pruning = self._sample_pruning(seed)
        if sample_pruning is not None:
            callbacks.append(("sample_pruning", sample_pruning))
        if (adaptive or lr_plateau) and self._early_stopping():
            callbacks.append(("lr_scheduler", LRScheduler(
                ReduceLROnPlateau, monitor="valid_loss", factor=0.5,
                patience=max(1, self.patience // 4))))
        if adaptive and self._early_stopping():
            callbacks.append(("early_stopping", EarlyStopping(
                monitor="valid_loss", patience=self.patience,
                load_best=True)))
        if self.verbose >= 2:
            callbacks.append(("progress", ProgressBar()))
        return callbacks

    def _make_net(self, module, callbacks=None, **params):
        """Wrap ``module`` in a :class:`ForecastNet` with our defaults."""
        split = None
        if self.validation_fraction is not None:
            gap = self.target_layout_.n_steps - 1
            split = ChronologicalSplit(self.validation_fraction, gap=gap)
        if callbacks is None:
            callbacks = self._training_callbacks()
        # parameters the backbone trains at a scaled rate (the all-sensor
        # decoder's mixing over many sensors), after the caller's groups
        groups = list(params.pop("optimizer__param_groups", [])) \
            + lr_scale_groups(module, self.lr, self._expected_n_kept())
        if groups:
            params["optimizer__param_groups"] = groups
        return ForecastNet(**{
            "module": module,
            "criterion": MaskedLoss,
            "criterion__loss": self.loss,
            "optimizer": torch.optim.AdamW,
            "optimizer__weight_decay": self.weight_decay,
            "lr": self.lr,
            "max_epochs": self.max_epochs,
            "batch_size": self.batch_size,
            "iterator_train__shuffle": True,
            "train_split": split,
            "callbacks": callbacks,
            "device": resolve_device(self.device),
            "verbose": int(self.verbose),
            **params,
        })

    def _fit_net(self, X_tokens, y_tokens, pruning=None):
        """Train a fresh network; return the fitted :class:`ForecastNet`.

        With ``weight_sparsity`` the same two phases run, the weights' masks
        decided in the first and kept in the second.

        ``pruning``, a dict with ``callbacks``, ``n_epochs``, ``mask_lr``
        and ``sensor_dropout``, first trains a gated network for
        ``n_epochs`` under those callbacks with that sensor absence rate (no
        early stopping: pruning rounds raise the validation loss on
        purpose), then freezes the sensor scores and fine-tunes the pruned
        network, every kept sensor present, with early stopping, whose
        best-weights snapshot therefore only ever holds the final set of
        sensors.

        Weight initialisation, shuffling and dropout draw from torch's global
        generator inside :func:`torch.random.fork_rng`, seeded from
        ``random_state``: results are reproducible and the caller's global
        random state is left untouched.
        """
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        device = resolve_device(self.device)
        cuda = [torch.cuda.current_device()] if str(device).startswith(
            "cuda") else []
        X_dict = {"x": _as_float32(X_tokens),
                  SAMPLE_INDEX: np.arange(len(X_tokens))}
        y_arr = _as_float32(y_tokens)
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(seed)
            weights = self.weight_sparsity is not None
            if pruning is None and not weights:
                module = self._make_module(X_tokens, y_tokens)
                return _release_training_state(self._make_net(
                    module, self._training_callbacks(seed=seed)).fit(
                        X_dict, y_arr))
            gate = pruning is not None
            module = self._make_module(
                X_tokens, y_tokens, gate=gate,
                sensor_dropout=pruning["sensor_dropout"] if gate else 0.0)
            params = {"max_epochs": pruning["n_epochs"] if gate
                      else self._phase_epochs()}
            if gate:
                params["optimizer__param_groups"] = [
                    ("gate.scores", {"lr": pruning["mask_lr"],
                                     "weight_decay": 0.0})]
            if module.base_trust is not None:
                # the trust in interpolated bases must be able to fall far
                # within a short training. Measured (DynST, seed 0, test MAE
                # at the network's LR -> at 10 times it): METR-LA 3.895 ->
                # 3.888, 3.977 -> 3.934, 4.119 -> 4.249, 5.043 -> 4.778 at
                # sparsity 0.3 / 0.5 / 0.7 / 0.9; ERA5 at 0.5 0.924 -> 0.951:
                # no clear winner on one seed; kept for the worst case (0.9)
                params.setdefault("optimizer__param_groups", []).append(
                    ("base_trust", {"lr": 10 * self.lr, "weight_decay": 0.0}))
            net = self._make_net(
                module,
                callbacks=(list(pruning["callbacks"]) if gate else [])
                + self._weight_callbacks(update=True)
                # weights alone: lower the LR on plateaus, or the fixed-length
                # phase overfits small data (METR-LA at weight_sparsity=0.5:
                # MAE 4.25 without, 3.97 with; dense 3.90)
                + self._training_callbacks(adaptive=False, seed=seed,
                                           lr_plateau=not gate),
                **params).fit(X_dict, y_arr)
            if gate:
                module.gate.scores.requires_grad_(False)
                module.sensor_dropout = 0.0
                module.__dict__.pop("last_presence_", None)
            # the masks' callback before early stopping, whose stop ends
            # the epoch for the callbacks after it
            net.set_params(callbacks=self._weight_callbacks(update=False)
                           + self._training_callbacks(seed=seed),
                           max_epochs=self.max_epochs)
            # skorch's set_params initialises callbacks *before* storing the
            # new list: initialise again so the fine-tuning really runs them
            net.initialize_callbacks()
            return _release_training_state(net.partial_fit(X_dict, y_arr))

    def _record_weight_sparsity(self):
        """Set ``weight_sparsity_``, the share of the backbone's parameters
        that weight sparsity switched off (removed when there is none)."""
        module = self.net_.module_
        masks = getattr(module, "weight_masks", None)
        if not masks:
            self.__dict__.pop("weight_sparsity_", None)
            return
        backbone = sum(p.numel() for p in module.backbone.parameters())
        pruned = sum(int((~m).sum()) for m in masks.values())
        self.weight_sparsity_ = pruned / backbone

    def _record_history(self, net):
        """Per-epoch history without the per-batch details."""
        n_kept = int(np.sum(self.support_))
        history = []
        for row in net.history:
            entry = {k: v for k, v in row.items() if k != "batches"}
            entry.setdefault("n_active_sensors", n_kept)
            entry.setdefault("sparsity", switched_off_share(
                self.support_, getattr(self, "sensor_costs", None)))
            entry.setdefault("sample_share", 1.0)  # without sample pruning
            history.append(entry)
        return history

    # --------------------------------------------------------------- predict
    def _in_batches(self, tokens, function, desc=None, batch_size=None):
        """Apply ``function`` (of a batch ``x``, on the net's device, in
        eval mode, without gradients) to ``tokens`` in batches of
        ``batch_size`` (default: the estimator's); concatenate the results
        as numpy. Batches are slices of the array, converted whole: no
        per-sample fetch and collate."""
        net = self.net_
        tokens = _as_float32(tokens)
        batch_size = batch_size or self.batch_size
        starts = range(0, len(tokens), batch_size)
        if self.verbose >= 2 and desc:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc=desc, unit="batch")
        if net.module_.training:  # the switch walks every submodule
            net._set_training(False)
        outputs = []
        with torch.no_grad():
            for start in starts:
                x = torch.as_tensor(tokens[start:start + batch_size],
                                    device=net.device)
                outputs.append(function(x).cpu().numpy())
        return np.concatenate(outputs)

    def _forecast_tokens(self, tokens, batch_size=None, **forward_params):
        """Forecast in token layout and original units, in batches of
        ``batch_size`` (default: the estimator's); ``forward_params`` go to
        the network's forward."""
        module = self.net_.module_
        return self._in_batches(
            tokens, lambda x: module.inverse_transform(
                module(x, **forward_params)),
            desc="predict", batch_size=batch_size).astype(np.float64)

    def predict(self, X):
        """Forecast every sensor.

        Parameters
        ----------
        X : array-like or DataFrame
            Same layout as in ``fit``, with all sensors or only the kept
            ones (``support_``); only the kept sensors are computed on.

        Returns
        -------
        y_pred : ndarray
            Shaped like the ``y`` given to ``fit`` (all sensors, all
            horizons), in original units.
        """
        tokens, _ = self._validate_predict_data(X)
        out = from_tokens(self._forecast_tokens(tokens), self.target_layout_)
        return out.reshape((len(out),) + tuple(self.target_shape_))

    def score(self, X, y, sample_weight=None):
        """R^2 over the finite truths, averaged over output columns.

        Each (sensor, horizon, channel) column gets its own R^2 over the
        samples where its truth is observed, as scikit-learn does for
        multi-output targets; columns without variance are left out.

        Parameters
        ----------
        X : array-like
            Input windows.
        y : array-like
            True targets, shaped like the ``y`` given to ``fit``; NaN for
            missing truths.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return masked_r2_score(y, self.predict(X),
                               sample_weight=sample_weight)

    def transform(self, X):
        """Keep only the kept sensors of ``X`` (sensor axis only).

        Parameters
        ----------
        X : array-like
            All sensors, in the layout given to ``fit``.

        Returns
        -------
        X_kept : ndarray
            Grid data come back patchified: ``(n_samples, n_steps, n_kept,
            n_channels * patch_size ** 2)``.
        """
        check_is_fitted(self)
        X_arr, layout = check_sensor_array(X, patch_size=self.patch_size)
        check_n_sensors(self, layout)
        return take_sensors(X_arr, layout, np.flatnonzero(self.support_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.regressor_tags.poor_score = True
        tags.target_tags.multi_output = True
        tags.non_deterministic = self.random_state is None
        return tags

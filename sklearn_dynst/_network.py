"""The forecasting network: scaling, missing-data flags, backbone, residual."""

import copy

import torch
from torch import nn

from ._weight_masks import pack_masked, unpack_masked

__all__ = ["ForecastNetwork", "last_value_covariance", "interpolation_maps"]


def last_observed(x, observed):
    """Last observed value along the steps axis, and whether there is one.

    Parameters
    ----------
    x : Tensor of shape (batch, n_sensors, n_steps, n_values)
    observed : bool Tensor of the same shape

    Returns
    -------
    value : Tensor of shape (batch, n_sensors, n_values)
        The value at the last observed step (0 where there is none).
    found : bool Tensor of shape (batch, n_sensors, n_values)
    """
    steps = torch.arange(x.shape[2], device=x.device)[None, None, :, None]
    position = torch.where(observed, steps, -1).amax(dim=2)
    found = position >= 0
    value = torch.gather(torch.nan_to_num(x), 2,
                         position.clamp_min(0).unsqueeze(2)).squeeze(2)
    return torch.where(found, value, 0.0), found


def last_value_covariance(x, scaler, batch_size=4096):
    """Second moments of the standardised last observed values of windows.

    The statistics from which a switched-off sensor's last value is
    interpolated from the kept sensors' (see :func:`interpolation_maps`).

    Parameters
    ----------
    x : Tensor of shape (n_windows, n_sensors, n_steps, n_values)
        Training windows in token layout, NaN where missing.
    scaler : Standardizer
        Statistics ``(n_sensors, n_values)`` that standardise the values (the
        targets' statistics: the residual base is in target units).
    batch_size : int, default=4096
        Windows processed at a time.

    Returns
    -------
    covariance : Tensor of shape (n_sensors * n_values, n_sensors * n_values)
        Mean over windows of ``z z^T``, ``z`` the standardised last values
        (sensor-major, then value), 0 (the mean) where a sensor has none.
    """
    n_features = x.shape[1] * x.shape[3]
    covariance = torch.zeros(n_features, n_features, dtype=torch.float64)
    for start in range(0, len(x), batch_size):
        chunk = x[start:start + batch_size]
        last, found = last_observed(chunk, torch.isfinite(chunk))
        z = torch.where(found, scaler.transform(last.unsqueeze(2)).squeeze(2),
                        0.0).flatten(1).double()
        covariance += z.T @ z
    return (covariance / max(len(x), 1)).float()


def _feature_index(sensors, n_values):
    """Feature positions (sensor-major) of ``sensors``' values."""
    offsets = torch.arange(n_values, device=sensors.device)
    return (sensors[:, None] * n_values + offsets).flatten()


def _ridged(system, ridge, scale):
    """``system + ridge * scale * I``, for the covariance block of the
    sensors an interpolation reads: the system every interpolation solves
    (the ridge keeps it stable when sensors are nearly collinear)."""
    return system + ridge * scale * torch.eye(
        len(system), dtype=system.dtype, device=system.device)


def interpolation_maps(covariance, kept, n_values=1, ridge=1e-2):
    """Linear maps that estimate sensors' values from the kept sensors'.

    For a zero-mean Gaussian with covariance ``C`` and precision ``P = (C[S,
    S] + ridge * mean(diag C) * I)^-1`` on the kept sensors ``S`` (the ridge
    keeps the solve stable when sensors are nearly collinear, as
    neighbouring grid cells are):

    * the expected values of the other sensors ``U`` given the kept ones
      are ``C[U, S] P z_S`` (simple kriging);
    * the expected values of a kept sensor ``k`` given the *other* kept
      ones are ``z_k - P[k, k]^-1 (P z_S)_k`` (the leave-one-out identity of
      the precision matrix; ``P[k, k]`` is the block of ``k``'s values).

    Parameters
    ----------
    covariance : Tensor of shape (n_sensors * n_values, n_sensors * n_values)
        As :func:`last_value_covariance` returns.
    kept : Tensor of int of shape (n_kept,)
        Sorted indices of the kept sensors.
    n_values : int, default=1
        Values per sensor.
    ridge : float, default=1e-2
        Regularisation, relative to the mean variance.

    Returns
    -------
    others : Tensor of int of shape (n_sensors - n_kept,)
        The sensors not kept, sorted.
    fill : Tensor of shape (n_others * n_values, n_kept * n_values)
        ``z_others = fill @ z_kept`` (sensor-major features).
    leave_one_out : Tensor of shape (n_kept * n_values, n_kept * n_values)
        Row block ``k`` estimates kept sensor ``k`` from the others (its
        own block is zero).

    Examples
    --------
    Two perfectly correlated sensors: each stands in for the other, shrunk a
    little by the ridge.

    >>> import torch
    >>> from sklearn_dynst._network import interpolation_maps
    >>> others, fill, loo = interpolation_maps(torch.ones(2, 2),
    ...                                        torch.tensor([0]))
    >>> others.tolist(), round(float(fill), 3), float(loo)
    ([1], 0.99, 0.0)
    """
    n_sensors = covariance.shape[0] // n_values
    n_kept = len(kept)
    mask = torch.ones(n_sensors, dtype=torch.bool, device=covariance.device)
    mask[kept] = False
    others = torch.nonzero(mask).flatten()
    S = _feature_index(kept.to(covariance.device), n_values)
    U = _feature_index(others, n_values)
    cov = covariance.double()
    scale = float(cov.diagonal().mean().clamp_min(1e-12))
    precision = torch.linalg.inv(_ridged(cov[S][:, S], ridge, scale))
    precision = (precision + precision.T) / 2
    fill = cov[U][:, S] @ precision
    rows = precision.view(n_kept, n_values, n_kept * n_values)
    blocks = torch.diagonal(precision.view(n_kept, n_values, n_kept,
                                           n_values), dim1=0, dim2=2)
    blocks = blocks.permute(2, 0, 1)  # (n_kept, v, v): block P[k, k]
    eye = torch.eye(len(S), dtype=cov.dtype, device=cov.device)
    loo = eye - torch.linalg.solve(blocks, rows).reshape(len(S), len(S))
    return others, fill.to(covariance.dtype), loo.to(covariance.dtype)


class ForecastNetwork(nn.Module):
    """Map raw sensor windows to standardised forecasts of every sensor.

    1. Keep the sensors in ``sensor_index`` (input holding all
       ``n_sensors`` sensors) or take the input as already restricted to
       them (a deployed model: the other sensors are never read).
    2. Standardise with the training statistics; replace missing readings
       (NaN) by 0 (the training mean) and append an observed flag per value,
       so the network knows what it did not see.
    3. Stream-morph each sensor's window into one token and run the
       backbone, which forecasts every output sensor.
    4. Optionally add the last observed value of each kept sensor
       (residual forecasting: the backbone learns the change) and, given a
       ``base_covariance``, for every switched-off sensor the expected value
       of its last reading given the kept sensors' last readings
       (:func:`interpolation_maps`): the deployed model never reads a
       switched-off sensor, yet its forecast still starts from an estimate
       of its level (weighted by a learned ``base_trust``) rather than from
       the training mean.

    The output is in the target's standardised units;
    :meth:`inverse_transform` maps it back to original units.

    Parameters
    ----------
    backbone : nn.Module
        Obeys the backbone contract (see :mod:`sklearn_dynst.backbones`).
    input_scaler, target_scaler : Standardizer
        Statistics of the inputs ``(n_sensors, n_values)`` and targets
        ``(n_outputs, out_values)``.
    horizon : int
        Forecast steps.
    sensor_index : Tensor of int, default=None
        Sorted indices of the kept sensors; all when None.
    residual : bool, default=True
        Forecast the change from the last observed value. Needs inputs and
        targets to be the same sensors with the same values per step.
    gate : SensorGate, default=None
        Learnable per-sensor scores scaling the tokens (DynST's mask).
    sensor_dropout : float in [0, 1), default=0.0
        In training, the probability that a kept sensor is absent from a
        sample: its token is zeroed and its residual base is that of a
        switched-off sensor (none, or with ``base_covariance`` its estimate
        from the other kept sensors), as if it were switched off, so the
        network learns to forecast every sensor from the others (and
        pruning sees which sensors the others can stand in for).
    token_pruner : TokenPruner, default=None
        Input-adaptive masks (Dyna-Pruner): each sample's backbone runs on
        the tokens its mask keeps (see
        :class:`~sklearn_dynst._adaptive_masks.TokenPruner`). The residual
        still reads every kept sensor's last value.
    base_covariance : Tensor, default=None
        Second moments of the standardised last values
        (:func:`last_value_covariance`); with ``residual``, switched-off
        sensors (and, in training, absent ones) get the interpolated base
        described above. The maps are recomputed whenever the kept sensors
        change (:meth:`set_active`).
    base_ridge : float, default=1e-2
        Ridge of the interpolation, relative to the mean variance.
    dropout_patterns : int, default=8
        With ``base_covariance`` and ``sensor_dropout``: the distinct
        presence patterns a training batch draws (its samples share them).
        A hidden sensor's base is its conditional mean given the sensors
        present in its sample, one solve per pattern; drawing a pattern per
        sample would cost a solve per sample.

    Attributes
    ----------
    base_trust : Parameter of shape (n_sensors, horizon) or None
        With ``base_covariance``: how much each sensor's forecast at each
        step leans on its interpolated base (learned, initially 1). An
        estimated last value is worth more at the first steps than at the
        last, and more for a sensor its neighbours explain well; without
        this weight the backbone must learn to cancel a poor estimate
        (measured on METR-LA: see the user guide).
    """

    def __init__(self, backbone, input_scaler, target_scaler, horizon,
                 sensor_index=None, residual=True, gate=None,
                 sensor_dropout=0.0, token_pruner=None, base_covariance=None,
                 base_ridge=1e-2, dropout_patterns=8):
        super().__init__()
        n_sensors = input_scaler.mean.shape[0]
        if sensor_index is None:
            sensor_index = torch.arange(n_sensors)
        self.backbone = backbone
        self.input_scaler = input_scaler
        self.target_scaler = target_scaler
        self.horizon = horizon
        self.n_sensors = n_sensors
        self.residual = residual
        self.gate = gate
        self.sensor_dropout = sensor_dropout
        self.token_pruner = token_pruner
        self.base_ridge = base_ridge
        self.dropout_patterns = dropout_patterns
        self.register_buffer("sensor_index",
                             torch.as_tensor(sensor_index, dtype=torch.long))
        self.register_buffer("base_covariance", base_covariance)
        self.register_buffer("fill_index", None)
        self.register_buffer("fill_map", None)
        self.register_buffer("loo_map", None)
        self.base_trust = None
        if self._interpolates:
            self.base_trust = nn.Parameter(torch.ones(n_sensors, horizon))
        self._update_fill()

    @property
    def _interpolates(self):
        """Whether absent and switched-off sensors get interpolated bases."""
        return self.base_covariance is not None and bool(self.residual)

    def _update_fill(self):
        """Recompute the interpolation maps for the kept sensors."""
        self.fill_index = self.fill_map = self.loo_map = None
        if not self._interpolates:
            return
        n_values = self.base_covariance.shape[0] // self.n_sensors
        others, fill, self.loo_map = interpolation_maps(
            self.base_covariance, self.sensor_index, n_values,
            self.base_ridge)
        if len(others):
            self.fill_index, self.fill_map = others, fill

    def penalty(self):
        """Regularisation added to the training loss (the gate's L1 term,
        the token pruner's budget term)."""
        penalty = torch.zeros((), device=self.sensor_index.device)
        if self.gate is not None:
            penalty = penalty + self.gate.penalty(self.sensor_index)
        if self.token_pruner is not None:
            penalty = penalty + self.token_pruner.penalty()
        return penalty

    def set_active(self, sensor_index):
        """Compute from now on only on the sensors ``sensor_index`` (sorted)."""
        self.sensor_index = torch.as_tensor(
            sensor_index, dtype=torch.long, device=self.sensor_index.device)
        self._update_fill()

    @property
    def n_outputs(self):
        return int(self.target_scaler.mean.shape[0])

    @property
    def n_kept(self):
        return int(self.sensor_index.numel())

    def _tokens(self, x, sensor_weights=None):
        """Kept sensors' readings, observed flags, tokens and indices."""
        index = self.sensor_index
        if sensor_weights is not None:
            index = torch.arange(self.n_sensors, device=x.device)
            if x.shape[1] != self.n_sensors:
                raise ValueError(
                    f"x must hold all {self.n_sensors} sensors when "
                    f"sensor_weights are given; got {x.shape[1]}."
                )
        elif x.shape[1] == self.n_sensors and self.n_kept < self.n_sensors:
            x = x.index_select(1, index)
        elif x.shape[1] != self.n_kept:
            raise ValueError(
                f"x must hold all {self.n_sensors} sensors or the "
                f"{self.n_kept} kept ones; got {x.shape[1]}."
            )
        # NaN marks a missing reading (validation refuses infinities): one
        # pass, where isfinite takes three
        observed = ~torch.isnan(x)
        n_values = x.shape[-1]
        # values and flags written side by side into one buffer (a cat
        # along this short last axis copies at half the speed)
        tokens = x.new_empty(x.shape[:-1] + (2 * n_values,))
        tokens[..., :n_values] = torch.where(
            observed, self.input_scaler.transform(x, index), 0.0)
        tokens[..., n_values:] = observed
        tokens = tokens.flatten(2)
        if self.gate is not None:
            tokens = self.gate(tokens, index)
        return x, observed, tokens, index

    def token_scores(self, x):
        """The token pruner's scores ``(batch, n_kept)`` of each token."""
        _, _, tokens, _ = self._tokens(x)
        return self.token_pruner.generator(tokens)

    def token_masks(self, x):
        """Tokens each sample's input-adaptive mask keeps (bool, ``(batch,
        n_kept)``); all of them without a token pruner."""
        _, _, tokens, _ = self._tokens(x)
        if self.token_pruner is None:
            return torch.ones(tokens.shape[:2], dtype=torch.bool,
                              device=tokens.device)
        return self.token_pruner.keep_mask(tokens)

    def forward(self, x, sensor_weights=None, group_size=None):
        """Forecast from ``x`` of shape (batch, n_sensors or n_kept, n_steps, n_values).

        ``sensor_weights`` (n_sensors,), when given, is each sensor's
        *presence* in [0, 1]: every sensor of ``x`` (which must hold all of
        them) is fed, its token (after the gate) and its residual scaled by
        its presence, so presence 1 for the active sensors and 0 for the
        others reproduces the pruned model's residual exactly (see
        :func:`~sklearn_dynst._masks.mask_gradients`). With an interpolated
        base, a switched-off sensor's base is ``p * own + (1 - p) *
        interpolated`` at presence ``p``.

        ``group_size``, at inference with a token pruner: the most samples
        of equal kept count computed in one backbone call (see
        :class:`~sklearn_dynst._adaptive_masks.TokenPruner`).
        """
        x, observed, tokens, index = self._tokens(x, sensor_weights)
        presence = None
        if sensor_weights is not None:
            presence = sensor_weights[None, :]
        elif self.training and self.sensor_dropout > 0:
            presence = self._draw_presence(tokens)
            # kept for IterativeSensorPruning's absence cost (one batch)
            self.last_presence_ = presence
        if presence is not None:
            tokens = tokens * presence[..., None]
        if self.token_pruner is None:
            out = self.backbone(tokens, index)
        else:
            out = self.token_pruner(self.backbone, tokens, index, group_size)
        out = out.reshape(x.shape[0], out.shape[1], self.horizon, -1)
        if self.residual:
            out = out + self._residual_base(x, observed, index, presence,
                                            sensor_weights)
        return out

    def _draw_presence(self, tokens):
        """Sensor dropout's presence (batch, n_kept) of each kept sensor in
        each sample. With interpolated bases the samples share
        ``dropout_patterns`` patterns (one solve each, see
        :meth:`_hidden_estimates`), else each sample draws its own."""
        n_samples, n_kept = tokens.shape[:2]
        n_draws = min(n_samples, self.dropout_patterns) \
            if self._interpolates else n_samples
        draws = torch.rand(n_draws, n_kept, device=tokens.device)
        presence = (draws >= self.sensor_dropout).to(tokens.dtype)
        if n_draws < n_samples:
            presence = presence[torch.randint(n_draws, (n_samples,),
                                              device=tokens.device)]
        return presence

    def _hidden_estimates(self, kept, presence):
        """Estimates ``(batch, n_kept, 1, v)`` of each sensor from the
        sensors *present* in its sample (its own value where present): the
        conditional mean given the present ones, one solve per distinct
        presence pattern, so a hidden sensor's base is what a model that
        kept only the present sensors would compute for it."""
        n_values = kept.shape[-1]
        features = _feature_index(self.sensor_index, n_values)
        covariance = self.base_covariance  # indexed per pattern, not copied
        scale = covariance.diagonal()[features].mean().clamp_min(1e-12)
        flat = kept.flatten(1)
        out = flat.clone()
        patterns, which = torch.unique(presence, dim=0, return_inverse=True)
        for position, pattern in enumerate(patterns):
            shown = pattern.bool().repeat_interleave(n_values)
            rows = which == position
            if shown.all():
                continue
            if not shown.any():  # nobody present: the training mean
                out[rows] = 0.0
                continue
            present = torch.nonzero(shown).flatten()
            hidden = torch.nonzero(~shown).flatten()
            # the present sensors' rows, gathered once for both blocks
            known = covariance[features[present]]
            system = _ridged(known[:, features[present]], self.base_ridge,
                             scale)
            weights = torch.linalg.solve(
                system, known[:, features[hidden]]).T       # (hidden, present)
            out[rows[:, None] & ~shown[None, :]] = (
                flat[rows][:, present] @ weights.T).flatten()
        return out.view_as(kept)

    def _residual_base(self, x, observed, index, presence, sensor_weights):
        """Every output sensor's base ``(batch, n_outputs, horizon,
        n_values)``: a present sensor's standardised last value; with the
        interpolation maps, the estimate from the kept sensors for a
        switched-off sensor and, in training, for an absent one (sensor
        dropout, presence below 1); else nothing."""
        last, found = last_observed(x, observed)
        own = self.target_scaler.transform(last.unsqueeze(2), index)
        own = torch.where(found.unsqueeze(2), own, 0.0)  # (b, n_index, 1, v)
        base = own
        kept = own if sensor_weights is None else own.index_select(
            1, self.sensor_index)
        estimated = []  # (sensors, their estimates, weight of the estimates)
        if presence is not None:
            base = own * presence[..., None, None]
            if self._interpolates:
                absent = (1.0 - presence)[..., None, None]
                estimates = self._estimates(kept, sensor_weights) \
                    if sensor_weights is not None else \
                    self._hidden_estimates(kept, presence)
                estimated.append((index, estimates, absent))
        if self.fill_map is not None and sensor_weights is None:
            estimated.append((self.fill_index,
                              self._apply_map(self.fill_map, kept), 1.0))
        out = torch.zeros(x.shape[0], self.n_outputs, 1, own.shape[-1],
                          dtype=own.dtype, device=own.device)
        out = out.index_add(1, index, base).expand(-1, -1, self.horizon, -1)
        for sensors, estimates, weight in estimated:
            # each (sensor, step) trusts the estimate as much as it learned
            trust = self.base_trust.index_select(0, sensors)[None, :, :, None]
            out = out.index_add(1, sensors, estimates * weight * trust)
        return out

    @staticmethod
    def _apply_map(weights, values):
        """``weights`` applied to ``values`` (batch, n, 1, v), sensor-major."""
        out = values.flatten(1) @ weights.T
        return out.view(values.shape[0], -1, 1, values.shape[-1])

    def _estimates(self, kept, sensor_weights=None):
        """Each sensor's base estimated from the other kept sensors'
        bases ``kept``: of the kept sensors (leave-one-out: the first-order
        effect of one sensor's presence) or, with ``sensor_weights``, of
        every sensor (the switched-off ones from all the kept ones)."""
        estimates = self._apply_map(self.loo_map, kept)
        if sensor_weights is None:
            return estimates
        every = torch.zeros(kept.shape[0], self.n_sensors, *kept.shape[2:],
                            dtype=kept.dtype, device=kept.device)
        every = every.index_copy(1, self.sensor_index, estimates)
        if self.fill_map is not None:
            every = every.index_copy(1, self.fill_index, self._apply_map(
                self.fill_map, kept))
        return every

    # ------------------------------------------------------------ pickling
    def __getstate__(self):
        """Pickle the weights that ``weight_masks`` prune as bit masks plus
        their kept values (a float32 tensor at sparsity ``s`` takes ``1 - s
        + 1/32`` of its dense size)."""
        state = super().__getstate__()
        masks = state.get("weight_masks")
        if not masks:
            return state
        state = dict(state)
        backbone = copy.deepcopy(self.backbone)
        packed = {}
        for name, mask in masks.items():
            owner, local = name.split(".", 1)
            assert owner == "backbone", name  # prunable_weights' names
            parameter = backbone.get_parameter(local)
            packed[name] = pack_masked(parameter, mask)
            parameter.data = parameter.data.new_empty(0)
        state["_modules"] = dict(state["_modules"], backbone=backbone)
        state["weight_masks"] = None
        state["_packed_weights"] = packed
        return state

    def __setstate__(self, state):
        packed = state.pop("_packed_weights", None)
        super().__setstate__(state)
        if packed is None:
            return
        self.weight_masks = {}
        for name, (shape, bits, values) in packed.items():
            dense, mask = unpack_masked(shape, bits, values)
            parameter = self.get_parameter(name)  # empty, on its device
            parameter.data = dense.to(parameter.device)
            self.weight_masks[name] = mask.to(parameter.device)

    def scale_target(self, y):
        """Standardise targets ``y`` (batch, n_outputs, horizon, out_values)."""
        return self.target_scaler.transform(y)

    def inverse_transform(self, out):
        """Map standardised forecasts back to original units."""
        return self.target_scaler.inverse_transform(out)

"""Tests of DynaPrunerRegressor (input-adaptive masks, papers/002)."""

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from sklearn_dynst import DynaPrunerRegressor, make_windows
from sklearn_dynst._adaptive_masks import bucketed_counts

from conftest import make_sine_series

N_SENSORS = 10


@pytest.fixture(scope="module")
def windows():
    series = make_sine_series(n_timesteps=260, n_sensors=N_SENSORS)
    # half of the sensors turn busy (noisy) in places: inputs differ in
    # how much they need
    rng = np.random.default_rng(1)
    series[100:160, :5] += rng.normal(0, 1.0, (60, 5))
    X, y = make_windows(series, n_steps_in=6, horizon=2)
    return np.asarray(X), np.asarray(y)


def _small(**params):
    base = {"max_epochs": 4, "batch_size": 16, "random_state": 0,
            "backbone_params": {"d_model": 8, "n_heads": 2, "dropout": 0.0},
            "device": "cpu"}
    return DynaPrunerRegressor(**{**base, **params})


@pytest.fixture(scope="module")
def adaptive(windows):
    return _small(budget=0.5, n_buckets=3).fit(*windows)


@pytest.fixture(scope="module")
def grid_windows():
    rng = np.random.default_rng(0)
    grid = rng.normal(size=(120, 1, 4, 6)).cumsum(0)
    X, y = make_windows(grid, n_steps_in=4, horizon=2)
    return np.asarray(X), np.asarray(y)


# ------------------------------------------------------------ compute cost
@pytest.mark.parametrize("backbone", ["transformer", "mlp", "cnn"])
def test_compute_cost_matches_flop_counter(backbone, windows, grid_windows):
    params = {"transformer": {"d_model": 8, "n_heads": 2},
              "mlp": {"hidden_size": 8}, "cnn": {"hidden_size": 8}}[backbone]
    X, y = grid_windows if backbone == "cnn" else windows
    # fixed budget: several regions kept per window (see below)
    model = _small(backbone=backbone, backbone_params=params, max_epochs=1,
                   budget_mode="fixed",
                   patch_size=2 if backbone == "cnn" else None).fit(X, y)
    cost = model.compute_cost(X[:8])
    module = model.net_.module_.eval()
    tokens, _ = model._validate_predict_data(X[:8])
    n_kept = model.predict_masks(X[:8]).reshape(8, -1).sum(1)
    # one kept region makes einsum a broadcast product, which the counter
    # does not count (the multiplies are the same)
    checked = np.flatnonzero(n_kept > 1)
    assert len(checked) >= 2
    for i in checked:
        x = torch.tensor(tokens[i:i + 1], dtype=torch.float32)
        # the math kernel of attention is made of counted matmuls
        with sdpa_kernel([SDPBackend.MATH]), \
                FlopCounterMode(display=False) as counter:
            module(x)
        assert counter.get_total_flops() == cost[i]
    masks = model.predict_masks(X[:4])
    assert masks.shape == ((4, 2, 3) if backbone == "cnn" else (4, N_SENSORS))
    # the dense reference is the backbone on every region, no generator
    n = model.n_features_in_
    assert model.dense_flops_ == module.backbone.flops(n)
    assert np.all(cost < model.dense_flops_ + module.token_pruner.generator
                  .flops(n))


def test_flops_fall_by_half_at_budget_half_on_metr_la_sizes():
    # the default transformer on METR-LA's 207 sensors (12 steps in and out)
    from sklearn_dynst._adaptive_masks import MaskGenerator
    from sklearn_dynst.backbones import TransformerBackbone

    net = TransformerBackbone(207, 24, 207, 12)
    half = net.flops(104) + MaskGenerator(24).flops(207)
    assert half < 0.5 * net.flops(207)


# ------------------------------------------------- masks remove computation
def test_training_forward_equals_inference_on_kept_tokens(windows):
    """A masked token is exactly absent: the training-mode forward (every
    token computed, hard masks) equals the inference forward that computes
    the kept tokens alone (no dropout anywhere)."""
    X, y = windows
    for mode in ("adaptive", "fixed"):
        model = _small(budget=0.4, budget_mode=mode, max_epochs=2).fit(X, y)
        module = model.net_.module_
        x = torch.tensor(model._validate_predict_data(X[:40])[0],
                         dtype=torch.float32)
        with torch.no_grad():
            module.train()
            trained = module(x)
            module.token_pruner.last_mask_ = None
            module.eval()
            inferred = module(x)
        torch.testing.assert_close(trained, inferred, rtol=1e-4, atol=1e-5)


def test_dropped_tokens_are_never_computed(adaptive, windows):
    X, _ = windows
    module = adaptive.net_.module_.eval()
    fed = []
    hook = module.backbone.embedding.register_forward_hook(
        lambda m, inputs, out: fed.append(inputs[0].shape[:2]))
    try:
        adaptive.predict(X[:1])
    finally:
        hook.remove()
    kept = int(adaptive.predict_masks(X[:1]).sum())
    assert fed == [(1, kept)]
    assert kept < N_SENSORS


def test_batched_buckets_give_the_forecast_of_each_window_alone(adaptive,
                                                                windows):
    X, _ = windows
    batched = adaptive.predict(X)  # grouped by bucketed count
    alone = np.concatenate([adaptive.predict(X[i:i + 1])
                            for i in range(0, len(X), 7)])
    np.testing.assert_allclose(batched[::7], alone, rtol=1e-4, atol=1e-5)
    # batching computes at most one bucket more per window
    exact = adaptive.compute_cost(X)
    bucketed = adaptive.compute_cost(X, batched=True)
    assert np.all(bucketed >= exact) and np.any(bucketed > exact)


def test_predict_groups_windows_across_batches_in_runs_of_a_batch(
        adaptive, windows):
    X, _ = windows
    module = adaptive.net_.module_.eval()
    fed = []
    hook = module.backbone.embedding.register_forward_hook(
        lambda m, inputs, out: fed.append(tuple(inputs[0].shape[:2])))
    try:
        adaptive.predict(X)
    finally:
        hook.remove()
    runs = np.array(fed)
    width = module.token_pruner.bucket_width(N_SENSORS)
    sizes = np.bincount(bucketed_counts(
        adaptive.predict_masks(X).sum(1), width, N_SENSORS))
    # every window computed once, at its bucketed count, in runs of at
    # most batch_size windows, and only the last run of a count is partial
    assert runs[:, 0].sum() == len(X) > 2 * adaptive.batch_size
    assert runs[:, 0].max() == adaptive.batch_size
    for size in np.flatnonzero(sizes):
        counts = runs[runs[:, 1] == size, 0]
        assert counts.sum() == sizes[size]
        assert np.all(counts[:-1] == adaptive.batch_size)


# ------------------------------------------------------------------ budget
def test_fixed_budget_keeps_the_same_count_in_every_window(windows):
    X, y = windows
    model = _small(budget=0.3, budget_mode="fixed").fit(X, y)
    masks = model.predict_masks(X)
    assert set(masks.sum(1).tolist()) == {3}


def test_adaptive_budget_is_met_on_average_and_varies(adaptive, windows):
    X, _ = windows
    share = adaptive.predict_masks(X).mean(1)
    # calibrated on the fitted windows: half of the regions on average
    assert share.mean() == pytest.approx(0.5, abs=0.05)
    assert share.min() < share.max()
    assert all(0 < h["kept_share"] <= 1 for h in adaptive.history_)


def test_budget_loss_pulls_the_training_share_to_the_budget(windows):
    X, y = windows
    history = _small(budget=0.2, budget_weight=20.0, max_epochs=8).fit(
        X, y).history_
    shares = [h["kept_share"] for h in history]
    assert abs(shares[-1] - 0.2) < abs(shares[0] - 0.2)


# ---------------------------------------------------------- estimator API
def test_predict_accepts_frames_and_persists(adaptive, windows, tmp_path):
    X, _ = windows
    path = tmp_path / "model.joblib"
    joblib.dump(adaptive, path)
    np.testing.assert_array_equal(joblib.load(path).predict(X[:20]),
                                  adaptive.predict(X[:20]))
    assert clone(adaptive).get_params() == adaptive.get_params()
    assert adaptive.predict(X[:3]).shape == (3, 2, N_SENSORS)
    assert adaptive.support_.all()


def test_rejects_backbones_without_token_masks_and_bad_budgets(windows):
    X, y = windows
    with pytest.raises(ValueError, match="token_mask.*'graph'"):
        _small(backbone="graph", backbone_params=None).fit(X, y)
    with pytest.raises(InvalidParameterError, match="budget"):
        _small(budget=0.0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="budget_mode"):
        _small(budget_mode="per-sample").fit(X, y)
    with pytest.raises(ValueError, match=f"expecting {N_SENSORS} features"):
        _small(max_epochs=1).fit(X, y).predict(X[:, :, :3])


def test_grid_data_with_the_cnn_backbone(grid_windows):
    X, y = grid_windows
    model = _small(backbone="cnn", backbone_params={"hidden_size": 8},
                   patch_size=2, budget_mode="fixed").fit(X, y)
    assert model.predict(X[:5]).shape == (5,) + y.shape[1:]
    masks = model.predict_masks(X[:5])
    assert masks.shape == (5, 2, 3)
    assert set(masks.reshape(5, -1).sum(1).tolist()) == {3}

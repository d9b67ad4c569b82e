"""Tests of weight sparsity: masks, RigL updates, compact saving (the
_weight_masks core and the WeightPruning callback through the estimator)."""

import io

import joblib
import numpy as np
import pytest
import torch

from sklearn_dynst import DynSTRegressor
from sklearn_dynst._weight_masks import (pack_masked, prunable_weights,
                                         rigl_update, unpack_masked)
from sklearn_dynst.backbones import MLPBackbone


def test_prunable_weights_are_linear_weights_and_the_mixing():
    backbone = MLPBackbone(n_sensors=5, in_features=6, n_outputs=5,
                           out_features=3)
    names = set(prunable_weights(backbone))
    assert "decoder.mixing" in names
    assert "encoder.linear.weight" in names and "decoder.linear.weight" in names
    assert not any("embedding" in n or "bias" in n for n in names)
    linear = [m for m in backbone.modules() if isinstance(m, torch.nn.Linear)]
    assert len(names) == len(linear) + 1


def test_rigl_update_drops_small_weights_and_regrows_large_gradients():
    torch.manual_seed(0)
    weight = torch.randn(6, 5)
    mask = torch.rand(6, 5) > 0.5
    weight.mul_(mask)
    gradient = torch.randn(6, 5)
    before = mask.clone()
    magnitude = torch.where(before, weight.abs(), torch.inf).flatten()
    expected_drop = set(magnitude.argsort()[:3].tolist())
    score = torch.where(before, -1.0, gradient.abs()).flatten()
    expected_grow = set(score.argsort(descending=True)[:2].tolist())
    new = rigl_update(weight, mask, gradient, n_drop=3, n_grow=2)
    dropped = set(torch.nonzero((before & ~new).flatten()).flatten().tolist())
    grown = set(torch.nonzero((~before & new).flatten()).flatten().tolist())
    assert dropped == expected_drop and grown == expected_grow
    # pruned weights are zero, regrown ones start at zero
    assert (weight[~new] == 0).all()
    assert (weight.flatten()[sorted(grown)] == 0).all()
    # never the last active weight
    single = torch.tensor([True, False])
    assert rigl_update(torch.ones(2), single, torch.zeros(2), 5, 0).sum() == 1


def test_pack_and_unpack_round_trip():
    rng = np.random.default_rng(0)
    tensor = torch.tensor(rng.normal(size=(7, 9)), dtype=torch.float32)
    mask = torch.tensor(rng.random((7, 9)) > 0.7)
    shape, bits, values = pack_masked(tensor * mask, mask)
    assert bits.nbytes == 8 and values.size == int(mask.sum())
    dense, unpacked = unpack_masked(shape, bits, values)
    assert torch.equal(unpacked, mask)
    torch.testing.assert_close(dense, tensor * mask)


def _windows(n=300, n_sensors=24, seed=0):
    rng = np.random.default_rng(seed)
    series = rng.normal(size=(n + 10, n_sensors)).cumsum(0)
    return np.stack([series[i:i + 6] for i in range(n)])


def _size(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getbuffer().nbytes, buffer


def test_weight_sparsity_reaches_its_level_and_saves_smaller():
    X = _windows()
    params = {"n_rounds": 2, "epochs_per_round": 1, "max_epochs": 3,
              "random_state": 0}
    dense = DynSTRegressor(**params).fit(X, X)
    model = DynSTRegressor(weight_sparsity=0.8, **params).fit(X, X)
    module = model.net_.module_
    masks = module.weight_masks
    weights = prunable_weights(module)
    off = sum(int((~m).sum()) for m in masks.values())
    total = sum(m.numel() for m in masks.values())
    assert off / total == pytest.approx(0.8, abs=0.01)
    for name, mask in masks.items():  # kept at zero through fine-tuning
        assert (weights[name][~mask] == 0).all()
    backbone = sum(p.numel() for p in module.backbone.parameters())
    assert model.weight_sparsity_ == pytest.approx(off / backbone)
    # every epoch logs it, the one early stopping ended included
    stopped = DynSTRegressor(weight_sparsity=0.8, patience=1,
                             **{**params, "max_epochs": 20}).fit(X, X)
    assert len(stopped.history_) < 4 + 20  # early stopping ended it
    assert all("weight_sparsity" in row for row in stopped.history_)
    assert model.history_[-1]["weight_sparsity"] == pytest.approx(off / total)
    # saved: pruned tensors as bits + values, the same forecasts back
    size, buffer = _size(model)
    dense_size, _ = _size(dense)
    assert size < 0.75 * dense_size
    buffer.seek(0)
    loaded = joblib.load(buffer)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert all(torch.equal(loaded.net_.module_.weight_masks[n], m)
               for n, m in masks.items())
    # training can go on after fit (a fresh optimiser)
    X_dict = {"x": np.zeros((8, 24, 6, 1), dtype=np.float32),
              "sample_index": np.arange(8)}
    loaded.net_.partial_fit(X_dict, np.zeros((8, 24, 6, 1), np.float32))
    assert loaded.net_.optimizer_ is not None


def test_auto_weight_sparsity_follows_pals_and_combines_with_sensors():
    X = _windows()
    model = DynSTRegressor(0.5, weight_sparsity="auto", n_rounds=2,
                           epochs_per_round=2, max_epochs=2,
                           random_state=0).fit(X, X)
    updates = [u for row in model.history_
               for u in row.get("weight_updates", [])]
    assert updates and updates[0]["decision"] == "shrink"
    assert {u["decision"] for u in updates} <= {"shrink", "expand", "stable"}
    assert 0 < model.weight_sparsity_ < 0.9
    assert model.support_.sum() == 12
    with pytest.raises(ValueError, match="weight_sparsity"):
        DynSTRegressor(weight_sparsity=1.0).fit(X, X)


def test_weights_alone_lower_the_learning_rate_on_plateaus_while_pruning():
    X = _windows()
    params = {"n_rounds": 2, "epochs_per_round": 1, "max_epochs": 2,
              "random_state": 0}
    weights = DynSTRegressor(weight_sparsity=0.5, **params).fit(X, X)
    sensors = DynSTRegressor(0.5, **params).fit(X, X)
    # the pruning phase is the first (2 + n_rounds) * epochs_per_round
    # epochs; the LR scheduler logs event_lr in every epoch it runs
    assert all("event_lr" in row for row in weights.history_[:4])
    assert not any("event_lr" in row for row in sensors.history_[:4])
    assert all("event_lr" in row for row in sensors.history_[4:])

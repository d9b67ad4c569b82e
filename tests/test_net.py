"""Tests of sklearn_dynst._net (the skorch layer)."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from skorch.dataset import Dataset

from sklearn_dynst._net import (
    ChronologicalSplit,
    ForecastNet,
    MaskedLoss,
    resolve_device,
)
from sklearn_dynst._network import ForecastNetwork
from sklearn_dynst._scaling import Standardizer, fit_standardizer
from sklearn_dynst.backbones import MLPBackbone

N_SAMPLES, N_SENSORS, N_STEPS, HORIZON = 24, 3, 4, 2


class BatchRecorder(Callback):
    """Records what ``on_batch_end`` receives, per batch."""

    def __init__(self, weight=None):
        self.weight = weight

    def on_train_begin(self, net, **kwargs):
        self.batches_ = []

    def on_batch_begin(self, net, batch=None, **kwargs):
        # weight each sample of the batch by its entry of ``weight``
        if self.weight is not None:
            net.set_batch_weight(self.weight[batch[0]["sample_index"]])

    def on_batch_end(self, net, batch=None, training=None, loss=None,
                     y_pred=None, sample_loss=None, sample_index=None,
                     sample_errors=None, sample_observed=None, **kwargs):
        self.batches_.append({
            "training": training, "loss": loss.detach().item(),
            "y_pred": y_pred.detach().numpy(), "y": batch[1].numpy(),
            "sample_loss": sample_loss.numpy(),
            "sample_errors": np.where(sample_observed.numpy(),
                                      sample_errors.numpy(), np.nan),
            "sample_index": np.asarray(sample_index)})


def _data(seed=0, missing=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SAMPLES, N_SENSORS, N_STEPS, 1)) * 2.0 + 1.0
    y = rng.normal(size=(N_SAMPLES, N_SENSORS, HORIZON, 1)) * 3.0 - 1.0
    if missing:
        y[rng.random(y.shape) < missing] = np.nan
    return X.astype(np.float32), y.astype(np.float32)


def _net(X, y, callbacks=(), loss="mse", **kwargs):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        backbone = MLPBackbone(N_SENSORS, N_STEPS * 2, N_SENSORS, HORIZON,
                               hidden_size=8)
        module = ForecastNetwork(backbone,
                                 Standardizer(*fit_standardizer(X)),
                                 Standardizer(*fit_standardizer(y)),
                                 HORIZON)
    params = {"max_epochs": 1, "batch_size": 8, "lr": 1e-2,
              "train_split": None, "device": "cpu",
              "optimizer": torch.optim.SGD, **kwargs}
    return ForecastNet(module=module, criterion=MaskedLoss,
                       criterion__loss=loss, callbacks=list(callbacks),
                       **params)


def _inputs(X):
    return {"x": X, "sample_index": np.arange(len(X))}


def _manual_sample_losses(net, y_pred, y, loss="mse"):
    """Masked MSE (or MAE) of each sample in the target's standardised units."""
    scaler = net.module_.target_scaler
    scaled = (y - scaler.mean.numpy()[:, None]) / scaler.scale.numpy()[:,
                                                                      None]
    error = y_pred - scaled
    values = error**2 if loss == "mse" else np.abs(error)
    return np.nanmean(values.reshape(len(y), -1), axis=1)


# -------------------------------------------------------- ChronologicalSplit
def test_chronological_split_takes_last_rows():
    train, valid = ChronologicalSplit(0.2)(Dataset(np.zeros((10, 2))))
    assert list(train.indices) == list(range(8))
    assert list(valid.indices) == [8, 9]


def test_chronological_split_gap():
    dataset = Dataset(_inputs(np.zeros((10, 2))), np.zeros(10))
    train, valid = ChronologicalSplit(0.3, gap=2)(dataset)
    assert list(train.indices) == [0, 1, 2, 3, 4]
    assert list(valid.indices) == [7, 8, 9]
    assert repr(ChronologicalSplit(0.3, gap=2)) == \
        "ChronologicalSplit(fraction=0.3, gap=2)"


def test_chronological_split_too_small():
    with pytest.raises(ValueError, match="leaves 0 sample"):
        ChronologicalSplit(0.5, gap=1)(Dataset(np.zeros((2, 1))))


# ---------------------------------------------------------------- devices
def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("cuda:1") == "cuda:1"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto") == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_resolve_device_auto_is_cpu_without_gpu():
    assert resolve_device("auto") == "cpu"


# --------------------------------------------------------------- the loss
def test_masked_loss():
    y_pred = torch.tensor([[1.0, 5.0], [0.0, 2.0]])
    y_true = torch.tensor([[3.0, float("nan")], [1.0, 2.0]])
    assert MaskedLoss("mse")(y_pred, y_true).item() == pytest.approx(5 / 3)
    assert MaskedLoss("mae")(y_pred, y_true).item() == pytest.approx(1.0)
    assert MaskedLoss()(y_pred, y_true).item() == pytest.approx(1.0)


def test_masked_loss_unknown():
    with pytest.raises(ValueError, match="loss must be one of .*got 'l1'"):
        MaskedLoss("l1")


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_callbacks_get_per_sample_losses_and_indices(loss):
    X, y = _data()
    recorder = BatchRecorder()
    net = _net(X, y, [recorder], loss=loss, max_epochs=2,
               train_split=ChronologicalSplit(0.25))
    net.fit(_inputs(X), y)
    train = [b for b in recorder.batches_ if b["training"]]
    valid = [b for b in recorder.batches_ if not b["training"]]
    # 18 training rows in batches of 8, 6 validation rows, per epoch
    assert len(train) == 2 * 3 and len(valid) == 2
    for epoch in range(2):
        seen = np.concatenate([b["sample_index"]
                               for b in train[3 * epoch:3 * epoch + 3]])
        assert sorted(seen.tolist()) == list(range(18))
    assert valid[0]["sample_index"].tolist() == list(range(18, 24))
    for batch in recorder.batches_:
        assert batch["sample_loss"].shape == (len(batch["sample_index"]),)
        np.testing.assert_allclose(
            batch["sample_loss"],
            _manual_sample_losses(net, batch["y_pred"], batch["y"], loss),
            rtol=1e-4)
        # equal weights, no missing truth: the loss is the mean sample loss
        assert batch["loss"] == pytest.approx(batch["sample_loss"].mean(),
                                              rel=1e-5)
        # the pointwise errors behind the sample losses, per sensor and step
        errors = batch["sample_errors"]
        assert errors.shape == batch["y"].shape
        np.testing.assert_allclose(
            errors.reshape(len(errors), -1).mean(1), batch["sample_loss"],
            rtol=1e-5)


def test_nan_targets_are_masked_out_of_the_loss():
    X, y = _data(missing=0.4)
    y[0] = np.nan          # a sample without any observed truth
    recorder = BatchRecorder()
    net = _net(X, y, [recorder], batch_size=N_SAMPLES)
    net.fit(_inputs(X), y)
    batch = recorder.batches_[0]
    assert np.isfinite(net.history[-1, "train_loss"])
    order = np.argsort(batch["sample_index"])
    expected = _manual_sample_losses(net, batch["y_pred"][order][1:], y[1:])
    np.testing.assert_allclose(batch["sample_loss"][order][1:], expected,
                               rtol=1e-4)
    assert batch["sample_loss"][order][0] == 0.0
    # missing truths have no pointwise error
    np.testing.assert_array_equal(np.isnan(batch["sample_errors"][order]),
                                  np.isnan(y))
    scaler = net.module_.target_scaler
    scaled = (y - scaler.mean.numpy()[:, None]) / scaler.scale.numpy()[:, None]
    errors = (batch["y_pred"][order] - scaled)[np.isfinite(y)]
    assert batch["loss"] == pytest.approx(np.mean(errors**2), rel=1e-4)


def test_set_batch_weight_single_sample_loss():
    X, y = _data()
    weight = np.zeros(N_SAMPLES)
    weight[5] = 1.0
    recorder = BatchRecorder(weight=weight)
    net = _net(X, y, [recorder], batch_size=N_SAMPLES)
    net.fit(_inputs(X), y)
    batch = recorder.batches_[0]
    position = int(np.flatnonzero(batch["sample_index"] == 5)[0])
    assert batch["loss"] == pytest.approx(batch["sample_loss"][position],
                                          rel=1e-5)
    assert batch["loss"] != pytest.approx(batch["sample_loss"].mean(),
                                          rel=1e-3)
    assert net.history[-1, "train_loss"] == pytest.approx(batch["loss"])


def test_sample_weight_only_weights_training():
    X, y = _data()
    weight = np.zeros(N_SAMPLES)
    weight[0] = 1.0
    recorder = BatchRecorder(weight=weight)
    net = _net(X, y, [recorder], train_split=ChronologicalSplit(0.25))
    net.fit(_inputs(X), y)
    valid = [b for b in recorder.batches_ if not b["training"]][0]
    assert valid["loss"] == pytest.approx(valid["sample_loss"].mean(),
                                          rel=1e-5)


def test_set_batch_weight_none_restores_equal_weights():
    X, y = _data()
    net = _net(X, y).initialize()
    net.set_batch_weight(np.arange(N_SAMPLES))
    assert net.batch_weight_.dtype == torch.float32
    net.set_batch_weight(None)
    assert net.batch_weight_ is None


def test_predict_ignores_sample_index():
    X, y = _data()
    net = _net(X, y)
    net.fit(_inputs(X), y)
    out_dict = net.predict(_inputs(X))
    out_plain = net.predict({"x": X})
    assert out_dict.shape == (N_SAMPLES, N_SENSORS, HORIZON, 1)
    np.testing.assert_allclose(out_dict, out_plain)

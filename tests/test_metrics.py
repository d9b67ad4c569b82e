"""Tests of sklearn_dynst.metrics (NumPy metrics and the torch loss)."""

import numpy as np
import pytest
import torch

from sklearn_dynst.exceptions import EmptyMaskWarning
from sklearn_dynst.metrics import masked_mae, masked_mse, masked_rmse
from sklearn_dynst.metrics._torch import (
    LOSSES,
    masked_error,
    reduce_sample_losses,
)


def masked_squared_error(y_pred, y_true):
    return masked_error(y_pred, y_true, "mse")

# y_true (1 sample, horizon 2, 2 sensors): one NaN, one zero
Y_TRUE = np.array([[[1.0, np.nan], [0.0, 4.0]]])
Y_PRED = np.array([[[2.0, 9.0], [1.0, 1.0]]])


def test_masked_mae_hand_computed():
    # |2-1|, |1-0|, |1-4| -> (1 + 1 + 3) / 3
    assert masked_mae(Y_TRUE, Y_PRED) == pytest.approx(5 / 3)


def test_masked_mse_and_rmse_hand_computed():
    assert masked_mse(Y_TRUE, Y_PRED) == pytest.approx(11 / 3)
    assert masked_rmse(Y_TRUE, Y_PRED) == pytest.approx(np.sqrt(11 / 3))


def test_metrics_return_python_floats():
    assert type(masked_mae(Y_TRUE, Y_PRED)) is float
    assert type(masked_mse(Y_TRUE, Y_PRED)) is float


def test_null_value_masks_zeros():
    assert masked_mae(Y_TRUE, Y_PRED, null_value=0.0) == pytest.approx(2.0)
    assert masked_mse(Y_TRUE, Y_PRED, null_value=0.0) == pytest.approx(5.0)


def test_per_horizon():
    np.testing.assert_allclose(masked_mae(Y_TRUE, Y_PRED, per_horizon=True),
                               [1.0, 2.0])
    np.testing.assert_allclose(masked_mse(Y_TRUE, Y_PRED, per_horizon=True),
                               [1.0, 5.0])
    np.testing.assert_allclose(masked_rmse(Y_TRUE, Y_PRED, per_horizon=True),
                               [1.0, np.sqrt(5.0)])


def test_rmse_root_after_averaging():
    # root of the mean over all values, not the mean of per-sample roots
    y_true = np.zeros((2, 1))
    y_pred = np.array([[3.0], [4.0]])
    assert masked_rmse(y_true, y_pred) == pytest.approx(np.sqrt(12.5))


def test_metrics_against_numpy_on_random_data():
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(20, 3, 5, 2))
    y_true[rng.random(y_true.shape) < 0.3] = np.nan
    y_pred = rng.normal(size=y_true.shape)
    errors = (y_pred - y_true)[np.isfinite(y_true)]
    assert masked_mae(y_true, y_pred) == pytest.approx(np.abs(errors).mean())
    assert masked_mse(y_true, y_pred) == pytest.approx((errors**2).mean())
    expected = np.nanmean(np.abs(y_pred - y_true), axis=(0, 2, 3))
    np.testing.assert_allclose(masked_mae(y_true, y_pred, per_horizon=True),
                               expected)


def test_metrics_do_not_write_into_inputs():
    y_true, y_pred = Y_TRUE.copy(), Y_PRED.copy()
    masked_mae(y_true, y_pred, null_value=0.0)
    np.testing.assert_array_equal(y_true, Y_TRUE)
    np.testing.assert_array_equal(y_pred, Y_PRED)


def test_prediction_may_be_nan_where_truth_is_missing():
    y_pred = Y_PRED.copy()
    y_pred[0, 0, 1] = np.nan
    assert masked_mae(Y_TRUE, y_pred) == pytest.approx(5 / 3)


def test_shape_mismatch():
    with pytest.raises(ValueError, match=r"y_pred must have the shape of "
                                         r"y_true \(1, 2, 2\); got \(1, 4\)"):
        masked_mae(Y_TRUE, Y_PRED.reshape(1, 4))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_prediction(bad):
    y_pred = Y_PRED.copy()
    y_pred[0, 1, 1] = bad
    with pytest.raises(ValueError, match=r"y_pred must be finite wherever "
                                         r"y_true is observed; got 1"):
        masked_mse(Y_TRUE, y_pred)


def test_infinite_truth():
    with pytest.raises(ValueError, match="y_true must contain finite values"):
        masked_mae(np.array([[np.inf, 1.0]]), np.zeros((1, 2)))


def test_per_horizon_needs_windows():
    with pytest.raises(ValueError, match="per_horizon=True needs windowed "
                                         "targets"):
        masked_mae(np.ones((3, 2)), np.ones((3, 2)), per_horizon=True)


def test_empty_mask_returns_nan_with_warning():
    y_true = np.full((2, 3), np.nan)
    with pytest.warns(EmptyMaskWarning, match="No observed truth"):
        value = masked_mae(y_true, np.zeros((2, 3)))
    assert np.isnan(value)
    with pytest.warns(EmptyMaskWarning, match="No observed truth"):
        value = masked_rmse(np.zeros((2, 3)), np.ones((2, 3)), null_value=0.0)
    assert np.isnan(value)


def test_empty_horizon_is_nan_others_are_not():
    y_true = Y_TRUE.copy()
    y_true[:, 1] = np.nan
    with pytest.warns(EmptyMaskWarning, match="for at least one horizon"):
        values = masked_mae(y_true, Y_PRED, per_horizon=True)
    assert values[0] == pytest.approx(1.0)
    assert np.isnan(values[1])


# ----------------------------------------------------------------- torch loss
def _random_pair(seed=0, shape=(16, 5, 3, 2), missing=0.3):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(size=shape)
    y_true[rng.random(shape) < missing] = np.nan
    y_pred = rng.normal(size=shape)
    return y_true, y_pred


def test_masked_squared_error_per_sample():
    y_true, y_pred = _random_pair()
    total, count = masked_squared_error(torch.tensor(y_pred),
                                        torch.tensor(y_true))
    assert total.shape == count.shape == (16,)
    for i in range(16):
        observed = np.isfinite(y_true[i])
        assert count[i].item() == observed.sum()
        assert total[i].item() == pytest.approx(
            ((y_pred[i] - y_true[i])[observed] ** 2).sum())
        # per sample, total / count is the numpy masked MSE of that sample
        assert (total[i] / count[i]).item() == pytest.approx(
            masked_mse(y_true[i:i + 1], y_pred[i:i + 1]))


def test_reduce_sample_losses_matches_numpy_masked_mse():
    y_true, y_pred = _random_pair(seed=1)
    loss = reduce_sample_losses(*masked_squared_error(torch.tensor(y_pred),
                                                      torch.tensor(y_true)))
    assert loss.item() == pytest.approx(masked_mse(y_true, y_pred))


def test_reduce_sample_losses_weights():
    y_true, y_pred = _random_pair(seed=2)
    weight = np.random.default_rng(3).uniform(0.0, 2.0, size=len(y_true))
    total, count = masked_squared_error(torch.tensor(y_pred),
                                        torch.tensor(y_true))
    loss = reduce_sample_losses(total, count, torch.tensor(weight))
    observed = np.isfinite(y_true)
    squared = np.where(observed, (y_pred - np.nan_to_num(y_true)) ** 2, 0.0)
    w = weight[:, None, None, None]
    expected = (w * squared).sum() / (w * observed).sum()
    assert loss.item() == pytest.approx(expected)


def test_reduce_sample_losses_single_weight_selects_sample():
    y_true, y_pred = _random_pair(seed=4)
    total, count = masked_squared_error(torch.tensor(y_pred),
                                        torch.tensor(y_true))
    weight = torch.zeros(len(y_true), dtype=torch.float64)
    weight[5] = 1.0
    loss = reduce_sample_losses(total, count, weight)
    assert loss.item() == pytest.approx(masked_mse(y_true[5:6],
                                                   y_pred[5:6]))


def test_masked_squared_error_gradient_ignores_missing():
    y_true = torch.tensor([[1.0, float("nan")]])
    y_pred = torch.tensor([[3.0, 7.0]], requires_grad=True)
    loss = reduce_sample_losses(*masked_squared_error(y_pred, y_true))
    loss.backward()
    assert loss.item() == pytest.approx(4.0)
    np.testing.assert_allclose(y_pred.grad.numpy(), [[4.0, 0.0]])


def test_reduce_sample_losses_all_missing_is_zero():
    y_true = torch.full((2, 3), float("nan"))
    loss = reduce_sample_losses(*masked_squared_error(torch.zeros(2, 3),
                                                      y_true))
    assert loss.item() == 0.0


def _numpy_pointwise(error, loss):
    if loss == "mae":
        return np.abs(error)
    if loss == "mse":
        return error**2
    small = np.abs(error) <= 1.0
    return np.where(small, 0.5 * error**2, np.abs(error) - 0.5)


@pytest.mark.parametrize("loss", LOSSES)
def test_masked_error_every_loss_against_numpy(loss):
    y_true, y_pred = _random_pair(seed=5)
    y_pred = 2.0 * y_pred       # errors on both sides of the Huber delta
    total, count = masked_error(torch.tensor(y_pred), torch.tensor(y_true),
                                loss)
    observed = np.isfinite(y_true)
    values = np.where(observed, _numpy_pointwise(
        y_pred - np.nan_to_num(y_true), loss), 0.0)
    np.testing.assert_allclose(total.numpy(),
                               values.reshape(len(y_true), -1).sum(1))
    np.testing.assert_array_equal(count.numpy(),
                                  observed.reshape(len(y_true), -1).sum(1))
    loss_value = reduce_sample_losses(total, count).item()
    assert loss_value == pytest.approx(values.sum() / observed.sum())
    if loss == "mae":
        assert loss_value == pytest.approx(masked_mae(y_true, y_pred))


def test_masked_error_unknown_loss():
    with pytest.raises(ValueError, match=r"loss must be one of .*got 'l3'"):
        masked_error(torch.zeros(1, 2), torch.zeros(1, 2), "l3")


def test_masked_r2_score_matches_sklearn_without_nan():
    from sklearn.metrics import r2_score

    from sklearn_dynst.metrics import masked_r2_score

    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(30, 4, 3))
    y_pred = y_true + rng.normal(scale=0.5, size=y_true.shape)
    expected = r2_score(y_true.reshape(30, -1), y_pred.reshape(30, -1))
    assert masked_r2_score(y_true, y_pred) == pytest.approx(expected)


def test_masked_r2_score_masks_nan_per_column():
    from sklearn.metrics import r2_score

    from sklearn_dynst.metrics import masked_r2_score

    rng = np.random.default_rng(1)
    y_true = rng.normal(size=(20, 2))
    y_pred = y_true + rng.normal(scale=0.3, size=y_true.shape)
    y_nan = y_true.copy()
    y_nan[:5, 1] = np.nan
    expected = np.mean([r2_score(y_true[:, 0], y_pred[:, 0]),
                        r2_score(y_true[5:, 1], y_pred[5:, 1])])
    assert masked_r2_score(y_nan, y_pred) == pytest.approx(expected)
    with pytest.warns(EmptyMaskWarning, match="R\\^2 is undefined"):
        assert np.isnan(masked_r2_score(np.ones((3, 2)), np.zeros((3, 2))))
    with pytest.warns(EmptyMaskWarning):
        assert np.isnan(masked_r2_score(np.full((3, 2), np.nan),
                                        np.zeros((3, 2))))


@pytest.mark.parametrize("y_pred_shape, weight, match", [
    ((3, 2), None, r"as many samples .* as y_true \(2, 3\); got \(3, 2\)"),
    ((2, 4), None, r"got \(2, 4\)"),
    ((2, 3), np.ones(3), r"sample_weight.shape == \(3,\), expected \(2,\)"),
])
def test_masked_r2_score_bad_shapes(y_pred_shape, weight, match):
    from sklearn_dynst.metrics import masked_r2_score

    with pytest.raises(ValueError, match=match):
        masked_r2_score(np.ones((2, 3)), np.zeros(y_pred_shape),
                        sample_weight=weight)


def test_window_variability_ranks_busy_windows_and_skips_missing():
    from sklearn_dynst.metrics import window_variability

    rng = np.random.default_rng(0)
    calm = rng.normal(0, 0.1, (5, 12, 4))
    busy = rng.normal(0, 2.0, (5, 12, 4))
    scores = window_variability(np.concatenate([calm, busy]))
    assert scores[:5].max() < scores[5:].min()
    # a missing reading leaves the rest of its series in
    holed = busy.copy()
    holed[0, 3, 1] = np.nan
    assert np.isfinite(window_variability(holed)).all()
    np.testing.assert_allclose(window_variability(busy[:, :, None, :])[1:],
                               scores[6:])
    with pytest.raises(ValueError, match="n_samples, n_steps"):
        window_variability(np.zeros((3, 4)))

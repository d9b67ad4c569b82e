"""Tests of sklearn_dynst._scaling."""

import numpy as np
import pytest
import torch

from sklearn_dynst._scaling import Standardizer, fit_standardizer


def _tokens(seed=0, shape=(30, 4, 5, 2), missing=0.2):
    rng = np.random.default_rng(seed)
    tokens = rng.normal(loc=3.0, scale=2.0, size=shape)
    tokens *= np.arange(1, shape[1] + 1)[None, :, None, None]
    tokens[rng.random(shape) < missing] = np.nan
    return tokens


def test_fit_standardizer_matches_nanmean_nanstd():
    tokens = _tokens()
    mean, scale = fit_standardizer(tokens)
    assert mean.shape == scale.shape == (4, 2)
    np.testing.assert_allclose(mean, np.nanmean(tokens, axis=(0, 2)))
    np.testing.assert_allclose(scale, np.nanstd(tokens, axis=(0, 2)))


def test_fit_standardizer_in_slices_equals_the_whole_array(monkeypatch):
    # the statistics are summed over slices of the samples (memory): any
    # slicing, down to a sample at a time, gives the same result, and
    # float32 data are summed in float64
    import sklearn_dynst._scaling as scaling

    tokens = _tokens(shape=(50, 4, 5, 2))
    whole = fit_standardizer(tokens)
    slicing = scaling._chunks
    for max_elements in (1, 45, 400):
        monkeypatch.setattr(scaling, "_chunks", lambda t, m=max_elements:
                            slicing(t, max_elements=m))
        assert len(list(scaling._chunks(tokens))) > 1
        for got, expected in zip(fit_standardizer(tokens), whole):
            np.testing.assert_allclose(got, expected, rtol=1e-12)
    monkeypatch.undo()
    for got, expected in zip(fit_standardizer(tokens.astype(np.float32)),
                             (np.nanmean(tokens.astype(np.float32).astype(
                                 float), axis=(0, 2)),
                              np.nanstd(tokens.astype(np.float32).astype(
                                  float), axis=(0, 2)))):
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_fit_standardizer_does_not_write_into_input():
    tokens = _tokens()
    copy = tokens.copy()
    fit_standardizer(tokens)
    np.testing.assert_array_equal(tokens, copy)


def test_fit_standardizer_constant_and_single_reading():
    tokens = _tokens(shape=(10, 3, 4, 1), missing=0.0)
    tokens[:, 0] = 7.5              # constant sensor
    tokens[:, 1] = np.nan
    tokens[2, 1, 3] = -4.0          # a single reading
    mean, scale = fit_standardizer(tokens)
    np.testing.assert_allclose(mean[:2, 0], [7.5, -4.0])
    np.testing.assert_array_equal(scale[:2, 0], [1.0, 1.0])
    assert scale[2, 0] == pytest.approx(np.std(tokens[:, 2]))


def test_fit_standardizer_all_missing_sensor():
    tokens = _tokens(shape=(10, 2, 3, 1), missing=0.0)
    tokens[:, 1] = np.nan
    mean, scale = fit_standardizer(tokens)
    assert mean[1, 0] == 0.0 and scale[1, 0] == 1.0
    assert np.isfinite(mean).all() and np.isfinite(scale).all()


def test_standardizer_round_trip_and_zero_mean_unit_std():
    tokens = _tokens()
    scaler = Standardizer(*fit_standardizer(tokens))
    x = torch.tensor(tokens, dtype=torch.float32)
    z = scaler.transform(x)
    np.testing.assert_allclose(np.nanmean(z.numpy(), axis=(0, 2)), 0.0,
                               atol=1e-5)
    np.testing.assert_allclose(np.nanstd(z.numpy(), axis=(0, 2)), 1.0,
                               atol=1e-5)
    back = scaler.inverse_transform(z)
    np.testing.assert_allclose(back.numpy(), tokens, rtol=1e-5, atol=1e-5)
    assert torch.isnan(back).sum() == np.isnan(tokens).sum()


def test_standardizer_sensor_index_selects_statistics():
    tokens = _tokens()
    mean, scale = fit_standardizer(tokens)
    scaler = Standardizer(mean, scale)
    index = torch.tensor([1, 3])
    x = torch.tensor(tokens[:, [1, 3]], dtype=torch.float32)
    z = scaler.transform(x, index)
    expected = (tokens[:, [1, 3]] - mean[[1, 3]][None, :, None, :]) \
        / scale[[1, 3]][None, :, None, :]
    np.testing.assert_allclose(z.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scaler.inverse_transform(z, index).numpy(),
                               tokens[:, [1, 3]], rtol=1e-5, atol=1e-5)


def test_standardizer_buffers_are_float32_and_in_state_dict():
    scaler = Standardizer(np.zeros((3, 1)), np.ones((3, 1)))
    assert scaler.mean.dtype == torch.float32
    assert set(scaler.state_dict()) == {"mean", "scale"}
    assert list(scaler.parameters()) == []

"""Common checks: scikit-learn's estimator checks and package-wide rules."""

import importlib
import inspect
import io
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.utils.estimator_checks import (
    estimator_checks_generator,
    parametrize_with_checks,
)

import sklearn_dynst
from sklearn_dynst import DynaPrunerRegressor, DynSTRegressor

PACKAGE = Path(sklearn_dynst.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent


def _small_dynst():
    return DynSTRegressor(max_epochs=3, batch_size=16,
                          backbone_params={"hidden_size": 8},
                          random_state=0, validation_fraction=None)


# --------------------------------------------------------------------------
# scikit-learn's estimator checks
# --------------------------------------------------------------------------

def _small_dyna_pruner():
    return DynaPrunerRegressor(max_epochs=3, batch_size=16,
                               backbone_params={"d_model": 8, "n_heads": 2},
                               random_state=0, validation_fraction=None)


def _expected_failed_checks(estimator):
    if not torch.cuda.is_available():
        return {}
    # device="auto" runs the checks on the GPU, where a window's forecast
    # depends on which windows share its batch at the 1e-7 level (cuBLAS
    # picks kernels by shape); the check asks for rtol=1e-7.
    return {"check_methods_sample_order_invariance":
            "on CUDA, float32 forecasts change by ~1e-7 with the batch"}


@parametrize_with_checks([_small_dynst(), _small_dyna_pruner()],
                         expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("make", [_small_dynst, _small_dyna_pruner])
def test_sklearn_checks_can_be_generated(make):
    checks = list(estimator_checks_generator(make()))
    assert len(checks) > 40


# --------------------------------------------------------------------------
# A model fitted on a GPU loads on a machine without one
# --------------------------------------------------------------------------

class _PlainTensorPickler(pickle.Pickler):
    """Records the tensors that plain pickle saves: those keep their device,
    so a model fitted on CUDA could not be loaded where there is none
    (skorch saves ``module_`` and the optimiser with a ``map_location``)."""

    def __init__(self, file):
        super().__init__(file)
        self.tensors = []

    def reducer_override(self, obj):
        if isinstance(obj, torch.Tensor) or torch.is_storage(obj):
            self.tensors.append(tuple(getattr(obj, "shape", ())))
        return NotImplemented


_SMALL = {"max_epochs": 6, "batch_size": 16, "random_state": 0,
          "device": "cpu"}
_MLP = {**_SMALL, "backbone_params": {"hidden_size": 8}}


@pytest.mark.parametrize("estimator, fit_y", [
    (DynSTRegressor(0.5, **_MLP), True),
    (DynSTRegressor("auto", **_MLP), True),
    (DynSTRegressor(0.5, weight_sparsity=0.5, sample_pruning=0.5, **_MLP),
     True),
    (sklearn_dynst.SensorSelector(0.5, **_MLP), False),
    (DynaPrunerRegressor(0.5, backbone_params={"d_model": 8, "n_heads": 2},
                         **_SMALL), True),
], ids=["dynst", "auto", "weights-samples", "selector", "dyna-pruner"])
def test_no_tensor_is_pickled_outside_skorchs_device_mapping(
        estimator, fit_y, sine_windows):
    X, y = sine_windows
    estimator.fit(X, y if fit_y else None)
    pickler = _PlainTensorPickler(io.BytesIO())
    pickler.dump(estimator)
    assert pickler.tensors == []
    # and the blob loads and predicts as the model does
    loaded = pickle.loads(pickle.dumps(estimator))
    method = "predict" if fit_y else "transform"
    np.testing.assert_array_equal(getattr(loaded, method)(X),
                                  getattr(estimator, method)(X))


# --------------------------------------------------------------------------
# One test module per source module
# --------------------------------------------------------------------------

# Source modules without a test module of their own name. Modules of a
# subpackage may instead be covered by the subpackage's test module
# (``sklearn_dynst/metrics/_torch.py`` -> ``tests/test_metrics.py``), see
# _covering_tests. module -> (test module, reason)
COVERED_ELSEWHERE = {
    "_base.py": (
        "test_dynst.py",
        "BaseSensorForecaster is not for direct use; it is tested through "
        "DynSTRegressor"),
    "exceptions.py": (
        "test_metrics.py",
        "EmptyMaskWarning is raised and tested by the masked metrics"),
}


def _source_modules():
    return sorted(path.relative_to(PACKAGE).as_posix()
                  for path in PACKAGE.rglob("*.py")
                  if path.name != "__init__.py")


def _covering_tests(module):
    """Names of the test modules that may cover a source module.

    ``test_<name>.py`` for ``<name>.py`` or ``_<name>.py``; for a module of a
    subpackage also ``test_<subpackage>.py``. A name used in several places
    (``_base.py``) only maps by name at the top level.
    """
    parts = module.split("/")
    name = parts[-1]
    names = []
    shared = sum(m.split("/")[-1] == name for m in _source_modules()) > 1
    if len(parts) == 1 or not shared:
        names.append("test_" + name.removesuffix(".py").lstrip("_") + ".py")
    if len(parts) > 1:
        names.append("test_" + parts[0] + ".py")
    return names


def test_every_module_has_a_test_module():
    missing = []
    for module in _source_modules():
        if module in COVERED_ELSEWHERE:
            continue
        if not any((TESTS / name).is_file() for name in
                   _covering_tests(module)):
            missing.append(f"{module} (expected one of "
                           f"{_covering_tests(module)})")
    assert not missing, "source modules without a test module: " + \
        ", ".join(missing)


def test_exceptions_to_the_naming_rule_are_current():
    modules = set(_source_modules())
    for module, (test_module, reason) in COVERED_ELSEWHERE.items():
        assert module in modules, f"{module} no longer exists"
        assert (TESTS / test_module).is_file(), test_module
        assert reason
        # an exception that the naming rule now covers is stale
        assert not any((TESTS / name).is_file()
                       for name in _covering_tests(module)), module


# --------------------------------------------------------------------------
# Public names are documented with examples
# --------------------------------------------------------------------------

def _missing_examples(module_name):
    module = importlib.import_module(module_name)
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue            # __version__, registries
        doc = inspect.getdoc(obj) or ""
        if "Examples\n--------" not in doc:
            missing.append(name)
    return missing


@pytest.mark.parametrize("module_name", [
    "sklearn_dynst",
    "sklearn_dynst.metrics",
    "sklearn_dynst.backbones",
    "sklearn_dynst.exceptions",
    "sklearn_dynst.callbacks",
    "sklearn_dynst.baselines",
    "sklearn_dynst.datasets",
    "sklearn_dynst.plotting",
])
def test_public_names_have_examples(module_name):
    assert _missing_examples(module_name) == []


def test_top_level_all_is_importable_and_complete():
    public = set(sklearn_dynst.__all__)
    assert {"DynSTRegressor", "make_windows",
            "temporal_train_test_split"} <= public
    for name in public:
        assert hasattr(sklearn_dynst, name), name

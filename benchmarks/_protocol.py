"""The SPEC benchmark protocol, shared by every script in ``benchmarks/``.

Forecast every sensor 12 steps ahead from 12 past steps; chronological
split of the windows, 70% train, 10% validation (the last 1/8 of the fitted
part, used for early stopping), 20% test; per-sensor z-scores fitted on
training data (inside the estimators); masked MAE/RMSE in original units
(SZ-taxi: zeros are missing truths).
"""

import ast
import functools
import hashlib
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
# torch imports its compiler stack lazily, on the first optimizer built in
# a process (1 to 1.8 s here): done now, so that no timed fit pays for it
import torch._dynamo  # noqa: F401

import sklearn_dynst
from sklearn_dynst import (datasets, make_windows, patchify,
                           temporal_train_test_split, unpatchify)
from sklearn_dynst.metrics import masked_mae, masked_rmse

N_STEPS_IN = HORIZON = 12
TEST_SIZE = 0.2
VALIDATION_FRACTION = 0.125  # of the fitted 80%: 10% of all windows
DATASETS = ("metr_la", "sz_taxi", "beijing_pm25", "era5_uk_t2m")


@functools.lru_cache(maxsize=2)
def load(name, data_home):
    """Windows ``(X, y, y_raw)`` and the adjacency, as the protocol fixes them.

    Cached per process (a job fitting several models reads its data set
    once); callers must not modify the arrays.

    SZ-taxi: zero speeds are missing truths (NaN in ``y``: masked out of the
    loss and the metrics). The inputs keep the raw readings, zeros included,
    as the reference ridge figures of ../shared/data/README.md were made;
    ``y_raw`` keeps the zeros too. ERA5: each of the 1617 grid cells is a
    sensor.
    """
    loaders = {
        "metr_la": lambda: datasets.load_metr_la(),
        "sz_taxi": lambda: datasets.load_sz_taxi(data_home=data_home),
        "beijing_pm25": lambda: datasets.load_beijing_pm25(),
        "era5_uk_t2m": lambda: datasets.load_era5_uk_t2m(data_home=data_home),
    }
    if name not in loaders:
        raise ValueError(f"unknown dataset {name!r}; expected one of "
                         f"{sorted(loaders)}")
    bunch = loaders[name]()
    X, y = make_windows(bunch.data.to_numpy(), N_STEPS_IN, HORIZON,
                        drop_empty=True)
    y_raw = y
    if name == "sz_taxi":
        y = np.where(y == 0, np.nan, y)
    return X, y, y_raw, bunch.adjacency


ERA5_GRID = (33, 49)


def era5_patches(patch_size=3):
    """ERA5 windows as grid patches, one region per patch, and the inverse.

    Returns ``(to_patches, to_cells)``: the first maps the protocol's
    ``(n, steps, 1617)`` windows onto ``(n, steps, n_patches, patch_size **
    2)`` (the 33 x 49 grid padded with missing values up to a multiple of
    ``patch_size``: left out of losses and metrics), the second maps a
    forecast on patches back onto the 1617 cells.
    """
    grid = ERA5_GRID
    patch_grid = tuple(-(-edge // patch_size) for edge in grid)

    def to_patches(cells):
        return patchify(cells.reshape(cells.shape[:2] + (1,) + grid),
                        patch_size, pad=True)

    def to_cells(patches):
        out = unpatchify(patches, patch_grid, patch_size, grid_shape=grid)
        return out.reshape(len(patches), patches.shape[1], -1)

    return to_patches, to_cells


def split(*arrays):
    """Chronological fit / test split of the windows (80 / 20)."""
    return temporal_train_test_split(*arrays, test_size=TEST_SIZE)


def evaluate(y_test, y_pred):
    """MAE, RMSE and MAE at horizons 3, 6 and 12, in original units."""
    per_step = masked_mae(y_test, y_pred, per_horizon=True)
    return {"MAE": masked_mae(y_test, y_pred),
            "RMSE": masked_rmse(y_test, y_pred),
            "MAE@3": per_step[2], "MAE@6": per_step[5],
            "MAE@12": per_step[11]}


def machine_line(seeds):
    """One line naming the seeds, the machine, torch and the date."""
    return (f"Seeds {list(seeds)}; {platform.processor() or platform.machine()}"
            f", {os.cpu_count()} CPU cores, torch {torch.__version__}, "
            f"{time.strftime('%Y-%m-%d')}.")


def code_version():
    """Hash of the package's code: cached fits expire when it changes.

    Docstrings and comments are left out, so editing documentation keeps
    the cache.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(sklearn_dynst.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(
                    body[0], ast.Expr) and isinstance(
                    getattr(body[0], "value", None), ast.Constant) and \
                    isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
        digest.update(ast.dump(tree).encode())
    return digest.hexdigest()[:16]


def add_run_arguments(parser):
    """``--threads``, ``--device``, ``--data-home``, ``--out`` and
    ``--cache``, shared by the cached benchmark scripts."""
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="torch threads")
    parser.add_argument("--device", default="cpu",
                        help='torch device of every model: "cpu", "cuda" '
                             'or "auto" (part of the cache key)')
    parser.add_argument("--data-home", default=os.environ.get(
        "SKLEARN_DYNST_DATA", "../shared/data"))
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--cache", default="benchmarks/.cache",
                        help="joblib.Memory folder: an interrupted run "
                             "resumes from it")
    return parser

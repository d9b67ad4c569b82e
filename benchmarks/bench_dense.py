"""Dense forecaster against persistence and ridge, under the SPEC protocol.

Protocol (../shared/SPEC.md): forecast every sensor 12 steps ahead from 12
past steps; chronological split of the windows, 70% train, 10% validation
(the last 1/8 of the fitted part, used for early stopping), 20% test;
per-sensor z-scores fitted on training data; masked MAE/RMSE in original
units (SZ-taxi: zeros are missing truths); mean over seeds.

Usage::

    python benchmarks/bench_dense.py [--datasets metr_la sz_taxi beijing_pm25]
        [--seeds 0 1 2] [--data-home ../shared/data] [--out benchmarks/results]

METR-LA and Beijing PM2.5 ship with the package; SZ-taxi is read from
``--data-home`` (or the SKLEARN_DYNST_DATA environment variable).
"""

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import RidgeCV

from sklearn_dynst import DynSTRegressor, make_windows, temporal_train_test_split
from sklearn_dynst import datasets
from sklearn_dynst.baselines import PersistenceRegressor
from sklearn_dynst.metrics import masked_mae, masked_rmse

N_STEPS_IN = HORIZON = 12


def load(name, data_home):
    """Windows (X, y, y_raw) and adjacency, as the protocol fixes them.

    SZ-taxi: zero speeds are missing truths (NaN in ``y``: masked out of the
    loss and the metrics). The inputs keep the raw readings, zeros included,
    as the reference ridge figures of ../shared/data/README.md were made;
    ``y_raw`` keeps the zeros too, for the ridge variant trained on them.
    """
    if name == "metr_la":
        bunch = datasets.load_metr_la()
    elif name == "sz_taxi":
        bunch = datasets.load_sz_taxi(data_home=data_home)
    elif name == "beijing_pm25":
        bunch = datasets.load_beijing_pm25()
    else:
        raise ValueError(f"unknown dataset {name!r}")
    X, y = make_windows(bunch.data.to_numpy(), N_STEPS_IN, HORIZON,
                        drop_empty=True)
    y_raw = y
    if name == "sz_taxi":
        y = np.where(y == 0, np.nan, y)
    return X, y, y_raw, bunch.adjacency


def ridge_forecast(X_fit, y_fit, X_test):
    """RidgeCV on flattened z-scored windows (alphas 0.1 ... 1e5).

    Fitted on train + validation (80%): the strongest ridge the protocol
    allows. Missing inputs and targets are set to the training mean.
    """
    mean = np.nanmean(X_fit, axis=(0, 1))
    std = np.nanstd(X_fit, axis=(0, 1)) + 1e-8

    def flat(A):
        return np.nan_to_num((A - mean) / std).reshape(len(A), -1)

    ridge = RidgeCV(alphas=np.logspace(-1, 5, 13))
    ridge.fit(flat(X_fit), flat(y_fit))
    return ridge.predict(flat(X_test)).reshape(-1, *y_fit.shape[1:]) * std \
        + mean


def evaluate(y_test, y_pred):
    per_step = masked_mae(y_test, y_pred, per_horizon=True)
    return {"MAE": masked_mae(y_test, y_pred),
            "RMSE": masked_rmse(y_test, y_pred),
            "MAE@3": per_step[2], "MAE@6": per_step[5],
            "MAE@12": per_step[11]}


def run(name, seeds, data_home):
    X, y, y_raw, adjacency = load(name, data_home)
    X_fit, X_test, y_fit, y_test, y_raw_fit, _ = temporal_train_test_split(
        X, y, y_raw, test_size=0.2)
    rows = []
    start = time.perf_counter()
    y_pers = PersistenceRegressor().fit(X_fit, y_fit).predict(X_test)
    rows.append({"dataset": name, "model": "persistence", "seed": 0,
                 **evaluate(y_test, y_pers),
                 "fit_s": time.perf_counter() - start, "epochs": 0})
    ridges = {"ridge": y_fit}
    if y_raw_fit is not y_fit and not np.array_equal(y_raw_fit, y_fit,
                                                     equal_nan=True):
        ridges["ridge (trained on zeros as values)"] = y_raw_fit
    for label, target in ridges.items():
        start = time.perf_counter()
        y_ridge = ridge_forecast(X_fit, target, X_test)
        rows.append({"dataset": name, "model": label, "seed": 0,
                     **evaluate(y_test, y_ridge),
                     "fit_s": time.perf_counter() - start, "epochs": 0})
    for seed in seeds:
        start = time.perf_counter()
        model = DynSTRegressor(adjacency=adjacency, validation_fraction=0.125,
                               random_state=seed)
        model.fit(X_fit, y_fit)
        fit_s = time.perf_counter() - start
        rows.append({"dataset": name, "model": "DynSTRegressor dense",
                     "seed": seed, **evaluate(y_test, model.predict(X_test)),
                     "fit_s": fit_s, "epochs": len(model.history_)})
        print(f"{name} seed {seed}: MAE {rows[-1]['MAE']:.3f} "
              f"({fit_s:.0f} s, {rows[-1]['epochs']} epochs)", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+",
                        default=["metr_la", "sz_taxi", "beijing_pm25"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--data-home", default=os.environ.get(
        "SKLEARN_DYNST_DATA", "../shared/data"))
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args()
    rows = []
    for name in args.datasets:
        rows += run(name, args.seeds, args.data_home)
    raw = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out / "dense_raw.csv", index=False)
    table = raw.groupby(["dataset", "model"], sort=False).agg(
        MAE=("MAE", "mean"), MAE_std=("MAE", "std"), RMSE=("RMSE", "mean"),
        **{f"MAE@{h}": (f"MAE@{h}", "mean") for h in (3, 6, 12)},
        fit_s=("fit_s", "mean"), epochs=("epochs", "mean"))
    table.to_csv(out / "dense.csv")
    header = (f"Seeds {args.seeds}; {platform.processor() or platform.machine()}"
              f", {os.cpu_count()} CPU cores, torch {torch.__version__}, "
              f"{time.strftime('%Y-%m-%d')}.\n\n")
    (out / "dense.md").write_text(header + table.round(3).to_markdown() + "\n")
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()

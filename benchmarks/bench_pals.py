"""PALS: ``sparsity="auto"`` against a grid search over the sparsity.

Per (dataset, seed), in one job (back to back, so the time ratio compares
runs that met the same machine load):

* **grid**: ``GridSearchCV(DynSTRegressor(), {"sparsity": [0, 0.1, ...,
  0.9]})`` with one chronological fold (the last ``VALIDATION_FRACTION`` of
  the fitted windows validate), refit on all of them at the *sparsest*
  level whose validation MAE is within ``--tolerance`` (1.10) times the
  dense model's (a ``refit`` callable): what a user would run without
  ``"auto"``.
* **auto**: ``DynSTRegressor(sparsity="auto")`` fitted once.

Reported: the level each picks and its test MAE against that of a dense
model fitted on the same windows (the grid's own dense fit saw only the
training fold), and the fit time of ``"auto"`` over the grid's total (its
ten fits and the refit). Cached with ``joblib.Memory``.

With ``--weights`` it measures ``weight_sparsity="auto"`` instead: per
(dataset, seed) a dense model and one with automatic weight sparsity (all
sensors kept), fitted on the same windows; reported: the share of the
backbone's parameters removed (``weight_sparsity_``), both test MAEs and
both fit times (``pals_weights*.csv``, ``pals_weights.md``).

Usage::

    python benchmarks/bench_pals.py [--datasets metr_la sz_taxi
        beijing_pm25 era5_uk_t2m] [--seeds 0 1 2] [--tolerance 1.1]
        [--weights] [--jobs 1] [--threads N] [--device cpu]
        [--data-home ../shared/data] [--out benchmarks/results]
"""

import argparse
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import torch
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV, PredefinedSplit

from _protocol import (DATASETS, HORIZON, VALIDATION_FRACTION,
                       add_run_arguments, code_version, evaluate, load,
                       machine_line, split)
from sklearn_dynst import DynSTRegressor
from sklearn_dynst._windows import chronological_split
from sklearn_dynst.metrics import masked_mae

LEVELS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def sparsest_within(tolerance):
    """``refit`` callable: the sparsest level whose score is within
    ``tolerance`` times the dense (sparsity 0) MAE."""
    def pick(cv_results):
        levels = np.asarray(cv_results["param_sparsity"], dtype=float)
        mae = -np.asarray(cv_results["mean_test_score"], dtype=float)
        dense = mae[levels == 0.0][0]
        ok = np.flatnonzero(mae <= tolerance * dense)
        return int(ok[np.argmax(levels[ok])])
    return pick


def _setup(dataset, seed, data_home, threads, device):
    """The protocol's split of ``dataset`` and the estimator parameters
    every fit of a job shares."""
    torch.set_num_threads(threads)
    X, y, _, adjacency = load(dataset, data_home)
    params = {"adjacency": adjacency, "random_state": seed,
              "validation_fraction": VALIDATION_FRACTION, "device": device}
    return (*split(X, y), params)


def run_job(dataset, seed, data_home, tolerance, threads, code=None,
            device="cpu"):
    """Grid search and ``"auto"`` on one dataset and seed; one row.

    ``code`` (the package's code version) only keys the cache.
    """
    X_fit, X_test, y_fit, y_test, params = _setup(dataset, seed, data_home,
                                                  threads, device)
    fold = np.full(len(X_fit), -1)
    _, valid = chronological_split(len(X_fit), VALIDATION_FRACTION,
                                   gap=HORIZON - 1)
    fold[valid] = 0
    start = time.perf_counter()
    search = GridSearchCV(
        DynSTRegressor(**params), {"sparsity": list(LEVELS)},
        cv=PredefinedSplit(fold),
        scoring=make_scorer(masked_mae, greater_is_better=False),
        refit=sparsest_within(tolerance)).fit(X_fit, y_fit)
    grid_s = time.perf_counter() - start
    valid_mae = dict(zip(LEVELS, -search.cv_results_["mean_test_score"]))
    start = time.perf_counter()
    auto = DynSTRegressor("auto", **params).fit(X_fit, y_fit)
    auto_s = time.perf_counter() - start
    dense = DynSTRegressor(**params).fit(X_fit, y_fit)
    dense_mae = evaluate(y_test, dense.predict(X_test))["MAE"]
    grid_mae = evaluate(y_test, search.predict(X_test))["MAE"]
    auto_mae = evaluate(y_test, auto.predict(X_test))["MAE"]
    row = {"dataset": dataset, "seed": seed,
           "grid sparsity": search.best_params_["sparsity"],
           "auto sparsity": auto.sparsity_,
           "dense MAE": dense_mae, "grid MAE": grid_mae,
           "auto MAE": auto_mae,
           "grid MAE / dense": grid_mae / dense_mae,
           "auto MAE / dense": auto_mae / dense_mae,
           "grid fit s": grid_s, "auto fit s": auto_s,
           "auto / grid time": auto_s / grid_s,
           **{f"valid MAE {s}": v for s, v in valid_mae.items()}}
    print(f"{dataset} seed {seed}: grid {row['grid sparsity']} (MAE "
          f"{grid_mae:.3f}), auto {auto.sparsity_:.2f} (MAE {auto_mae:.3f}),"
          f" dense {dense_mae:.3f}; time auto/grid {row['auto / grid time']:.2f}",
          flush=True)
    return row


def run_weight_job(dataset, seed, data_home, threads, code=None,
                   device="cpu"):
    """Dense and ``weight_sparsity="auto"`` on one dataset and seed; one
    row. ``code`` (the package's code version) only keys the cache."""
    X_fit, X_test, y_fit, y_test, params = _setup(dataset, seed, data_home,
                                                  threads, device)
    row = {"dataset": dataset, "seed": seed}
    for name, extra in [("dense", {}), ("weights", {"weight_sparsity": "auto"})]:
        start = time.perf_counter()
        model = DynSTRegressor(**params, **extra).fit(X_fit, y_fit)
        row[f"{name} fit s"] = time.perf_counter() - start
        row[f"{name} MAE"] = evaluate(y_test, model.predict(X_test))["MAE"]
    row["parameters removed"] = model.weight_sparsity_
    row["weights MAE / dense"] = row["weights MAE"] / row["dense MAE"]
    row["weights / dense time"] = row["weights fit s"] / row["dense fit s"]
    print(f"{dataset} seed {seed}: weight auto removed "
          f"{model.weight_sparsity_:.1%} of the parameters, MAE "
          f"{row['weights MAE']:.3f} against dense {row['dense MAE']:.3f}",
          flush=True)
    return row


def _write(raw, columns, name, header, out):
    """Raw rows, means per dataset as CSV and Markdown; the table."""
    out.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out / f"{name}_raw.csv", index=False)
    table = raw.groupby("dataset", sort=False)[columns].mean()
    table.round(4).to_csv(out / f"{name}.csv")
    text = "\n".join(header + [table.round(3).to_markdown(), ""])
    (out / f"{name}.md").write_text(text)
    print(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--tolerance", type=float, default=1.1)
    parser.add_argument("--jobs", type=int, default=1,
                        help="(dataset, seed) jobs in parallel; the time "
                             "ratio stays within each job")
    parser.add_argument("--weights", action="store_true",
                        help='measure weight_sparsity="auto" instead')
    args = add_run_arguments(parser).parse_args()
    memory = joblib.Memory(args.cache, verbose=0)
    code = code_version()
    header = [machine_line(args.seeds) + f" Device {args.device}; "
              f"{args.jobs} jobs at a time, {args.threads} torch threads "
              "each.", ""]
    jobs = [(d, s) for d in args.datasets for s in args.seeds]
    if args.weights:
        cached = memory.cache(run_weight_job, ignore=["threads"])
        rows = joblib.Parallel(n_jobs=args.jobs)(
            joblib.delayed(cached)(d, s, args.data_home, args.threads, code,
                                   args.device) for d, s in jobs)
        columns = ["parameters removed", "dense MAE", "weights MAE",
                   "weights MAE / dense", "dense fit s", "weights fit s",
                   "weights / dense time"]
        header += ['weight_sparsity="auto" against dense, all sensors kept;'
                   " means over seeds.", ""]
        _write(pd.DataFrame(rows), columns, "pals_weights", header,
               Path(args.out))
        return
    cached = memory.cache(run_job, ignore=["threads"])
    rows = joblib.Parallel(n_jobs=args.jobs)(
        joblib.delayed(cached)(d, s, args.data_home, args.tolerance,
                               args.threads, code, args.device)
        for d, s in jobs)
    columns = ["grid sparsity", "auto sparsity", "dense MAE", "grid MAE",
               "auto MAE", "grid MAE / dense", "auto MAE / dense",
               "grid fit s", "auto fit s", "auto / grid time"]
    header += [f"Grid: sparsest level with validation MAE within "
               f"{args.tolerance} x dense; means over seeds.", ""]
    _write(pd.DataFrame(rows), columns, "pals", header, Path(args.out))


if __name__ == "__main__":
    main()

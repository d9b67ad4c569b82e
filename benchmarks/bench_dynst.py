"""DynST's sensor selection against random, variance and QR selections.

Every selection feeds the *same* forecaster: a ``DynSTRegressor`` whose
``required_sensors`` are the baseline's selection and whose ``sparsity`` is
its complement, so it trains exactly as DynST does (same warm-up, rounds,
sensor dropout and fine-tuning) except for *which* sensors it keeps. The
protocol is in ``benchmarks/_protocol.py``.

Methods: ``dense`` (all sensors), ``dynst`` (DynST, iterative pruning),
``random`` (``--n-random`` random subsets, subset ``i`` with seed ``i``;
``--random-seeds`` names the subsets instead, e.g. to add one to a run),
``variance`` (highest-variance sensors), ``qr`` (PySensors' QR pivoting),
and with ``--ablation`` DynST's training schemes ``one-shot`` and ``dst``
(fixed-sparsity dynamic sparse training; the DynST paper's Table 4).

Fits are cached with ``joblib.Memory`` under ``--cache``: an interrupted run
resumes where it stopped. The predict-time ratio dense / compact (``--time-
dataset``, default ERA5's 1617 cells) is measured in one process at the end,
alternating the models on the same test windows.

Usage::

    python benchmarks/bench_dynst.py [--datasets metr_la sz_taxi ...]
        [--sparsities 0.3 0.5 0.7 0.9] [--seeds 0 1 2] [--n-random 5 | --random-seeds 3 4]
        [--methods dense dynst qr ...] [--ablation] [--jobs 2] [--threads N]
        [--device cpu] [--max-epochs 100] [--data-home ../shared/data]
        [--out benchmarks/results] [--cache benchmarks/.cache]
        [--cached-only] [--from-raw RAW.csv ...] [--time-models DIR]
"""

import argparse
import os
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import torch

from _protocol import (
    DATASETS,
    VALIDATION_FRACTION,
    add_run_arguments,
    code_version,
    evaluate,
    load,
    machine_line,
    split,
)
from sklearn_dynst import DynSTRegressor
from sklearn_dynst.baselines import (
    QRSensorSelector,
    RandomSensorSelector,
    VarianceSensorSelector,
)

SELECTORS = {
    "random": lambda s, seed: RandomSensorSelector(s, random_state=seed),
    "variance": lambda s, seed: VarianceSensorSelector(s),
    "qr": lambda s, seed: QRSensorSelector(s),
}
PRUNING = {"dynst": "iterative", "one-shot": "one-shot", "dst": "dst"}


def _predict_seconds(model, X, repeats=3):
    """Median wall time of ``model.predict(X)``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(X)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def fit_one(dataset, method, sparsity, seed, data_home, threads, model_dir,
            max_epochs=100, code=None, device="cpu"):
    """Fit one (dataset, method, sparsity, seed) job; return its row.

    ``code`` (the package's :func:`code_version`) only keys the cache.
    """
    torch.set_num_threads(threads)
    X, y, _, adjacency = load(dataset, data_home)
    X_fit, X_test, y_fit, y_test = split(X, y)
    params = {"adjacency": adjacency, "random_state": seed,
              "max_epochs": max_epochs, "device": device,
              "validation_fraction": VALIDATION_FRACTION}
    start = time.perf_counter()
    if method == "dense":
        model = DynSTRegressor(**params)
    elif method in PRUNING:
        model = DynSTRegressor(sparsity, pruning=PRUNING[method], **params)
    else:
        support = SELECTORS[method](sparsity, seed).fit(X_fit).support_
        # coverage orders only the removal of the sensors not required, so
        # with the selection fixed it is off (the runs before it existed)
        model = DynSTRegressor(1.0 - support.mean(), required_sensors=support,
                               coverage=False, **params)
    model.fit(X_fit, y_fit)
    fit_s = time.perf_counter() - start
    y_pred = model.predict(X_test)
    row = {"dataset": dataset, "method": method, "sparsity": sparsity,
           "seed": seed, **evaluate(y_test, y_pred), "fit_s": fit_s,
           "epochs": len(model.history_),
           "n_kept": int(model.support_.sum()),
           "predict_s": _predict_seconds(model, X_test)}
    if model_dir is not None and seed == 0:
        path = Path(model_dir) / _model_folder(code, device) / \
            f"{dataset}-{method}-{sparsity}.joblib"
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, path)
    print(f"{dataset} {method} sparsity {sparsity} seed {seed}: MAE "
          f"{row['MAE']:.3f}, kept {row['n_kept']}, fit {fit_s:.0f} s",
          flush=True)
    return row


def _model_folder(code, device):
    """Seed 0's models are kept per code version (and device, but for the
    CPU's) for the predict timings."""
    return code if device == "cpu" else f"{code}-{device}"


def jobs(args):
    for dataset in args.datasets:
        plan = [("dense", 0.0, args.seeds)]
        for sparsity in args.sparsities:
            plan += [("dynst", sparsity, args.seeds),
                     ("random", sparsity, args.random_seeds
                      if args.random_seeds is not None
                      else range(args.n_random)),
                     ("variance", sparsity, args.seeds),
                     ("qr", sparsity, args.seeds)]
            if args.ablation and dataset in args.ablation_datasets:
                plan += [("one-shot", sparsity, args.seeds),
                         ("dst", sparsity, args.seeds)]
        for method, sparsity, seeds in plan:
            if args.methods is None or method in args.methods:
                yield dataset, method, sparsity, seeds


def predict_time_ratios(dataset, sparsities, model_dir, data_home, threads,
                        repeats=5):
    """Dense / compact predict time on the test windows, in one process."""
    torch.set_num_threads(threads)
    X, y, _, _ = load(dataset, data_home)
    _, X_test, _, _ = split(X, y)
    model_dir = Path(model_dir)
    dense = joblib.load(model_dir / f"{dataset}-dense-0.0.joblib")
    rows = []
    for sparsity in sparsities:
        path = model_dir / f"{dataset}-dynst-{sparsity}.joblib"
        if not path.exists():
            continue
        compact = joblib.load(path)
        dense_s, compact_s = [], []
        for _ in range(repeats):  # alternate, so drifts hit both alike
            dense_s.append(_predict_seconds(dense, X_test, 1))
            compact_s.append(_predict_seconds(compact, X_test, 1))
        rows.append({
            "dataset": dataset, "sparsity": sparsity,
            "n_test_windows": len(X_test),
            "kept": int(compact.support_.sum()),
            "dense_predict_s": float(np.median(dense_s)),
            "compact_predict_s": float(np.median(compact_s)),
            "ratio": float(np.median(dense_s) / np.median(compact_s)),
        })
    return pd.DataFrame(rows)


def summarise(raw):
    """Mean per (dataset, sparsity, method), and DynST against the rest."""
    mean = raw.groupby(["dataset", "sparsity", "method"], sort=False).agg(
        MAE=("MAE", "mean"), MAE_std=("MAE", "std"), RMSE=("RMSE", "mean"),
        **{f"MAE@{h}": (f"MAE@{h}", "mean") for h in (3, 6, 12)},
        fit_s=("fit_s", "mean"), epochs=("epochs", "mean"),
        runs=("MAE", "size"))
    per_epoch = (raw["fit_s"] / raw["epochs"]).groupby(
        [raw["dataset"], raw["sparsity"], raw["method"]], sort=False).mean()
    mean["s_per_epoch"] = per_epoch
    wide = mean["MAE"].unstack("method")
    dense = (mean.xs("dense", level="method")["MAE"]
             if "dense" in wide else pd.Series(dtype=float))
    wide = wide.drop(columns="dense", errors="ignore").drop(
        index=0.0, level="sparsity", errors="ignore")
    wide["dense"] = [dense.get((d, 0.0), np.nan) for d, _ in wide.index]
    if "dynst" in wide:
        wide["dynst vs dense %"] = 100 * (wide["dynst"] / wide["dense"] - 1)
        others = [m for m in ("random", "variance", "qr") if m in wide]
        if others:
            # against the baselines that were run at that level; a level
            # with none has no verdict (NaN), not a loss
            measured = wide[others].notna()
            beaten = wide[others].gt(wide["dynst"], axis=0) | ~measured
            wide["dynst best"] = beaten.all(axis=1).where(
                measured.any(axis=1))
    return mean, wide


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--sparsities", nargs="+", type=float,
                        default=[0.3, 0.5, 0.7, 0.9])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n-random", type=int, default=5)
    parser.add_argument("--random-seeds", nargs="+", type=int, default=None,
                        help="random subsets to run (default: the first "
                             "--n-random)")
    parser.add_argument("--methods", nargs="+", default=None,
                        choices=["dense", "dynst", *SELECTORS, "one-shot",
                                 "dst"],
                        help="run only these (default: all of the plan)")
    parser.add_argument("--ablation", action="store_true")
    parser.add_argument("--ablation-datasets", nargs="+",
                        default=["metr_la", "beijing_pm25"])
    parser.add_argument("--time-dataset", default="era5_uk_t2m")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-epochs", type=int, default=100,
                        help="epoch cap of every fit (a smoke test: 5)")
    add_run_arguments(parser)
    parser.set_defaults(threads=None)
    parser.add_argument("--cached-only", action="store_true",
                        help="tabulate the fits already in the cache, run "
                             "none (a partial table of an unfinished run)")
    parser.add_argument("--time-models", default=None, metavar="DIR",
                        help="only time predict, dense / compact, on the "
                             "--time-dataset models saved in DIR "
                             "(<dataset>-dense-0.0.joblib, "
                             "<dataset>-dynst-<sparsity>.joblib), run none")
    parser.add_argument("--from-raw", nargs="+", default=None,
                        metavar="CSV",
                        help="tabulate the rows of these dynst_raw.csv files "
                             "(later files win for the same dataset, method, "
                             "sparsity and seed), run none")
    args = parser.parse_args()
    if args.time_models:
        timing = write_predict_times(args, args.time_models,
                                     args.threads or os.cpu_count() or 1)
        print(timing.round(4).to_markdown(index=False))
        return
    if args.from_raw:
        raw = pd.concat([pd.read_csv(path) for path in args.from_raw])
        raw = raw.drop_duplicates(["dataset", "method", "sparsity", "seed"],
                                  keep="last")
        sources = ["Rows from " + ", ".join(args.from_raw) + "."]
        print("\n".join(write_tables(raw, Path(args.out), sources)))
        return
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.jobs)
    model_dir = Path(args.cache) / "models"
    cached_fit = joblib.Memory(args.cache, verbose=0).cache(
        fit_one, ignore=["threads", "model_dir"])
    code = code_version()
    tasks = [(d, m, s, seed) for d, m, s, seeds in jobs(args)
             for seed in seeds]
    if args.cached_only:
        done = [task for task in tasks if cached_fit.check_call_in_cache(
            *task, args.data_home, threads, model_dir, args.max_epochs, code,
            args.device)]
        print(f"{len(done)} of {len(tasks)} fits are cached; tabulating "
              "those", flush=True)
        tasks = done
        if not tasks:
            raise SystemExit("nothing to tabulate: no fit of this run is in "
                             f"the cache {args.cache} yet")
    print(f"{len(tasks)} fits ({args.jobs} at a time)", flush=True)
    rows = joblib.Parallel(n_jobs=args.jobs)(
        joblib.delayed(cached_fit)(d, m, s, seed, args.data_home, threads,
                                   model_dir, args.max_epochs, code,
                                   args.device)
        for d, m, s, seed in tasks)
    out = Path(args.out)
    footer = []
    models = model_dir / _model_folder(code, args.device)
    if args.time_dataset in args.datasets and (
            models / f"{args.time_dataset}-dense-0.0.joblib").exists():
        timing = write_predict_times(args, models, os.cpu_count() or 1)
        footer = ["", f"## Predict time, dense / compact, "
                      f"{args.time_dataset} (one process, "
                      f"{os.cpu_count()} threads, {args.device})", "",
                  timing.round(4).to_markdown(index=False)]
    text = write_tables(pd.DataFrame(rows), out, [
        machine_line(args.seeds) + f" Device {args.device}."], footer)
    print("\n".join(text))


def write_predict_times(args, models, threads):
    """Time the ``--time-dataset`` models saved in ``models`` and write
    ``dynst_predict_time.csv`` to ``--out``; return the table."""
    timing = predict_time_ratios(args.time_dataset, args.sparsities, models,
                                 args.data_home, threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    timing.to_csv(out / "dynst_predict_time.csv", index=False)
    return timing


def write_tables(raw, out, header, footer=()):
    """Write the raw rows, their summary and a Markdown report (``header``
    first, ``footer`` last) to ``out``; return the report's lines."""
    out.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out / "dynst_raw.csv", index=False)
    mean, wide = summarise(raw)
    mean.to_csv(out / "dynst.csv")
    wide.round(3).reset_index().to_csv(out / "dynst_summary.csv", index=False)
    text = [*header, "",
            "## Test MAE per selection (same forecaster)", "",
            wide.round(3).to_markdown(), "",
            "## All metrics", "", mean.round(3).to_markdown(), *footer]
    (out / "dynst.md").write_text("\n".join(text) + "\n")
    return text


if __name__ == "__main__":
    main()

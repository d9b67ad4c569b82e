"""ST-Prune: fit time and accuracy of sample pruning against full-data training.

Every job fits its models back to back in one process, so the time ratios
compare runs that met the same machine load:

* ``speed``: per (dataset, seed), the dense ``DynSTRegressor`` trained on
  every sample, then with ``sample_pruning=<ratio>`` (default: the
  callback's default). Both use the protocol's early stopping.
* ``ablation`` (``--ablation``): at one fixed sample budget (the lowest-
  scoring ``--easy`` share may be pruned, ``ratio`` of it is), the
  complexity score, the plain mean-loss score (InfoBatch), uniform random
  pruning and the complexity score without rescaling.
* ``curve`` (``--curve``): per-epoch time against test MAE at keep shares
  0.1 ... 0.9 (the ST-Prune paper's Figure 4), the per-epoch time relative
  to the full-data model's in the same job.
* ``dynst`` (``--with-dynst``): DynST at sparsity 0.5 with and without
  sample pruning.
* ``fixed`` (``--fixed-epochs N``): full data against ST-Prune over N
  epochs without early stopping or validation split (the ST-Prune and
  InfoBatch setting).

Fits are cached with ``joblib.Memory`` (keyed by the package's code): an
interrupted run resumes.

Usage::

    python benchmarks/bench_stprune.py [--datasets metr_la sz_taxi
        beijing_pm25] [--seeds 0 1 2] [--ratio R] [--ablation]
        [--curve] [--curve-dataset metr_la] [--with-dynst]
        [--fixed-epochs N]
        [--data-home ../shared/data] [--out benchmarks/results]
"""

import argparse
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import torch

from _protocol import VALIDATION_FRACTION, add_run_arguments, code_version, \
    evaluate, load, machine_line, split
from sklearn_dynst import DynSTRegressor
from sklearn_dynst.callbacks import SamplePruning

DEFAULT_RATIO = SamplePruning().ratio
KEEP_SHARES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _budget(keep):
    """``easy`` share and ``ratio`` that train on ``keep`` of the samples."""
    easy = min(1.0, 2 * (1 - keep))
    return {"easy": easy, "ratio": (1 - keep) / easy}


def _fit(dataset, seed, data_home, sample_pruning=None, sparsity=0.0,
         **params):
    X, y, _, adjacency = load(dataset, data_home)
    X_fit, X_test, y_fit, y_test = split(X, y)
    params.setdefault("validation_fraction", VALIDATION_FRACTION)
    model = DynSTRegressor(sparsity, sample_pruning=sample_pruning,
                           adjacency=adjacency, random_state=seed, **params)
    start = time.perf_counter()
    model.fit(X_fit, y_fit)
    fit_s = time.perf_counter() - start
    history = model.history_
    shares = np.array([row.get("sample_share", 1.0) for row in history])
    durations = np.array([row["dur"] for row in history])
    active = np.array([row.get("pruning_active", False) for row in history])
    return {"dataset": dataset, "seed": seed,
            **evaluate(y_test, model.predict(X_test)), "fit_s": fit_s,
            "epochs": len(history), "mean_sample_share": shares.mean(),
            "epoch_s": durations.mean(),
            "pruned_epoch_s": durations[active].mean() if active.any()
            else np.nan,
            "full_epoch_s": durations[~active].mean()}


def run_job(kind, dataset, seed, data_home, ratio, easy, threads,
            code=None):
    """Fit the models of one job back to back; return their rows.

    ``code`` (the package's code version) only keys the cache.
    """
    torch.set_num_threads(threads)
    if kind == "speed":
        configs = {"full": None,
                   "st-prune": SamplePruning(ratio, random_state=seed)}
    elif kind == "ablation":
        budget = {"ratio": ratio, "easy": easy, "random_state": seed}
        configs = {
            "complexity": SamplePruning(**budget),
            "mean": SamplePruning(score="mean", **budget),
            "random": SamplePruning(score="random", **budget),
            "no rescaling": SamplePruning(rescale=False, **budget)}
    elif kind == "curve":
        configs = {"full": None}
        configs.update({
            f"keep {keep}": SamplePruning(**_budget(keep), anneal=0.0,
                                          random_state=seed)
            for keep in KEEP_SHARES})
    elif kind == "dynst":
        configs = {"dynst 0.5": None,
                   "dynst 0.5 + st-prune": SamplePruning(ratio,
                                                         random_state=seed)}
    else:
        raise ValueError(f"unknown job kind {kind!r}")
    rows = []
    for name, sample_pruning in configs.items():
        sparsity = 0.5 if kind == "dynst" else 0.0
        row = _fit(dataset, seed, data_home, sample_pruning, sparsity)
        rows.append({"job": kind, "config": name, **row})
        print(f"{kind} {dataset} seed {seed} {name}: MAE {row['MAE']:.3f}, "
              f"fit {row['fit_s']:.0f} s, {row['epochs']} epochs, samples "
              f"{row['mean_sample_share']:.2f}", flush=True)
    return rows


def run_fixed_job(dataset, seed, data_home, ratio, epochs, threads,
                  code=None):
    """Full data against ST-Prune over a fixed number of epochs.

    No early stopping, no learning-rate plateaus and so no validation
    split (``patience=None, validation_fraction=None``: both models train
    on every fitted window): the setting of the ST-Prune and InfoBatch
    papers, where annealing covers the last ``anneal`` share of the
    epochs. A validation pass per epoch would only add the same time to
    both fits.
    """
    torch.set_num_threads(threads)
    rows = []
    for name, sample_pruning in (("full", None), ("st-prune", SamplePruning(
            ratio, random_state=seed))):
        row = _fit(dataset, seed, data_home, sample_pruning,
                   max_epochs=epochs, patience=None,
                   validation_fraction=None)
        rows.append({"job": "fixed", "config": name, **row})
        print(f"fixed {epochs} epochs {dataset} seed {seed} {name}: MAE "
              f"{row['MAE']:.3f}, fit {row['fit_s']:.0f} s, samples "
              f"{row['mean_sample_share']:.2f}", flush=True)
    return rows


def _relative(raw, reference):
    """Add fit time and epoch time of each row relative to its job's
    ``reference`` configuration (same dataset, seed, job)."""
    keys = ["job", "dataset", "seed"]
    ref = raw[raw["config"] == reference].set_index(keys)
    joined = raw.join(ref[["fit_s", "epoch_s", "MAE"]], on=keys,
                      rsuffix="_ref")
    raw = raw.copy()
    raw["fit speed-up"] = joined["fit_s_ref"] / joined["fit_s"]
    raw["epoch time share"] = joined["pruned_epoch_s"].fillna(
        joined["epoch_s"]) / joined["epoch_s_ref"]
    raw["MAE vs ref %"] = 100 * (joined["MAE"] / joined["MAE_ref"] - 1)
    return raw


def summarise(raw):
    """Mean over seeds per (job, dataset, config)."""
    columns = ["MAE", "RMSE", "MAE@3", "MAE@12", "fit_s", "epochs",
               "mean_sample_share", "fit speed-up", "epoch time share",
               "MAE vs ref %"]
    tables = {}
    for job, reference in (("speed", "full"), ("fixed", "full"),
                           ("ablation", None), ("curve", "full"),
                           ("dynst", "dynst 0.5")):
        part = raw[raw["job"] == job]
        if part.empty:
            continue
        if reference is not None:
            part = _relative(part, reference)
        present = [c for c in columns if c in part]
        tables[job] = part.groupby(["dataset", "config"], sort=False)[
            present].mean()
    return tables


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+",
                        default=["metr_la", "sz_taxi", "beijing_pm25"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--ratio", type=float, default=DEFAULT_RATIO)
    parser.add_argument("--easy", type=float, default=0.6,
                        help="prunable share in the ablation (fixed budget)")
    parser.add_argument("--ablation", action="store_true")
    parser.add_argument("--curve", action="store_true")
    parser.add_argument("--curve-dataset", default="metr_la")
    parser.add_argument("--with-dynst", action="store_true")
    parser.add_argument("--fixed-epochs", type=int, default=None,
                        help="also compare over this many epochs without "
                             "early stopping (the papers' setting)")
    args = add_run_arguments(parser).parse_args()
    memory = joblib.Memory(args.cache, verbose=0)
    cached = memory.cache(run_job, ignore=["threads"])
    cached_fixed = memory.cache(run_fixed_job, ignore=["threads"])
    code = code_version()
    jobs = [("speed", d, s) for d in args.datasets for s in args.seeds]
    if args.ablation:
        jobs += [("ablation", d, s) for d in args.datasets
                 for s in args.seeds]
    if args.with_dynst:
        jobs += [("dynst", d, s) for d in args.datasets for s in args.seeds]
    if args.curve:
        jobs += [("curve", args.curve_dataset, s) for s in args.seeds]
    print(f"{len(jobs)} jobs, one at a time", flush=True)
    rows = []
    for kind, dataset, seed in jobs:
        rows += cached(kind, dataset, seed, args.data_home, args.ratio,
                       args.easy, args.threads, code)
    if args.fixed_epochs:
        for dataset in args.datasets:
            for seed in args.seeds:
                rows += cached_fixed(dataset, seed, args.data_home,
                                     args.ratio, args.fixed_epochs,
                                     args.threads, code)
    raw = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out / "stprune_raw.csv", index=False)
    tables = summarise(raw)
    titles = {
        "speed": f"Fit time and MAE, full data vs ST-Prune (ratio "
                 f"{args.ratio})",
        "ablation": f"Scores at one sample budget (prunable share "
                    f"{args.easy}, ratio {args.ratio})",
        "curve": "Per-epoch time vs MAE at fixed keep shares",
        "dynst": "DynST at sparsity 0.5 with ST-Prune",
        "fixed": f"Full data vs ST-Prune over {args.fixed_epochs} epochs, "
                 "no early stopping"}
    text = [machine_line(args.seeds) + f" {args.threads} torch threads; "
            "ratios within each job (same process, back to back).", ""]
    for job, table in tables.items():
        table.round(4).to_csv(out / f"stprune_{job}.csv")
        text += [f"## {titles[job]}", "", table.round(3).to_markdown(), ""]
    (out / "stprune.md").write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()

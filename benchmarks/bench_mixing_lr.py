"""The decoder mixing's learning-rate factor: the fan-in rule against none.

:meth:`AllSensorDecoder.lr_scales
<sklearn_dynst.backbones._blocks.AllSensorDecoder.lr_scales>` trains the
spatial mixing of the all-sensor decoder at ``min(1, d_model / n_kept)``
times the learning rate. This script fits the same ``DynSTRegressor``
(same seed, same windows, the SPEC protocol) with that rule (``rule``) and
with every factor 1 (``none``: the mixing at the network's learning rate,
as before the rule), back to back in one process, and prints and writes a
row per fit with test MAE, epochs and the sparsity reached.

Fits are cached (``joblib.Memory``, keyed by the package's code): an
interrupted run resumes.

Usage::

    python benchmarks/bench_mixing_lr.py --datasets metr_la sz_taxi
        [--sparsities 0 0.5 auto] [--seeds 0 1 2] [--threads 1]
        [--data-home ../shared/data] [--out benchmarks/results]
"""

import argparse
import contextlib
import time
from pathlib import Path
from unittest import mock

import joblib
import pandas as pd
import torch

from _protocol import (VALIDATION_FRACTION, add_run_arguments, code_version,
                       evaluate, load, machine_line, split)
from sklearn_dynst import DynSTRegressor
from sklearn_dynst.backbones._blocks import AllSensorDecoder

RULES = ("rule", "none")


def _sparsity(text):
    return text if text == "auto" else float(text)


def fit_one(dataset, sparsity, seed, rule, data_home, device, threads,
            code=None):
    """Fit one model; ``code`` (the package's version) only keys the cache."""
    torch.set_num_threads(threads)
    X, y, _, adjacency = load(dataset, data_home)
    X_fit, X_test, y_fit, y_test = split(X, y)
    model = DynSTRegressor(sparsity, adjacency=adjacency, random_state=seed,
                           validation_fraction=VALIDATION_FRACTION,
                           device=device)
    # "none": no parameter gets a factor, the mixing trains at lr
    scales = mock.patch.object(AllSensorDecoder, "lr_scales",
                               lambda self, n_kept: {}) \
        if rule == "none" else contextlib.nullcontext()
    start = time.perf_counter()
    with scales:
        model.fit(X_fit, y_fit)
    fit_s = time.perf_counter() - start
    row = {"dataset": dataset, "sparsity": str(sparsity), "seed": seed,
           "rule": rule, **evaluate(y_test, model.predict(X_test)),
           "sparsity_": float(model.sparsity_), "epochs": len(model.history_),
           "fit_s": fit_s}
    print(f"{dataset} sparsity {sparsity} seed {seed} {rule}: MAE "
          f"{row['MAE']:.4f}, {row['epochs']} epochs, reached "
          f"{row['sparsity_']:.3f}, fit {fit_s:.0f} s", flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--sparsities", nargs="+", type=_sparsity,
                        default=[0.0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--name", default="mixing_lr",
                        help="stem of the files written under --out")
    args = add_run_arguments(parser).parse_args()
    cached = joblib.Memory(args.cache, verbose=0).cache(
        fit_one, ignore=["threads"])
    code = code_version()
    rows = [cached(dataset, sparsity, seed, rule, args.data_home,
                   args.device, args.threads, code)
            for dataset in args.datasets for sparsity in args.sparsities
            for seed in args.seeds for rule in RULES]
    raw = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out / f"{args.name}_raw.csv", index=False)
    table = raw.pivot_table(index=["dataset", "sparsity", "seed"],
                            columns="rule", values=["MAE", "sparsity_"])
    table.columns = [f"{value} {rule}" for value, rule in table.columns]
    means = raw.groupby(["dataset", "sparsity", "rule"])[
        ["MAE", "sparsity_", "epochs"]].mean().unstack("rule")
    means.columns = [f"{value} {rule}" for value, rule in means.columns]
    means["MAE rule / none"] = means["MAE rule"] / means["MAE none"]
    text = [machine_line(args.seeds) + f" {args.threads} torch threads.", "",
            "## Mean over seeds", "", means.round(4).to_markdown(), "",
            "## Per seed", "", table.round(4).to_markdown(), ""]
    (out / f"{args.name}.md").write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()

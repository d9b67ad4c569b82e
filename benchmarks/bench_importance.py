"""DynST with a chosen ``importance`` and ``coverage``, under the protocol.

Compares what a round ranks by (e.g. the absence cost against the Fisher
estimate that ``importance="auto"`` used above sparsity 0.8), or how PALS
shrinks (``--sparsity auto`` with and without ``--no-coverage``), without
the baselines: ``bench_dynst.py`` and ``bench_pals.py`` give those. One
line per fit, with the sparsity reached.

Usage::

    python benchmarks/bench_importance.py --datasets metr_la beijing_pm25
        [--importance absence] [--sparsity 0.3 0.9 | auto] [--no-coverage]
        [--residual auto | interpolate | last]
        [--seeds 0 1 2] [--data-home ../shared/data] [--threads 1]
"""

import argparse
import itertools
import os
import time

import torch

from _protocol import VALIDATION_FRACTION, evaluate, load, split
from sklearn_dynst import DynSTRegressor


def _sparsity(text):
    return text if text == "auto" else float(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--importance", default="auto",
                        choices=["auto", "absence", "removal", "magnitude"])
    parser.add_argument("--sparsity", type=_sparsity, nargs="+",
                        default=[0.9], help="floats, or auto (PALS)")
    parser.add_argument("--no-coverage", dest="coverage",
                        action="store_false",
                        help="rank by importance instead of the covering "
                             "removal")
    parser.add_argument("--residual", default="auto",
                        choices=["auto", "interpolate", "last"],
                        help="where switched-off sensors' forecasts start")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-home", default=os.environ.get(
        "SKLEARN_DYNST_DATA", "../shared/data"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for dataset in args.datasets:
        X, y, _, adjacency = load(dataset, args.data_home)
        X_fit, X_test, y_fit, y_test = split(X, y)
        for sparsity, seed in itertools.product(args.sparsity, args.seeds):
            start = time.perf_counter()
            model = DynSTRegressor(
                sparsity, importance=args.importance,
                coverage=args.coverage, residual=args.residual,
                adjacency=adjacency, random_state=seed,
                max_epochs=args.max_epochs,
                validation_fraction=VALIDATION_FRACTION).fit(X_fit, y_fit)
            mae = evaluate(y_test, model.predict(X_test))["MAE"]
            reached = 1 - model.support_.mean()
            print(f"{dataset} importance={args.importance} coverage="
                  f"{args.coverage} residual={args.residual} sparsity "
                  f"{sparsity} seed {seed}: "
                  f"{reached:.3f} off, MAE {mae:.3f}, fit "
                  f"{time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()

"""Does unstructured weight sparsity make CPU inference faster?

Times, in one process and in turn, a dense matmul against ``torch.sparse``
CSR matmul of the same weight at several sparsities, for the shapes of the default
backbone's heaviest layers: the decoder's sensor mixing (ERA5: 1617 x 1617
sensors, applied to 64 windows x 64 features) and a hidden linear layer
(64 x 64, applied to 64 windows x 1617 tokens). Medians of ``--repeats``.

Usage::

    python benchmarks/bench_sparse_matmul.py [--threads 2] [--repeats 21]
        [--out benchmarks/results]
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from _protocol import machine_line

SHAPES = {
    "decoder mixing (ERA5)": (1617, 1617, 64 * 64),
    "hidden linear (ERA5 tokens)": (64, 64, 64 * 1617),
}
SPARSITIES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)


def _alternated_medians(first, second, repeats):
    """Median seconds of two functions timed in turn (drifts hit both)."""
    first(), second()  # warm-up
    times = ([], [])
    for _ in range(repeats):
        for function, store in zip((first, second), times):
            start = time.perf_counter()
            function()
            store.append(time.perf_counter() - start)
    return float(np.median(times[0])), float(np.median(times[1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    rows = []
    for name, (n_out, n_in, n_cols) in SHAPES.items():
        inputs = torch.randn(n_in, n_cols, generator=generator)
        weight = torch.randn(n_out, n_in, generator=generator)
        for sparsity in SPARSITIES[1:]:
            mask = torch.rand(n_out, n_in, generator=generator) >= sparsity
            with warnings.catch_warnings():  # "CSR support is in beta"
                warnings.simplefilter("ignore", UserWarning)
                sparse = (weight * mask).to_sparse_csr()
            dense_s, sparse_s = _alternated_medians(
                lambda: weight @ inputs, lambda: sparse @ inputs,
                args.repeats)
            rows.append({"layer": name, "sparsity": sparsity,
                         "dense ms": 1e3 * dense_s,
                         "CSR ms": 1e3 * sparse_s,
                         "speed-up dense/CSR": dense_s / sparse_s})
    table = pd.DataFrame(rows)
    text = (f"{machine_line([])} {args.threads} threads; medians of "
            f"{args.repeats}.\n\n" + table.round(3).to_markdown(index=False)
            + "\n")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sparse_matmul.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

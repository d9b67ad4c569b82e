"""ST-Prune on METR-LA: the same forecaster trained on all samples and with sample pruning.

Fits the dense ``DynSTRegressor`` twice on the shipped METR-LA data, on
every sample each epoch and with ``sample_pruning`` (ST-Prune), and draws
the validation loss against the training time, and the share of the
training samples each epoch used. Prints the fit times and test MAEs.
Saves ``sample_pruning.png``.

Run: ``python examples/plot_sample_pruning.py [--ratio 0.8] [--output PATH]``.
"""

import argparse
import time

from sklearn_dynst import DynSTRegressor, make_windows, temporal_train_test_split
from sklearn_dynst.datasets import load_metr_la
from sklearn_dynst.metrics import masked_mae
from sklearn_dynst.plotting import plot_history


def main(ratio=0.8, output="sample_pruning.png", quick=False):
    import matplotlib.pyplot as plt

    bunch = load_metr_la()
    X, y = make_windows(bunch.data, n_steps_in=12, horizon=12)
    X_fit, X_test, y_fit, y_test = temporal_train_test_split(X, y,
                                                             test_size=0.2)
    params = {"max_epochs": 3} if quick else {}
    histories, lines = {}, []
    for name, sample_pruning in (("all samples", None),
                                 (f"ST-Prune (ratio {ratio})", ratio)):
        model = DynSTRegressor(sample_pruning=sample_pruning,
                               adjacency=bunch.adjacency,
                               validation_fraction=0.125, random_state=0,
                               **params)
        start = time.perf_counter()
        model.fit(X_fit, y_fit)
        seconds = time.perf_counter() - start
        mae = masked_mae(y_test, model.predict(X_test))
        histories[name] = model.history_
        lines.append(f"{name:<24} fit {seconds:5.1f} s, "
                     f"{len(model.history_)} epochs, test MAE {mae:.3f}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    plot_history(histories, "valid_loss", x="time", ax=left,
                 title="validation loss against training time")
    left.set_ylabel("validation loss (MAE, z-scored)")
    plot_history(histories, "sample_share", ax=right, drawstyle="steps-mid",
                 title="share of the training samples used")
    right.set_ylim(0, 1.05)
    right.set_ylabel("samples used / training samples")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
    print("\n".join(lines))
    print(f"saved {output}")
    return histories


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratio", type=float, default=0.8)
    parser.add_argument("--output", default="sample_pruning.png")
    parser.add_argument("--quick", action="store_true",
                        help="a few epochs only: checks the script runs")
    args = parser.parse_args()
    main(args.ratio, args.output, args.quick)

"""DynST's training on METR-LA: loss and active sensors over the rounds.

Fits ``DynSTRegressor(sparsity=0.5)`` on the shipped METR-LA data and draws
its ``history_``: the training and validation losses per epoch, the number
of active sensors falling round after round (with the swaps marked), and
the fine-tuning on the kept sensors. Saves ``dynst_training.png``.

Run: ``python examples/plot_dynst_training.py [--sparsity 0.5]
[--output PATH]``.
"""

import argparse

import numpy as np

from sklearn_dynst import DynSTRegressor, make_windows, temporal_train_test_split
from sklearn_dynst.datasets import load_metr_la


def main(sparsity=0.5, output="dynst_training.png", quick=False):
    import matplotlib.pyplot as plt

    bunch = load_metr_la()
    X, y = make_windows(bunch.data, n_steps_in=12, horizon=12)
    X_fit, _, y_fit, _ = temporal_train_test_split(X, y, test_size=0.2)
    params = {"n_rounds": 2, "epochs_per_round": 1, "max_epochs": 2} \
        if quick else {}
    model = DynSTRegressor(sparsity, adjacency=bunch.adjacency,
                           validation_fraction=0.125, random_state=0,
                           **params).fit(X_fit, y_fit)
    history = model.history_
    epochs = np.arange(1, len(history) + 1)
    events = [row.get("event_pruning") for row in history]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    top.plot(epochs, [row["train_loss"] for row in history], label="train")
    top.plot(epochs, [row["valid_loss"] for row in history],
             label="validation")
    top.set_ylabel("loss (MAE, z-scored units)")
    top.legend()
    top.set_title(f"DynST on METR-LA, sparsity {sparsity}: "
                  f"{int(model.support_.sum())} of {model.n_features_in_} "
                  "sensors kept")
    bottom.step(epochs, [row["n_active_sensors"] for row in history],
                where="post", color="tab:green")
    swaps = [epoch for epoch, event in zip(epochs, events)
             if event and event.startswith("swap")]
    for epoch in swaps:
        bottom.axvline(epoch, color="tab:orange", lw=0.8, ls=":")
    n_pruning = max((e for e, row in zip(epochs, history)
                     if row.get("event_pruning")), default=0)
    for ax in (top, bottom):
        ax.axvspan(0.5, n_pruning + 0.5, color="0.93", zorder=0)
    bottom.text(n_pruning + 1, model.n_features_in_ * 0.9,
                "fine-tuning on the kept sensors", fontsize=9)
    bottom.set_ylabel("active sensors")
    bottom.set_xlabel("epoch (grey: warm-up and pruning rounds" +
                      ("; dotted: swaps)" if swaps else
                       f"; swap_fraction={model.swap_fraction}: no swaps)"))
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
    print(f"Kept {int(model.support_.sum())} sensors after "
          f"{len(history)} epochs; saved {output}")
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sparsity", type=float, default=0.5)
    parser.add_argument("--output", default="dynst_training.png")
    parser.add_argument("--quick", action="store_true",
                        help="a few epochs only: checks the script runs")
    args = parser.parse_args()
    main(args.sparsity, args.output, args.quick)

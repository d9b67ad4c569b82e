"""Which sensors DynST keeps: METR-LA and Beijing on the map, ERA5 as a grid.

Fits ``DynSTRegressor(sparsity)`` on each data set (METR-LA's 207 road
sensors and Beijing's 36 air-quality stations ship with the package; ERA5's
33 x 49 temperature cells over the UK are read from ``--data-home`` when
there) and draws the sensors it keeps: on their coordinates, coloured by
the learned score, switched-off ones as grey crosses; ERA5 as an image of
the mean temperature with the switched-off cells greyed out. Prints each
model's test MAE beside the dense model's. Saves ``sensor_maps.png``.

Run: ``python examples/plot_sensor_maps.py [--sparsity 0.5]
[--max-epochs 30] [--data-home ../shared/data] [--output PATH]``.
"""

import argparse
import os

from sklearn_dynst import DynSTRegressor, make_windows, temporal_train_test_split
from sklearn_dynst.datasets import (load_beijing_pm25, load_era5_uk_t2m,
                                    load_metr_la)
from sklearn_dynst.metrics import masked_mae
from sklearn_dynst.plotting import plot_grid_map, plot_sensor_map


def fit(name, bunch, sparsity, max_epochs, quick):
    """DynST and the dense model on one data set; prints their MAE."""
    data = bunch.data.iloc[-400:] if quick else bunch.data
    X, y = make_windows(data, n_steps_in=12, horizon=12, drop_empty=True)
    X_fit, X_test, y_fit, y_test = temporal_train_test_split(X, y,
                                                             test_size=0.2)
    params = {"adjacency": bunch.adjacency, "validation_fraction": 0.125,
              "max_epochs": max_epochs, "random_state": 0}
    if quick:
        params.update(n_rounds=2, epochs_per_round=1)
    model = DynSTRegressor(sparsity, **params).fit(X_fit, y_fit)
    dense = DynSTRegressor(**params).fit(X_fit, y_fit)
    print(f"{name}: kept "
          f"{int(model.support_.sum())} of {model.n_features_in_}; test MAE "
          f"DynST {masked_mae(y_test, model.predict(X_test)):.3f}, dense "
          f"{masked_mae(y_test, dense.predict(X_test)):.3f}")
    return model


def main(sparsity=0.5, max_epochs=30, data_home=None,
         output="sensor_maps.png", quick=False):
    import matplotlib.pyplot as plt

    bunches = {"METR-LA road speed": load_metr_la(),
               "Beijing PM2.5": load_beijing_pm25()}
    try:
        bunches["ERA5 UK 2 m temperature"] = load_era5_uk_t2m(
            data_home=data_home)
    except FileNotFoundError as error:
        print(f"skipping ERA5: {error}")
    fig, axes = plt.subplots(1, len(bunches), figsize=(6 * len(bunches), 5))
    models = {}
    for ax, (name, bunch) in zip(axes, bunches.items()):
        model = models[name] = fit(name, bunch, sparsity, max_epochs, quick)
        title = (f"{name}: {int(model.support_.sum())} of "
                 f"{model.n_features_in_} kept")
        if "grid_shape" in bunch:
            plot_grid_map(bunch.data.mean().to_numpy(),
                          support=model.support_,
                          grid_shape=bunch.grid_shape,
                          latitude=bunch.latitude, longitude=bunch.longitude,
                          ax=ax, cmap="RdYlBu_r", label="mean 2 m temperature"
                          " (K)", title=title)
        else:
            plot_sensor_map(bunch.coordinates, model.sensor_scores_,
                            support=model.support_, ax=ax,
                            label="DynST score", title=title)
    fig.suptitle(f"DynST, sparsity {sparsity}: the sensors a model needs to "
                 "forecast every sensor 12 steps ahead")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
    print(f"saved {output}")
    return models


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sparsity", type=float, default=0.5)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--data-home", default=os.environ.get(
        "SKLEARN_DYNST_DATA", "../shared/data"))
    parser.add_argument("--output", default="sensor_maps.png")
    parser.add_argument("--quick", action="store_true",
                        help="a few epochs on the last days (a smoke test)")
    args = parser.parse_args()
    main(args.sparsity, args.max_epochs, args.data_home, args.output,
         args.quick)

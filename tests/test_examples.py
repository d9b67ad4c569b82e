"""The example scripts run end to end (a few epochs: a smoke test)."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_quickstart_prints_the_table_and_saves_the_map(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    quickstart = runpy.run_path(str(EXAMPLES / "quickstart.py"))
    output = tmp_path / "quickstart.png"
    table = quickstart["main"](output=str(output), quick=True)
    assert output.stat().st_size > 10_000
    assert {"dense (all sensors)", "DynST", "random half (seed 0)",
            "highest variance"} <= set(table.index)
    assert table.loc["DynST", "sensors read"] == 104
    assert table.loc["dense (all sensors)", "sensors read"] == 207
    assert (table["MAE"] > 0).all()
    out = capsys.readouterr().out
    assert "DynST reads 104 of 207 sensors" in out


def test_dynst_training_plot(tmp_path):
    pytest.importorskip("matplotlib")
    script = runpy.run_path(str(EXAMPLES / "plot_dynst_training.py"))
    output = tmp_path / "training.png"
    model = script["main"](0.5, str(output), quick=True)
    assert output.stat().st_size > 10_000
    assert model.support_.sum() == 104
    assert model.history_[0]["n_active_sensors"] == 207


def test_sample_pruning_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    script = runpy.run_path(str(EXAMPLES / "plot_sample_pruning.py"))
    output = tmp_path / "pruning.png"
    histories = script["main"](0.8, str(output), quick=True)
    assert output.stat().st_size > 10_000
    full, pruned = histories.values()
    assert [row.get("sample_share", 1.0) for row in full] == [1.0] * 3
    assert pruned[0]["sample_share"] == 1.0
    assert pruned[1]["sample_share"] < 0.8
    assert "test MAE" in capsys.readouterr().out


def test_auto_sparsity_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    script = runpy.run_path(str(EXAMPLES / "plot_auto_sparsity.py"))
    output = tmp_path / "auto.png"
    model = script["main"](str(output), quick=True)
    assert output.stat().st_size > 10_000
    updates = [u for row in model.history_
               for u in row.get("sparsity_updates", [])]
    assert updates and updates[0]["decision"] == "shrink"
    assert "sparsity chosen" in capsys.readouterr().out


def test_dyna_pruner_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    script = runpy.run_path(str(EXAMPLES / "plot_dyna_pruner.py"))
    output = tmp_path / "dyna.png"
    model, busy, share = script["main"](0.5, str(output), quick=True)
    assert output.stat().st_size > 10_000
    assert len(busy) == len(share) and 0 < share.mean() < 1
    assert "FLOPs per window" in capsys.readouterr().out


def test_sensor_maps_plot_without_era5(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    script = runpy.run_path(str(EXAMPLES / "plot_sensor_maps.py"))
    output = tmp_path / "maps.png"
    models = script["main"](0.5, 1, str(tmp_path / "no-data"), str(output),
                            quick=True)
    assert output.stat().st_size > 10_000
    assert list(models) == ["METR-LA road speed", "Beijing PM2.5"]
    assert [m.support_.sum() for m in models.values()] == [104, 18]
    out = capsys.readouterr().out
    assert "skipping ERA5" in out and "Beijing PM2.5: kept 18 of 36" in out


def test_sensor_maps_plot_draws_era5_as_a_grid(tmp_path, shared_data):
    pytest.importorskip("matplotlib")
    script = runpy.run_path(str(EXAMPLES / "plot_sensor_maps.py"))
    output = tmp_path / "maps.png"
    models = script["main"](0.7, 1, str(shared_data), str(output), quick=True)
    era5 = models["ERA5 UK 2 m temperature"]
    assert era5.support_.shape == (1617,) and era5.support_.sum() == 485
    assert output.stat().st_size > 10_000


def test_accuracy_vs_sparsity_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    script = runpy.run_path(str(EXAMPLES / "plot_accuracy_vs_sparsity.py"))
    output = tmp_path / "accuracy.png"
    table = script["main"]((0.5,), 1, 2, output=str(output), quick=True)
    assert output.stat().st_size > 10_000
    methods = set(table["method"])
    assert {"persistence", "dense", "auto", "dynst", "random",
            "variance"} <= methods
    assert (table["method"] == "random").sum() == 2
    assert table.loc[table["method"] == "dynst", "kept"].item() == 0.5
    # a benchmark's CSV is drawn for the data set asked for
    csv = tmp_path / "raw.csv"
    table.assign(dataset="beijing_pm25").to_csv(csv, index=False)
    again = script["main"](results=str(csv), dataset="beijing_pm25",
                           output=str(tmp_path / "from_csv.png"))
    assert len(again) == len(table)
    with pytest.raises(ValueError, match="no rows of data set 'metr_la'"):
        script["main"](results=str(csv), dataset="metr_la",
                       output=str(tmp_path / "none.png"))


def test_dyna_pruner_era5_plot(tmp_path, shared_data, capsys):
    pytest.importorskip("matplotlib")
    script = runpy.run_path(str(EXAMPLES / "plot_dyna_pruner_era5.py"))
    output = tmp_path / "dyna_era5.png"
    model = script["main"](0.5, 1, str(shared_data), str(output), quick=True)
    assert output.stat().st_size > 10_000
    assert model.n_features_in_ == 187  # 11 x 17 patches of 3 x 3 cells
    assert "patches kept per window" in capsys.readouterr().out

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

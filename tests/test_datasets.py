"""Tests of sklearn_dynst.datasets."""

import csv
import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics.pairwise import haversine_distances

from sklearn_dynst.datasets import (
    get_data_home,
    load_beijing_pm25,
    load_era5_uk_t2m,
    load_metr_la,
    load_sz_taxi,
)
from sklearn_dynst.datasets._base import (
    _gaussian_kernel_adjacency,
    _grid_adjacency,
    _haversine_distances,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
ENV = "SKLEARN_DYNST_DATA"
EARTH_RADIUS_KM = 6371.0088


@pytest.fixture
def shared_data():
    """The real data folder beside the repository; skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture
def no_env(monkeypatch):
    """Run without the SKLEARN_DYNST_DATA environment variable."""
    monkeypatch.delenv(ENV, raising=False)


# --------------------------------------------------------------------------
# Small fake data folders
# --------------------------------------------------------------------------


def _write_csv(path, rows, header=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)


def _make_fake_metr_la(root):
    """3 sensors, 4 steps, with zeros; locations listed in another order."""
    speeds = np.array(
        [[60.5, 0.0, 55.0], [61.0, 40.25, 0.0], [0.0, 41.0, 54.0], [62.0, 42.0, 53.5]]
    )
    names = ["111", "222", "333"]
    _write_csv(root / "metr_la" / "los_speed.csv", speeds.tolist(), header=names)
    adjacency = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.25], [0.0, 0.25, 1.0]])
    _write_csv(root / "metr_la" / "los_adj.csv", adjacency.tolist())
    _write_csv(
        root / "metr_la" / "graph_sensor_locations.csv",
        [[0, "333", 34.3, -118.3], [1, "111", 34.1, -118.1], [2, "222", 34.2, -118.2]],
        header=["index", "sensor_id", "latitude", "longitude"],
    )
    return speeds, names, adjacency


def _make_fake_sz_taxi(root, n_timesteps=5, n_sensors=3):
    rng = np.random.default_rng(0)
    values = rng.uniform(5, 30, size=(n_timesteps, n_sensors, 1))
    values[[0, 2, 4], [1, 0, 2], 0] = 0.0
    folder = root / "sz_taxi"
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "sz_taxi.npz", data=values)
    adjacency = np.ones((n_sensors, n_sensors)) - np.eye(n_sensors)
    _write_csv(folder / "sz_adj.csv", adjacency.astype(int).tolist())
    return values[:, :, 0], adjacency


def _make_fake_era5(root):
    rng = np.random.default_rng(0)
    t2m = rng.normal(280, 3, size=(4, 2, 3)).astype(np.float32)
    time = np.array([0, 3600, 7200, 10800], dtype=np.int64)
    latitude = np.array([51.0, 50.75])
    longitude = np.array([-1.0, -0.75, -0.5])
    folder = root / "era5_uk_t2m"
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(
        folder / "era5_t2m_uk_2019_03.npz",
        t2m=t2m,
        time=time,
        latitude=latitude,
        longitude=longitude,
    )
    return t2m, latitude, longitude


# --------------------------------------------------------------------------
# Graph helpers
# --------------------------------------------------------------------------


def test_haversine_distances_known_values():
    # one degree of latitude, and a quarter of the equator
    distances = _haversine_distances([0.0, 1.0, 0.0], [0.0, 0.0, 90.0])
    assert distances.shape == (3, 3)
    np.testing.assert_allclose(np.diag(distances), 0.0)
    np.testing.assert_allclose(distances, distances.T)
    np.testing.assert_allclose(distances[0, 1], EARTH_RADIUS_KM * np.pi / 180)
    np.testing.assert_allclose(distances[0, 2], EARTH_RADIUS_KM * np.pi / 2)


def test_gaussian_kernel_adjacency_by_hand():
    # points at 0, 1 and 3 on a line: distances 1, 3, 2
    distances = np.array([[0.0, 1.0, 3.0], [1.0, 0.0, 2.0], [3.0, 2.0, 0.0]])
    sigma = np.std([1.0, 3.0, 2.0])
    expected = np.exp(-((distances / sigma) ** 2))
    expected[expected < 0.1] = 0.0
    np.fill_diagonal(expected, 0.0)
    adjacency = _gaussian_kernel_adjacency(distances)
    np.testing.assert_allclose(adjacency, expected)
    # d = 3 gives exp(-13.5) < 0.1: cut; d = 1 gives exp(-1.5) kept
    assert adjacency[0, 2] == 0.0
    np.testing.assert_allclose(adjacency[0, 1], np.exp(-1.5))


def test_gaussian_kernel_adjacency_equal_distances_error():
    distances = np.ones((3, 3)) - np.eye(3)
    with pytest.raises(ValueError, match="got sigma=0"):
        _gaussian_kernel_adjacency(distances)


def test_grid_adjacency_2x3():
    # cells 0 1 2 / 3 4 5
    expected = np.zeros((6, 6))
    for i, j in [(0, 1), (1, 2), (3, 4), (4, 5), (0, 3), (1, 4), (2, 5)]:
        expected[i, j] = expected[j, i] = 1.0
    adjacency = _grid_adjacency(2, 3)
    assert adjacency.dtype == np.float64
    np.testing.assert_array_equal(adjacency, expected)


# --------------------------------------------------------------------------
# get_data_home
# --------------------------------------------------------------------------


def test_get_data_home_argument_wins_over_env(tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv(ENV, str(other))
    assert get_data_home(tmp_path) == tmp_path
    assert get_data_home(str(tmp_path)) == tmp_path


def test_get_data_home_env(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path))
    assert get_data_home() == tmp_path


def test_get_data_home_nothing_given(no_env):
    with pytest.raises(FileNotFoundError, match=r"data_home=.*SKLEARN_DYNST_DATA"):
        get_data_home()


def test_get_data_home_empty_env(monkeypatch):
    monkeypatch.setenv(ENV, "")
    with pytest.raises(FileNotFoundError, match="No data folder given"):
        get_data_home()


@pytest.mark.parametrize("use_env", [False, True])
def test_get_data_home_missing_folder(tmp_path, monkeypatch, use_env):
    missing = tmp_path / "nowhere"
    if use_env:
        monkeypatch.setenv(ENV, str(missing))
        origin = "SKLEARN_DYNST_DATA environment variable"
    else:
        origin = "data_home argument"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))) as info:
        get_data_home(None if use_env else missing)
    assert origin in str(info.value)


def test_get_data_home_type_error():
    message = "data_home must be a str or os.PathLike, got int"
    with pytest.raises(TypeError, match=message):
        get_data_home(3)


# --------------------------------------------------------------------------
# Shipped datasets
# --------------------------------------------------------------------------


def test_load_metr_la_shipped():
    dataset = load_metr_la()
    data = dataset.data
    assert data.shape == (2016, 207)
    assert (data.dtypes == np.float64).all()
    assert isinstance(data.index, pd.RangeIndex)
    assert data.index.name == "step"
    assert data.index[-1] == 2015
    assert data.columns.tolist() == dataset.sensor_names.tolist()
    assert dataset.sensor_names.dtype == object
    assert all(isinstance(name, str) for name in dataset.sensor_names)
    assert dataset.sensor_names[:3].tolist() == ["773869", "767541", "767542"]
    assert len(set(dataset.sensor_names)) == 207
    assert data.iloc[0, 0] == 64.375
    assert not data.isna().to_numpy().any()
    assert (data.to_numpy() > 0).all()

    adjacency = dataset.adjacency
    assert adjacency.shape == (207, 207)
    assert adjacency.dtype == np.float64
    np.testing.assert_array_equal(adjacency, adjacency.T)
    np.testing.assert_array_equal(np.diag(adjacency), 1.0)
    assert adjacency.min() >= 0 and adjacency.max() <= 1
    assert np.count_nonzero(adjacency) == 2833

    coordinates = dataset.coordinates
    assert coordinates.shape == (207, 2)
    assert coordinates.columns.tolist() == ["latitude", "longitude"]
    assert coordinates.index.tolist() == dataset.sensor_names.tolist()
    np.testing.assert_allclose(coordinates.loc["773869"], [34.15497, -118.31829])
    assert coordinates["latitude"].between(33.6, 34.4).all()
    assert coordinates["longitude"].between(-118.8, -117.9).all()

    for text in ("lehaifeng/T-GCN", "MIT", "mph", "RangeIndex", "5 minutes"):
        assert text in dataset.DESCR


def test_load_metr_la_shipped_zeros_as_missing_is_noop():
    # the shipped copy has no zeros
    plain = load_metr_la()
    masked = load_metr_la(zeros_as_missing=True)
    pd.testing.assert_frame_equal(plain.data, masked.data)


def test_load_beijing_pm25_shipped():
    dataset = load_beijing_pm25()
    data = dataset.data
    assert data.shape == (8759, 36)
    assert (data.dtypes == np.float64).all()
    missing = data.isna().to_numpy().mean()
    assert 0.125 < missing < 0.14
    assert isinstance(data.index, pd.DatetimeIndex)
    assert data.index.name == "time"
    assert data.index.is_monotonic_increasing and data.index.is_unique
    assert data.index.tz is None
    assert data.index.freq == pd.Timedelta(hours=1)
    assert data.index[0] == pd.Timestamp("2014-05-01 01:00:00")
    assert data.index[-1] == pd.Timestamp("2015-04-30 23:00:00")
    assert dataset.sensor_names[0] == "001001"
    assert dataset.sensor_names[-1] == "001036"
    assert data.columns.tolist() == dataset.sensor_names.tolist()
    assert data.iloc[0, 0] == 138.0
    assert np.isnan(data.loc["2014-05-01 01:00:00", "001030"])
    observed = data.to_numpy()[~data.isna().to_numpy()]
    np.testing.assert_array_equal(observed, np.round(observed))  # integer readings

    coordinates = dataset.coordinates
    assert coordinates.shape == (36, 2)
    np.testing.assert_allclose(coordinates.loc["001001"], [40.090679, 116.173553])
    assert coordinates["latitude"].between(39.4, 40.6).all()
    assert coordinates["longitude"].between(115.8, 117.2).all()

    for text in ("Yi et al", "PriSTI", "Gaussian kernel", "haversine", "0.1"):
        assert text in dataset.DESCR


def test_load_beijing_pm25_adjacency_formula():
    dataset = load_beijing_pm25()
    # independent computation with scikit-learn's haversine (radians, unit sphere)
    radians = np.radians(dataset.coordinates[["latitude", "longitude"]].to_numpy())
    distances = haversine_distances(radians) * EARTH_RADIUS_KM
    pairs = distances[np.triu_indices(36, k=1)]
    weights = np.exp(-((distances / pairs.std()) ** 2))
    weights[weights < 0.1] = 0.0
    np.fill_diagonal(weights, 0.0)

    adjacency = dataset.adjacency
    assert adjacency.shape == (36, 36)
    assert adjacency.dtype == np.float64
    np.testing.assert_allclose(adjacency, weights, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(adjacency, adjacency.T)
    np.testing.assert_array_equal(np.diag(adjacency), 0.0)
    nonzero = adjacency[adjacency > 0]
    assert nonzero.min() >= 0.1 and nonzero.max() <= 1.0
    # every station has a neighbour
    assert (np.count_nonzero(adjacency, axis=1) > 0).all()


@pytest.mark.parametrize("name, n_bytes", [("metr_la", 3e6), ("beijing_pm25", 3e6)])
def test_shipped_files_small_and_pickle_free(name, n_bytes):
    path = REPO_ROOT / "sklearn_dynst" / "datasets" / "data" / f"{name}.npz"
    assert path.stat().st_size < n_bytes
    with np.load(path, allow_pickle=False) as npz:
        assert npz["values"].dtype == np.float64
        assert npz["sensor_names"].dtype.kind == "U"


def test_shipped_loaders_ignore_env(monkeypatch, tmp_path):
    # the shipped copies do not depend on any data folder
    monkeypatch.setenv(ENV, str(tmp_path / "nowhere"))
    assert load_metr_la().data.shape == (2016, 207)
    assert load_beijing_pm25().data.shape == (8759, 36)


# --------------------------------------------------------------------------
# data_home for the shipped datasets (fake original files)
# --------------------------------------------------------------------------


def test_load_metr_la_data_home_fake(tmp_path):
    speeds, names, adjacency = _make_fake_metr_la(tmp_path)
    dataset = load_metr_la(data_home=tmp_path)
    assert dataset.data.columns.tolist() == names
    np.testing.assert_array_equal(dataset.data.to_numpy(), speeds)
    np.testing.assert_array_equal(dataset.adjacency, adjacency)
    # locations are matched by sensor id, not by row order
    np.testing.assert_allclose(
        dataset.coordinates.to_numpy(),
        [[34.1, -118.1], [34.2, -118.2], [34.3, -118.3]],
    )
    assert (dataset.data.to_numpy() == 0).sum() == 3


def test_load_metr_la_zeros_as_missing_fake(tmp_path):
    speeds, _, _ = _make_fake_metr_la(tmp_path)
    values = load_metr_la(data_home=str(tmp_path), zeros_as_missing=True).data
    values = values.to_numpy()
    np.testing.assert_array_equal(np.isnan(values), speeds == 0)
    np.testing.assert_array_equal(values[speeds != 0], speeds[speeds != 0])


def test_load_metr_la_zeros_as_missing_type_error():
    with pytest.raises(TypeError, match="zeros_as_missing must be a bool, got str"):
        load_metr_la(zeros_as_missing="yes")


@pytest.mark.parametrize(
    "filename", ["los_speed.csv", "los_adj.csv", "graph_sensor_locations.csv"]
)
def test_load_metr_la_data_home_missing_file(tmp_path, filename):
    _make_fake_metr_la(tmp_path)
    missing = tmp_path / "metr_la" / filename
    missing.unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))) as info:
        load_metr_la(data_home=tmp_path)
    assert "without data_home" in str(info.value)


def test_load_metr_la_bad_adjacency_shape(tmp_path):
    _make_fake_metr_la(tmp_path)
    _write_csv(tmp_path / "metr_la" / "los_adj.csv", [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"shape \(3, 3\).*got \(2, 2\)"):
        load_metr_la(data_home=tmp_path)


def test_load_metr_la_missing_location(tmp_path):
    _make_fake_metr_la(tmp_path)
    _write_csv(
        tmp_path / "metr_la" / "graph_sensor_locations.csv",
        [[0, "111", 34.1, -118.1]],
        header=["index", "sensor_id", "latitude", "longitude"],
    )
    with pytest.raises(ValueError, match=r"got 2 sensors without one.*'222'"):
        load_metr_la(data_home=tmp_path)


def test_load_beijing_pm25_data_home_fake(tmp_path):
    folder = tmp_path / "beijing_pm25"
    _write_csv(
        folder / "pm25_ground.txt",
        [
            ["2014/05/01 01:00:00", "10", "", "5"],
            ["2014/05/01 02:00:00", "", "30", "6"],
            ["2014/05/01 03:00:00", "12", "31", "7"],
        ],
        header=["datetime", "001002", "001001", "001003"],
    )
    # stations on the equator at 0, 1 and 3 degrees of longitude
    _write_csv(
        folder / "pm25_latlng.txt",
        [["001001", 0.0, 0.0], ["001003", 0.0, 3.0], ["001002", 0.0, 1.0]],
        header=["sensor_id", "latitude", "longitude"],
    )
    dataset = load_beijing_pm25(data_home=tmp_path)
    assert dataset.data.columns.tolist() == ["001002", "001001", "001003"]
    np.testing.assert_array_equal(
        dataset.data.to_numpy(),
        [[10.0, np.nan, 5.0], [np.nan, 30.0, 6.0], [12.0, 31.0, 7.0]],
    )
    assert dataset.data.index[2] == pd.Timestamp("2014-05-01 03:00:00")
    np.testing.assert_allclose(
        dataset.coordinates.to_numpy(), [[0.0, 1.0], [0.0, 0.0], [0.0, 3.0]]
    )
    # distances 1, 2, 3 degrees of arc -> sigma = std([1, 2, 3]) degrees
    sigma = np.std([1.0, 2.0, 3.0])
    expected = np.zeros((3, 3))
    expected[0, 1] = expected[1, 0] = np.exp(-((1 / sigma) ** 2))
    # 2 degrees: exp(-6) < 0.1 and 3 degrees: exp(-13.5) < 0.1, both cut
    np.testing.assert_allclose(dataset.adjacency, expected, rtol=1e-9)


def test_load_beijing_pm25_data_home_missing_file(tmp_path):
    (tmp_path / "beijing_pm25").mkdir()
    missing = tmp_path / "beijing_pm25" / "pm25_ground.txt"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_beijing_pm25(data_home=tmp_path)


# --------------------------------------------------------------------------
# Datasets read from the data folder (fake files)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("use_env", [False, True])
def test_load_sz_taxi_fake(tmp_path, monkeypatch, use_env):
    values, adjacency = _make_fake_sz_taxi(tmp_path)
    if use_env:
        monkeypatch.setenv(ENV, str(tmp_path))
        dataset = load_sz_taxi()
    else:
        monkeypatch.delenv(ENV, raising=False)
        dataset = load_sz_taxi(data_home=tmp_path)
    data = dataset.data
    assert data.shape == (5, 3)
    np.testing.assert_array_equal(data.to_numpy(), values)
    assert data.columns.tolist() == ["road_000", "road_001", "road_002"]
    assert dataset.sensor_names.tolist() == ["road_000", "road_001", "road_002"]
    assert data.index.name == "time"
    assert data.index[0] == pd.Timestamp("2015-01-01 00:00")
    assert data.index.freq == pd.Timedelta(minutes=15)
    np.testing.assert_array_equal(dataset.adjacency, adjacency)
    assert dataset.coordinates is None
    assert "not known" in dataset.DESCR


def test_load_sz_taxi_zeros_as_missing_fake(tmp_path):
    values, _ = _make_fake_sz_taxi(tmp_path)
    plain = load_sz_taxi(data_home=tmp_path).data.to_numpy()
    masked = load_sz_taxi(data_home=tmp_path, zeros_as_missing=True).data.to_numpy()
    assert (plain == 0).sum() == 3
    np.testing.assert_array_equal(np.isnan(masked), values == 0)
    np.testing.assert_array_equal(masked[values != 0], values[values != 0])


@pytest.mark.parametrize("filename", ["sz_taxi.npz", "sz_adj.csv"])
def test_load_sz_taxi_missing_file(tmp_path, filename):
    _make_fake_sz_taxi(tmp_path)
    missing = tmp_path / "sz_taxi" / filename
    missing.unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))) as info:
        load_sz_taxi(data_home=tmp_path)
    assert "data_home=" in str(info.value) and ENV in str(info.value)


def test_load_sz_taxi_no_data_home(no_env):
    with pytest.raises(FileNotFoundError, match=r"data_home=.*SKLEARN_DYNST_DATA"):
        load_sz_taxi()


def test_load_sz_taxi_bad_shape(tmp_path):
    _make_fake_sz_taxi(tmp_path)
    np.savez(tmp_path / "sz_taxi" / "sz_taxi.npz", data=np.zeros((5, 3, 2)))
    message = r"\(n_timesteps, n_sensors\).*got \(5, 3, 2\)"
    with pytest.raises(ValueError, match=message):
        load_sz_taxi(data_home=tmp_path)


def test_load_era5_uk_t2m_fake(tmp_path):
    t2m, latitude, longitude = _make_fake_era5(tmp_path)
    dataset = load_era5_uk_t2m(data_home=tmp_path)
    assert dataset.grid_shape == (2, 3)
    assert dataset.images.shape == (4, 1, 2, 3)
    np.testing.assert_array_equal(dataset.images[:, 0], t2m)
    data = dataset.data
    assert data.shape == (4, 6)
    assert (data.dtypes == np.float64).all()
    # row-major over (latitude, longitude)
    for k in range(6):
        np.testing.assert_array_equal(data.iloc[:, k], t2m[:, k // 3, k % 3])
    assert dataset.sensor_names.tolist() == [
        "lat51.00_lon-1.00",
        "lat51.00_lon-0.75",
        "lat51.00_lon-0.50",
        "lat50.75_lon-1.00",
        "lat50.75_lon-0.75",
        "lat50.75_lon-0.50",
    ]
    np.testing.assert_array_equal(
        dataset.coordinates.loc["lat50.75_lon-0.50"], [50.75, -0.5]
    )
    np.testing.assert_array_equal(dataset.latitude, latitude)
    np.testing.assert_array_equal(dataset.longitude, longitude)
    np.testing.assert_array_equal(dataset.adjacency, _grid_adjacency(2, 3))
    # unix seconds, tz-naive UTC
    assert data.index.tz is None
    assert data.index[0] == pd.Timestamp("1970-01-01 00:00")
    assert data.index[3] == pd.Timestamp("1970-01-01 03:00")
    assert data.index.freq == pd.Timedelta(hours=1)


def test_load_era5_uk_t2m_missing_file(tmp_path):
    missing = tmp_path / "era5_uk_t2m" / "era5_t2m_uk_2019_03.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_era5_uk_t2m(data_home=tmp_path)


def test_load_era5_uk_t2m_missing_key(tmp_path):
    folder = tmp_path / "era5_uk_t2m"
    folder.mkdir()
    np.savez(folder / "era5_t2m_uk_2019_03.npz", t2m=np.zeros((2, 1, 1)))
    message = r"missing \['time', 'latitude', 'longitude'\]"
    with pytest.raises(ValueError, match=message):
        load_era5_uk_t2m(data_home=tmp_path)


# --------------------------------------------------------------------------
# Real data (skipped without ../shared/data)
# --------------------------------------------------------------------------


def _read_numeric_csv(path, skip_header):
    """Independent CSV reader: float(), '' -> NaN."""
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    header, rows = (rows[0], rows[1:]) if skip_header else (None, rows)
    values = np.array(
        [[float(cell) if cell != "" else np.nan for cell in row] for row in rows]
    )
    return header, values


def test_metr_la_shipped_equals_original(shared_data):
    folder = shared_data / "metr_la"
    header, speeds = _read_numeric_csv(folder / "los_speed.csv", skip_header=True)
    _, adjacency = _read_numeric_csv(folder / "los_adj.csv", skip_header=False)
    locations = pd.read_csv(
        folder / "graph_sensor_locations.csv", dtype={"sensor_id": str}
    ).set_index("sensor_id")

    shipped = load_metr_la()
    np.testing.assert_array_equal(shipped.data.to_numpy(), speeds)  # float64, exact
    assert shipped.sensor_names.tolist() == header
    np.testing.assert_array_equal(shipped.adjacency, adjacency)
    np.testing.assert_array_equal(
        shipped.coordinates.to_numpy(),
        locations.loc[header, ["latitude", "longitude"]].to_numpy(),
    )

    original = load_metr_la(data_home=shared_data)
    pd.testing.assert_frame_equal(original.data, shipped.data)
    pd.testing.assert_frame_equal(original.coordinates, shipped.coordinates)
    np.testing.assert_array_equal(original.adjacency, shipped.adjacency)


def test_beijing_pm25_shipped_equals_original(shared_data):
    folder = shared_data / "beijing_pm25"
    with open(folder / "pm25_ground.txt", newline="") as file:
        rows = list(csv.reader(file))
    header, rows = rows[0], rows[1:]
    values = np.array(
        [[float(cell) if cell else np.nan for cell in row[1:]] for row in rows]
    )
    times = pd.to_datetime([row[0] for row in rows], format="%Y/%m/%d %H:%M:%S")

    shipped = load_beijing_pm25()
    np.testing.assert_array_equal(shipped.data.to_numpy(), values)  # NaN == NaN
    assert shipped.sensor_names.tolist() == header[1:]
    assert (shipped.data.index == times).all()

    original = load_beijing_pm25(data_home=shared_data)
    pd.testing.assert_frame_equal(original.data, shipped.data)
    pd.testing.assert_frame_equal(original.coordinates, shipped.coordinates)
    np.testing.assert_array_equal(original.adjacency, shipped.adjacency)


def test_make_shipped_datasets_reproduces_files(shared_data, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "make_shipped_datasets", REPO_ROOT / "maint_tools" / "make_shipped_datasets.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paths = module.make_shipped_datasets(shared_data, output_dir=tmp_path)
    assert sorted(path.name for path in paths) == ["beijing_pm25.npz", "metr_la.npz"]
    shipped = REPO_ROOT / "sklearn_dynst" / "datasets" / "data"
    for path in paths:
        assert path.read_bytes() == (shipped / path.name).read_bytes()
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("use_env", [False, True])
def test_load_sz_taxi_real(shared_data, monkeypatch, use_env):
    if use_env:
        monkeypatch.setenv(ENV, str(shared_data))
        dataset = load_sz_taxi()
    else:
        monkeypatch.delenv(ENV, raising=False)
        dataset = load_sz_taxi(data_home=shared_data)
    data = dataset.data
    assert data.shape == (2976, 156)
    assert (data.dtypes == np.float64).all()
    assert isinstance(data.index, pd.DatetimeIndex)
    assert data.index[0] == pd.Timestamp("2015-01-01 00:00")
    assert data.index[-1] == pd.Timestamp("2015-01-31 23:45")
    assert data.index.freq == pd.Timedelta(minutes=15)
    with np.load(shared_data / "sz_taxi" / "sz_taxi.npz") as npz:
        np.testing.assert_array_equal(data.to_numpy(), npz["data"][:, :, 0])
    zeros = (data.to_numpy() == 0).mean()
    assert 0.2 < zeros < 0.3
    assert dataset.adjacency.shape == (156, 156)
    np.testing.assert_array_equal(np.unique(dataset.adjacency), [0.0, 1.0])
    assert dataset.coordinates is None
    for text in ("ST-CGCN", "T-GCN", "15 minutes"):
        assert text in dataset.DESCR

    masked = load_sz_taxi(data_home=shared_data, zeros_as_missing=True).data
    assert masked.isna().to_numpy().mean() == zeros


def test_load_era5_uk_t2m_real(shared_data, no_env):
    dataset = load_era5_uk_t2m(data_home=shared_data)
    data = dataset.data
    assert data.shape == (744, 1617)
    assert (data.dtypes == np.float64).all()
    assert dataset.images.shape == (744, 1, 33, 49)
    assert dataset.grid_shape == (33, 49)
    np.testing.assert_array_equal(
        data.to_numpy(), dataset.images.reshape(744, 1617).astype(np.float64)
    )
    assert data.index[0] == pd.Timestamp("2019-03-01 00:00")
    assert data.index[-1] == pd.Timestamp("2019-03-31 23:00")
    assert data.index.tz is None
    assert data.index.freq == pd.Timedelta(hours=1)
    assert dataset.sensor_names[0] == "lat58.00_lon-10.00"
    assert dataset.sensor_names[48] == "lat58.00_lon2.00"
    assert dataset.sensor_names[-1] == "lat50.00_lon2.00"
    np.testing.assert_array_equal(dataset.latitude[[0, -1]], [58.0, 50.0])
    np.testing.assert_array_equal(dataset.longitude[[0, -1]], [-10.0, 2.0])
    assert dataset.coordinates.shape == (1617, 2)
    # 4-neighbour grid: 33 * 48 horizontal + 32 * 49 vertical edges
    adjacency = dataset.adjacency
    assert adjacency.shape == (1617, 1617)
    assert adjacency.sum() == 2 * (33 * 48 + 32 * 49)
    degrees = adjacency.sum(axis=1).reshape(33, 49)
    assert degrees[0, 0] == 2 and degrees[0, 5] == 3 and degrees[5, 5] == 4
    assert 270 < np.nanmean(data.to_numpy()) < 285  # kelvin in March
    assert "Copernicus" in dataset.DESCR


def test_load_era5_uk_t2m_env_real(shared_data, monkeypatch):
    monkeypatch.setenv(ENV, str(shared_data))
    assert load_era5_uk_t2m().data.shape == (744, 1617)


def test_missing_file_in_copied_real_folder(shared_data, tmp_path):
    # a real sz_taxi.npz without its adjacency file
    folder = tmp_path / "sz_taxi"
    folder.mkdir()
    (folder / "sz_taxi.npz").write_bytes(
        (shared_data / "sz_taxi" / "sz_taxi.npz").read_bytes()
    )
    missing = folder / "sz_adj.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_sz_taxi(data_home=tmp_path)


def test_shipped_file_missing_error(monkeypatch, tmp_path):
    from sklearn_dynst.datasets import _base

    # pretend the package folder is empty
    monkeypatch.setattr(_base.resources, "files", lambda package: tmp_path)
    with pytest.raises(FileNotFoundError, match=r"data/metr_la\.npz, is missing"):
        load_metr_la()

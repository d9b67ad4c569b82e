"""Loaders of real spatio-temporal sensor datasets."""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._base import (
    DATA_HOME_ENV,
    _check_bool,
    _check_path_like,
    _gaussian_kernel_adjacency,
    _grid_adjacency,
    _haversine_distances,
    _load_shipped,
    _read_descr,
    _require_file,
    get_data_home,
)

__all__ = [
    "load_beijing_pm25",
    "load_era5_uk_t2m",
    "load_metr_la",
    "load_sz_taxi",
]

SZ_TAXI_START = "2015-01-01 00:00"
SZ_TAXI_FREQ = "15min"
BEIJING_TIME_FORMAT = "%Y/%m/%d %H:%M:%S"


# --------------------------------------------------------------------------
# Readers of the original files (also used by maint_tools/make_shipped_datasets)
# --------------------------------------------------------------------------


def _read_csv_matrix(path):
    """Read a headerless CSV of numbers as a float64 matrix."""
    frame = pd.read_csv(path, header=None, dtype=np.float64)
    return frame.to_numpy(dtype=np.float64)


def _check_square(adjacency, n_sensors, path):
    """Raise a ValueError unless ``adjacency`` is (n_sensors, n_sensors)."""
    if adjacency.shape != (n_sensors, n_sensors):
        raise ValueError(
            f"The adjacency in '{path}' must have shape "
            f"({n_sensors}, {n_sensors}) to match the {n_sensors} sensors, "
            f"got {adjacency.shape}."
        )


def _match_locations(locations, sensor_names, path):
    """Return (latitude, longitude) of ``sensor_names`` from ``locations``.

    ``locations`` is a DataFrame with columns sensor_id (str), latitude and
    longitude; rows are matched to ``sensor_names`` by id.
    """
    locations = locations.drop_duplicates("sensor_id").set_index("sensor_id")
    missing = [name for name in sensor_names if name not in locations.index]
    if missing:
        raise ValueError(
            f"The locations in '{path}' must cover every sensor, got "
            f"{len(missing)} sensors without one, e.g. {missing[:5]}."
        )
    matched = locations.loc[list(sensor_names)]
    return (
        matched["latitude"].to_numpy(dtype=np.float64),
        matched["longitude"].to_numpy(dtype=np.float64),
    )


def _read_metr_la_folder(folder):
    """Read the original METR-LA files of ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        Folder holding los_speed.csv, los_adj.csv and
        graph_sensor_locations.csv.

    Returns
    -------
    arrays : dict of str to ndarray
        ``values`` (n_timesteps, n_sensors) float64, ``sensor_names``
        (n_sensors,) str, ``adjacency`` (n_sensors, n_sensors) float64,
        ``latitude`` and ``longitude`` (n_sensors,) float64.
    """
    folder = Path(folder)
    hint = (
        "Pass as data_home a folder holding metr_la/los_speed.csv, "
        "metr_la/los_adj.csv and metr_la/graph_sensor_locations.csv, or "
        "call load_metr_la() without data_home to use the copy shipped with "
        "the package."
    )
    speed_path = _require_file(folder / "los_speed.csv", hint)
    adjacency_path = _require_file(folder / "los_adj.csv", hint)
    locations_path = _require_file(folder / "graph_sensor_locations.csv", hint)

    speed = pd.read_csv(speed_path, dtype=np.float64)
    sensor_names = np.array([str(name) for name in speed.columns], dtype=str)
    adjacency = _read_csv_matrix(adjacency_path)
    _check_square(adjacency, len(sensor_names), adjacency_path)
    locations = pd.read_csv(
        locations_path,
        dtype={"sensor_id": str, "latitude": np.float64, "longitude": np.float64},
    )
    latitude, longitude = _match_locations(
        locations, sensor_names, locations_path
    )
    return {
        "values": speed.to_numpy(dtype=np.float64),
        "sensor_names": sensor_names,
        "adjacency": adjacency,
        "latitude": latitude,
        "longitude": longitude,
    }


def _read_beijing_pm25_folder(folder):
    """Read the original Beijing PM2.5 files of ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        Folder holding pm25_ground.txt and pm25_latlng.txt.

    Returns
    -------
    arrays : dict of str to ndarray
        ``values`` (n_timesteps, n_sensors) float64 with NaN for missing
        readings, ``time`` (n_timesteps,) datetime64[s], ``sensor_names``
        (n_sensors,) str, ``latitude`` and ``longitude`` (n_sensors,)
        float64.
    """
    folder = Path(folder)
    hint = (
        "Pass as data_home a folder holding beijing_pm25/pm25_ground.txt and "
        "beijing_pm25/pm25_latlng.txt, or call load_beijing_pm25() without "
        "data_home to use the copy shipped with the package."
    )
    ground_path = _require_file(folder / "pm25_ground.txt", hint)
    locations_path = _require_file(folder / "pm25_latlng.txt", hint)

    ground = pd.read_csv(
        ground_path,
        dtype={"datetime": str},
        index_col="datetime",
    )
    time = pd.to_datetime(ground.index, format=BEIJING_TIME_FORMAT)
    sensor_names = np.array([str(name) for name in ground.columns], dtype=str)
    locations = pd.read_csv(
        locations_path,
        dtype={"sensor_id": str, "latitude": np.float64, "longitude": np.float64},
    )
    latitude, longitude = _match_locations(
        locations, sensor_names, locations_path
    )
    return {
        "values": ground.to_numpy(dtype=np.float64),
        "time": time.to_numpy().astype("datetime64[s]"),
        "sensor_names": sensor_names,
        "latitude": latitude,
        "longitude": longitude,
    }


# --------------------------------------------------------------------------
# Bunch builders
# --------------------------------------------------------------------------


def _sensor_frames(values, index, sensor_names, latitude=None, longitude=None):
    """Build the data frame and, with coordinates, the coordinates frame."""
    names = pd.Index([str(name) for name in sensor_names], name="sensor")
    data = pd.DataFrame(
        np.asarray(values, dtype=np.float64), index=index, columns=names
    )
    coordinates = None
    if latitude is not None:
        coordinates = pd.DataFrame(
            {
                "latitude": np.asarray(latitude, dtype=np.float64),
                "longitude": np.asarray(longitude, dtype=np.float64),
            },
            index=names,
        )
    return data, coordinates


def _zeros_to_nan(values):
    """Return a float64 copy of ``values`` with exact zeros replaced by NaN."""
    values = np.array(values, dtype=np.float64, copy=True)
    values[values == 0.0] = np.nan
    return values


def _time_index(times):
    """A datetime64[ns] index named "time", its frequency inferred if regular."""
    index = pd.DatetimeIndex(times, name="time").as_unit("ns")
    return pd.DatetimeIndex(index, freq="infer", name="time")


# --------------------------------------------------------------------------
# Public loaders
# --------------------------------------------------------------------------


def load_metr_la(*, data_home=None, zeros_as_missing=False):
    """Load the METR-LA traffic speed dataset (shipped with the package).

    Road speeds in miles per hour of 207 loop detectors of Los Angeles
    county over 7 days at a 5 minute step (2016 steps), with the weighted
    road-distance adjacency of the T-GCN repository. The file carries no
    timestamps, so the rows are indexed by a ``RangeIndex`` named "step".

    =================   =====================
    Sensors                               207
    Time steps                           2016
    Step                                5 min
    Missing values        none (gaps filled)
    Units                                 mph
    =================   =====================

    Read more in the ``DESCR`` attribute of the result.

    Parameters
    ----------
    data_home : str or path-like, default=None
        When None, read the compressed copy shipped with the package. Else
        read the original files ``los_speed.csv``, ``los_adj.csv`` and
        ``graph_sensor_locations.csv`` from ``data_home/metr_la/``.
    zeros_as_missing : bool, default=False
        Replace readings of exactly 0.0 by NaN (a zero speed is a gap, not a
        speed). The shipped copy holds no zeros.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : pandas.DataFrame of shape (2016, 207)
            float64 speeds; columns are the sensor ids, the index is a
            ``RangeIndex`` named "step".
        adjacency : ndarray of shape (207, 207)
            float64 weights in [0, 1] from ``los_adj.csv``, 1 on the
            diagonal.
        coordinates : pandas.DataFrame of shape (207, 2)
            ``latitude`` and ``longitude`` in degrees, indexed by sensor id.
        sensor_names : ndarray of shape (207,)
            Sensor ids (str, object dtype) in the column order of ``data``.
        DESCR : str
            Description of the dataset.

    Raises
    ------
    FileNotFoundError
        If ``data_home`` is given and one of the three files is missing.

    See Also
    --------
    load_sz_taxi : Shenzhen taxi speeds.
    load_beijing_pm25 : Beijing air quality, also shipped.

    Notes
    -----
    The data and adjacency come from the T-GCN repository (lehaifeng/T-GCN,
    MIT licence); the sensor coordinates from the DCRNN sensor list, matched
    to the columns by sensor id.

    References
    ----------
    .. [1] Y. Li, R. Yu, C. Shahabi and Y. Liu, "Diffusion Convolutional
       Recurrent Neural Network: Data-Driven Traffic Forecasting", ICLR 2018.

    Examples
    --------
    >>> from sklearn_dynst.datasets import load_metr_la
    >>> dataset = load_metr_la()
    >>> dataset.data.shape
    (2016, 207)
    >>> dataset.adjacency.shape
    (207, 207)
    >>> dataset.sensor_names[:3].tolist()
    ['773869', '767541', '767542']
    >>> dataset.coordinates.columns.tolist()
    ['latitude', 'longitude']
    """
    zeros_as_missing = _check_bool(zeros_as_missing, "zeros_as_missing")
    if data_home is None:
        arrays = _load_shipped("metr_la")
    else:
        folder = _check_path_like(data_home, "data_home") / "metr_la"
        arrays = _read_metr_la_folder(folder)
    values = arrays["values"]
    if zeros_as_missing:
        values = _zeros_to_nan(values)
    index = pd.RangeIndex(values.shape[0], name="step")
    data, coordinates = _sensor_frames(
        values,
        index,
        arrays["sensor_names"],
        arrays["latitude"],
        arrays["longitude"],
    )
    return Bunch(
        data=data,
        adjacency=np.asarray(arrays["adjacency"], dtype=np.float64),
        coordinates=coordinates,
        sensor_names=np.asarray(data.columns, dtype=object),
        DESCR=_read_descr("metr_la"),
    )


def load_beijing_pm25(*, data_home=None):
    """Load the Beijing PM2.5 air quality dataset (shipped with the package).

    Hourly PM2.5 concentrations in micrograms per cubic metre at 36 Beijing
    monitoring stations, from 2014-05-01 01:00 to 2015-04-30 23:00 (8759
    hours, local time), with about 13% missing readings stored as NaN.

    The source has no graph, so the adjacency is a thresholded Gaussian
    kernel of the great-circle (haversine) distances ``d_ij`` in kilometres
    between stations::

        w_ij = exp(-(d_ij / sigma) ** 2)

    where ``sigma`` is the standard deviation (ddof=0) of the distances
    between all pairs of distinct stations; weights below 0.1 are set to 0,
    as is the diagonal.

    =================   =====================
    Sensors                                36
    Time steps                           8759
    Step                                  1 h
    Missing values                 13.2 % NaN
    Units                          ug / m^3
    =================   =====================

    Read more in the ``DESCR`` attribute of the result.

    Parameters
    ----------
    data_home : str or path-like, default=None
        When None, read the compressed copy shipped with the package. Else
        read the original files ``pm25_ground.txt`` and ``pm25_latlng.txt``
        from ``data_home/beijing_pm25/``.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : pandas.DataFrame of shape (8759, 36)
            float64 PM2.5, NaN where missing; columns are the station ids,
            the index is an hourly ``DatetimeIndex`` named "time".
        adjacency : ndarray of shape (36, 36)
            float64 thresholded Gaussian kernel weights, see above.
        coordinates : pandas.DataFrame of shape (36, 2)
            ``latitude`` and ``longitude`` in degrees, indexed by station id.
        sensor_names : ndarray of shape (36,)
            Station ids (str, object dtype) in the column order of ``data``.
        DESCR : str
            Description of the dataset.

    Raises
    ------
    FileNotFoundError
        If ``data_home`` is given and one of the two files is missing.

    See Also
    --------
    load_metr_la : Los Angeles traffic speeds, also shipped.
    load_era5_uk_t2m : Gridded temperature over the UK.

    Notes
    -----
    This is the AQI-36 data (``pm25_ground.txt``, the ground truth) of Yi et
    al. [1]_, as distributed with the PriSTI code (LMZZML/PriSTI).

    References
    ----------
    .. [1] X. Yi, Y. Zheng, J. Zhang and T. Li, "ST-MVL: Filling Missing
       Values in Geo-Sensory Time Series Data", IJCAI 2016.

    Examples
    --------
    >>> from sklearn_dynst.datasets import load_beijing_pm25
    >>> dataset = load_beijing_pm25()
    >>> dataset.data.shape
    (8759, 36)
    >>> dataset.data.index[0]
    Timestamp('2014-05-01 01:00:00')
    >>> round(float(dataset.data.isna().to_numpy().mean()), 3)
    0.132
    >>> dataset.adjacency.shape
    (36, 36)
    """
    if data_home is None:
        arrays = _load_shipped("beijing_pm25")
    else:
        folder = _check_path_like(data_home, "data_home") / "beijing_pm25"
        arrays = _read_beijing_pm25_folder(folder)
    data, coordinates = _sensor_frames(
        arrays["values"],
        _time_index(arrays["time"]),
        arrays["sensor_names"],
        arrays["latitude"],
        arrays["longitude"],
    )
    distances = _haversine_distances(
        coordinates["latitude"], coordinates["longitude"]
    )
    return Bunch(
        data=data,
        adjacency=_gaussian_kernel_adjacency(distances, threshold=0.1),
        coordinates=coordinates,
        sensor_names=np.asarray(data.columns, dtype=object),
        DESCR=_read_descr("beijing_pm25"),
    )


def _sz_taxi_values(path):
    """Read the (n_timesteps, n_sensors) speeds of sz_taxi.npz."""
    with np.load(path, allow_pickle=False) as npz:
        if "data" not in npz.files:
            raise ValueError(
                f"'{path}' must hold the key 'data', got keys {npz.files}."
            )
        values = npz["data"]
    if values.ndim == 3 and values.shape[2] == 1:
        values = values[:, :, 0]
    if values.ndim != 2:
        raise ValueError(
            f"The array 'data' of '{path}' must have shape "
            f"(n_timesteps, n_sensors) or (n_timesteps, n_sensors, 1), got "
            f"{values.shape}."
        )
    return np.asarray(values, dtype=np.float64)


def load_sz_taxi(*, data_home=None, zeros_as_missing=False):
    """Load the SZ-taxi traffic speed dataset from the data folder.

    Taxi speeds in km/h on 156 roads of the Luohu district of Shenzhen,
    January 2015 at a 15 minute step (2976 steps), with the 0/1 road
    adjacency of the T-GCN data. About 25% of the readings are exactly 0
    (no taxi seen, or missing); ``zeros_as_missing=True`` turns them into
    NaN. The road coordinates are not known.

    This dataset is not shipped: it is read from
    ``<data folder>/sz_taxi/sz_taxi.npz`` and
    ``<data folder>/sz_taxi/sz_adj.csv``.

    =================   =====================
    Sensors                               156
    Time steps                           2976
    Step                               15 min
    Missing values       about 25% exact zeros
    Units                                km/h
    =================   =====================

    Read more in the ``DESCR`` attribute of the result.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data folder. When None, the ``SKLEARN_DYNST_DATA`` environment
        variable is used, see :func:`get_data_home`.
    zeros_as_missing : bool, default=False
        Replace readings of exactly 0.0 by NaN.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : pandas.DataFrame of shape (2976, 156)
            float64 speeds; columns are "road_000" ... "road_155", the index
            is a ``DatetimeIndex`` named "time" from 2015-01-01 00:00 at a
            15 minute frequency.
        adjacency : ndarray of shape (156, 156)
            float64 0/1 road adjacency from ``sz_adj.csv`` (not exactly
            symmetric, as in the source).
        coordinates : None
            The road coordinates are not known.
        sensor_names : ndarray of shape (156,)
            Road names (str, object dtype) in the column order of ``data``.
        DESCR : str
            Description of the dataset.

    Raises
    ------
    FileNotFoundError
        If no data folder is given, or the folder or a file is missing.

    See Also
    --------
    get_data_home : Where the data folder is looked up.
    load_metr_la : Los Angeles traffic speeds, shipped.

    References
    ----------
    .. [1] L. Zhao et al., "T-GCN: A Temporal Graph Convolutional Network
       for Traffic Prediction", IEEE T-ITS 2020.

    Examples
    --------
    >>> from sklearn_dynst.datasets import load_sz_taxi
    >>> dataset = load_sz_taxi(zeros_as_missing=True)  # doctest: +SKIP
    >>> dataset.data.shape  # doctest: +SKIP
    (2976, 156)
    >>> dataset.data.index[1]  # doctest: +SKIP
    Timestamp('2015-01-01 00:15:00')
    """
    zeros_as_missing = _check_bool(zeros_as_missing, "zeros_as_missing")
    folder = get_data_home(data_home) / "sz_taxi"
    hint = (
        "Provide a data folder holding sz_taxi/sz_taxi.npz and "
        "sz_taxi/sz_adj.csv as load_sz_taxi(data_home=<folder>) or through "
        f"the {DATA_HOME_ENV} environment variable."
    )
    values_path = _require_file(folder / "sz_taxi.npz", hint)
    adjacency_path = _require_file(folder / "sz_adj.csv", hint)
    values = _sz_taxi_values(values_path)
    n_timesteps, n_sensors = values.shape
    adjacency = _read_csv_matrix(adjacency_path)
    _check_square(adjacency, n_sensors, adjacency_path)
    if zeros_as_missing:
        values = _zeros_to_nan(values)
    index = pd.date_range(
        SZ_TAXI_START, periods=n_timesteps, freq=SZ_TAXI_FREQ, name="time"
    ).as_unit("ns")
    width = max(3, len(str(n_sensors - 1)))
    names = [f"road_{i:0{width}d}" for i in range(n_sensors)]
    data, _ = _sensor_frames(values, index, names)
    return Bunch(
        data=data,
        adjacency=adjacency,
        coordinates=None,
        sensor_names=np.asarray(data.columns, dtype=object),
        DESCR=_read_descr("sz_taxi"),
    )


def _read_era5_arrays(path):
    """Read and check t2m (T, H, W), time (T,), latitude (H,), longitude (W,)."""
    keys = ("t2m", "time", "latitude", "longitude")
    with np.load(path, allow_pickle=False) as npz:
        missing = [key for key in keys if key not in npz.files]
        if missing:
            raise ValueError(
                f"'{path}' must hold the keys {list(keys)}, got {npz.files} "
                f"(missing {missing})."
            )
        t2m, time, latitude, longitude = (npz[key] for key in keys)
    expected = (time.shape[0], latitude.shape[0], longitude.shape[0])
    if t2m.shape != expected:
        raise ValueError(
            f"The array 't2m' of '{path}' must have shape (len(time), "
            f"len(latitude), len(longitude))={expected}, got {t2m.shape}."
        )
    return t2m, time, latitude.astype(np.float64), longitude.astype(np.float64)


def load_era5_uk_t2m(*, data_home=None):
    """Load the ERA5 2 m air temperature over the UK, March 2019.

    Hourly 2 m air temperature in kelvin from the ERA5 reanalysis on a 0.25
    degree grid of 33 latitudes (58 N to 50 N) by 49 longitudes (10 W to
    2 E), March 2019 (744 hours, UTC). Each grid cell is a sensor; cells are
    ordered row-major over (latitude, longitude), i.e. north to south, then
    west to east, and named like "lat58.00_lon-10.00". The adjacency links
    each cell to its 4 grid neighbours.

    This dataset is not shipped: it is read from
    ``<data folder>/era5_uk_t2m/era5_t2m_uk_2019_03.npz``.

    =================   =====================
    Sensors (cells)          1617 = 33 x 49
    Time steps                            744
    Step                                  1 h
    Missing values                       none
    Units                                   K
    =================   =====================

    Read more in the ``DESCR`` attribute of the result.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data folder. When None, the ``SKLEARN_DYNST_DATA`` environment
        variable is used, see :func:`get_data_home`.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : pandas.DataFrame of shape (744, 1617)
            float64 temperatures, one column per cell; the index is an
            hourly ``DatetimeIndex`` named "time" (tz-naive, UTC).
        images : ndarray of shape (744, 1, 33, 49)
            The same values as a float32 grid (n_timesteps, n_channels,
            height, width) with one channel.
        adjacency : ndarray of shape (1617, 1617)
            float64 0/1 adjacency of the 4-neighbour grid graph.
        coordinates : pandas.DataFrame of shape (1617, 2)
            ``latitude`` and ``longitude`` of the cell centres in degrees,
            indexed by cell name.
        sensor_names : ndarray of shape (1617,)
            Cell names (str, object dtype) in the column order of ``data``.
        latitude : ndarray of shape (33,)
            Grid latitudes in degrees, north to south.
        longitude : ndarray of shape (49,)
            Grid longitudes in degrees, west to east.
        grid_shape : tuple of int
            ``(33, 49)``, the (height, width) of the grid.
        DESCR : str
            Description of the dataset.

    Raises
    ------
    FileNotFoundError
        If no data folder is given, or the folder or the file is missing.

    See Also
    --------
    get_data_home : Where the data folder is looked up.
    load_beijing_pm25 : Station air quality data, shipped.

    References
    ----------
    .. [1] H. Hersbach et al., "The ERA5 global reanalysis", Q. J. R.
       Meteorol. Soc. 146, 2020.

    Examples
    --------
    >>> from sklearn_dynst.datasets import load_era5_uk_t2m
    >>> dataset = load_era5_uk_t2m()  # doctest: +SKIP
    >>> dataset.images.shape  # doctest: +SKIP
    (744, 1, 33, 49)
    >>> dataset.sensor_names[0]  # doctest: +SKIP
    'lat58.00_lon-10.00'
    """
    folder = get_data_home(data_home) / "era5_uk_t2m"
    hint = (
        "Provide a data folder holding era5_uk_t2m/era5_t2m_uk_2019_03.npz as "
        "load_era5_uk_t2m(data_home=<folder>) or through the "
        f"{DATA_HOME_ENV} environment variable."
    )
    path = _require_file(folder / "era5_t2m_uk_2019_03.npz", hint)
    t2m, time, latitude, longitude = _read_era5_arrays(path)
    n_timesteps, n_rows, n_cols = t2m.shape
    names = [
        f"lat{lat:.2f}_lon{lon:.2f}" for lat in latitude for lon in longitude
    ]
    index = _time_index(pd.to_datetime(time, unit="s"))
    data, coordinates = _sensor_frames(
        t2m.reshape(n_timesteps, n_rows * n_cols),
        index,
        names,
        np.repeat(latitude, n_cols),
        np.tile(longitude, n_rows),
    )
    return Bunch(
        data=data,
        images=t2m[:, np.newaxis, :, :],
        adjacency=_grid_adjacency(n_rows, n_cols),
        coordinates=coordinates,
        sensor_names=np.asarray(data.columns, dtype=object),
        latitude=latitude,
        longitude=longitude,
        grid_shape=(n_rows, n_cols),
        DESCR=_read_descr("era5_uk_t2m"),
    )

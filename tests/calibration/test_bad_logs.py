"""Event logs as a careless analyst exports them: each gets a clear error naming the file,
column or key, what is wrong and a hint — or a counted warning — never a silently wrong
fit (issue 11, item 6)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.calibration.checks import numerical_warnings
from cjsim.calibration.events import load_mapping, read_events
from cjsim.calibration.stages import prepare_log
from cjsim.errors import CalibrationError

MAP = {"touchpoints": {"site": ["visit"], "shop": ["buy"]}, "purchases": ["shop"]}


@pytest.fixture
def log(small_log):
    """The shared log without its segment column, timestamps as ISO text."""
    frame = small_log.drop(columns="segment")
    return frame.assign(timestamp=frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S"))


def test_negative_order_values_are_refused(log):
    bad = log.copy()
    bad.loc[bad["event"] == "buy", "value"] *= -1
    with pytest.raises(CalibrationError, match=r"column 'value'.*negative order value.*refunds"):
        prepare_log(bad, MAP)


def test_missing_order_values_are_counted_and_the_others_fitted(log):
    some = log.copy()
    buys = some.index[some["event"] == "buy"]
    some.loc[buys[::4], "value"] = np.nan
    fit = cjsim.calibrate(some, MAP)
    counted = [w.split() for w in fit.warnings if "have no order value" in w]
    assert counted, fit.warnings
    missing, total = int(counted[0][0]), int(counted[0][2])  # the last event is the cut-off
    assert abs(missing - len(buys[::4])) <= 1 and abs(total - len(buys)) <= 1
    mean = some.loc[buys, "value"].mean()
    assert fit.scenario.touchpoints["shop"].order_value.mean == pytest.approx(mean, rel=0.05)


def test_a_value_column_without_any_purchase_value_is_refused(log):
    with pytest.raises(CalibrationError, match=r"'value' has no value on any of the \d+ purchase"):
        prepare_log(log.assign(value=np.nan), MAP)


def test_a_cutoff_long_after_the_data_is_refused(log):
    with pytest.raises(CalibrationError, match=r"cutoff 2030-01-01 is [\d,]+ days after"):
        prepare_log(log, {**MAP, "cutoff": "2030-01-01"})
    with pytest.raises(CalibrationError, match="no event before the cut-off"):
        prepare_log(log, {**MAP, "cutoff": "2019-01-01"})


def test_a_cutoff_just_after_the_last_event_is_fine(log):
    last = pd.Timestamp(log["timestamp"].max())
    prepared = prepare_log(log, {**MAP, "cutoff": (last + pd.Timedelta(days=3)).isoformat()})
    assert prepared.cutoff > last


@pytest.mark.parametrize("when", ["1600-01-01", "1970-01-01T00:00:00"])
def test_one_event_dated_far_from_the_rest_is_refused(log, when):
    bad = log.copy()
    bad.loc[0, "timestamp"] = when
    with pytest.raises(CalibrationError, match=r"column 'timestamp'.*(1678|away from the rest)"):
        read_events(bad)


def test_far_dates_in_a_datetime_column_are_refused(log):
    frame = log.assign(timestamp=pd.to_datetime(log["timestamp"]).astype("datetime64[s]"))
    frame.loc[0, "timestamp"] = np.datetime64("1600-01-01", "s")
    with pytest.raises(CalibrationError, match="outside the years 1678-2261"):
        read_events(frame)
    frame.loc[0, "timestamp"] = np.datetime64("1970-01-01", "s")
    with pytest.raises(CalibrationError, match=r"1 event\(s\) dated 1970-01-01 lie"):
        read_events(frame)


def test_duplicate_events_are_dropped_and_counted(log):
    twice = pd.concat([log, log.iloc[::2]], ignore_index=True)
    once, doubled = cjsim.calibrate(log, MAP), cjsim.calibrate(twice, MAP)
    assert f"{len(log.iloc[::2])} duplicate events" in " ".join(doubled.warnings)
    assert not any("out of time order" in w for w in doubled.warnings)
    assert doubled.arrivals.rate_per_day == once.arrivals.rate_per_day
    pd.testing.assert_frame_equal(doubled.report["exits"], once.report["exits"])


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"touchpoints": {"site": ["visit", "buy"], "shop": ["buy"]}}, "touchpoints.site and "),
        ({"outcomes": {"churned": ["buy"]}}, "touchpoints.shop and outcomes.churned"),
    ],
)
def test_an_event_mapped_twice_is_refused(extra, words):
    with pytest.raises(CalibrationError, match=f"event 'buy' is mapped to {words}"):
        load_mapping({**MAP, **extra})


def test_an_event_named_null_is_an_event_not_a_missing_value(log, tmp_path):
    path = tmp_path / "events.csv"
    log.assign(event=log["event"].replace("visit", "null")).to_csv(path, index=False)
    read = read_events(path)
    assert (read["event"] == "null").sum() == (log["event"] == "visit").sum()
    prepared = prepare_log(path, MAP)
    assert any("were dropped: null (" in w for w in prepared.warnings)
    mapped = prepare_log(path, {**MAP, "touchpoints": {"site": ["null"], "shop": ["buy"]}})
    assert (mapped.events["node"] == "site").sum() == (log["event"] == "visit").sum()


def test_a_value_column_named_but_absent_is_refused(log):
    columns = cjsim.EventColumns(value="amont")
    with pytest.raises(CalibrationError, match=r"missing column.*'amont'.*did you mean 'amount'"):
        read_events(log.rename(columns={"value": "amount"}), columns)


def test_the_default_value_column_absent_gives_a_warning(log):
    prepared = prepare_log(log.drop(columns="value"), MAP)
    assert any("no order values" in w for w in prepared.warnings)


def test_a_toml_date_cutoff_is_read(log, tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(
        'cutoff = 2021-06-01\npurchases = ["shop"]\n[touchpoints]\nsite = ["visit"]\n'
        'shop = ["buy"]\n'
    )
    assert load_mapping(path).cutoff == "2021-06-01"
    assert prepare_log(log, path).cutoff == pd.Timestamp("2021-06-01")
    path.write_text(path.read_text().replace("2021-06-01", "2021-06-01T12:00:00+02:00"))
    assert prepare_log(log, path).cutoff == pd.Timestamp("2021-06-01 10:00")


def test_day_month_dates_are_refused(log, tmp_path):
    with pytest.raises(CalibrationError, match=r"cutoff: '02/01/2021' is not a date in ISO"):
        load_mapping({**MAP, "cutoff": "02/01/2021"})
    slashed = log.assign(timestamp=pd.to_datetime(log["timestamp"]).dt.strftime("%d/%m/%Y"))
    with pytest.raises(CalibrationError, match=r"'timestamp'.*either as day \d+ month \d+"):
        read_events(slashed)


def test_too_many_latent_segments_are_refused_at_once(log):
    with pytest.raises(
        CalibrationError, match=r"latent_segments=500 with 300 customers.*at most 15"
    ):
        cjsim.calibrate(log, MAP, latent_segments=500)


def test_numerical_warnings_are_counted_not_printed():
    found: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with numerical_warnings(found):
            np.exp(np.array([1000.0]))
            np.log(np.array([0.0]))
    assert found and found[0].startswith("2 numerical warning(s)")
    with pytest.warns(UserWarning, match="passes through"), numerical_warnings(found):
        warnings.warn("passes through", UserWarning, stacklevel=1)


def test_a_fit_with_numerical_trouble_says_so_in_its_warnings(log, monkeypatch):
    """A numpy warning inside a stage (here an overflow injected into the exit stage;
    the gradient fits no longer overflow on real logs) becomes one counted warning."""
    from cjsim.calibration import fit as fit_module

    real = fit_module.fit_exits

    def overflowing(*args, **kwargs):
        np.exp(np.array([1000.0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(fit_module, "fit_exits", overflowing)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fit = cjsim.calibrate(log, MAP)
    assert any("1 numerical warning(s) during the fit" in w for w in fit.warnings)


def test_rows_without_a_customer_id_are_refused(log, tmp_path):
    path = tmp_path / "events.csv"
    log.assign(customer_id=log["customer_id"].where(log.index > 2, "")).to_csv(path, index=False)
    with pytest.raises(CalibrationError, match=r"'customer_id': 3 row\(s\) have no customer id"):
        read_events(path)

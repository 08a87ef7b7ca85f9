"""Event logs: every way a log can be wrong gives a clear error or a counted warning."""

import pandas as pd
import pytest

from cjsim.calibration import EventColumns, load_mapping, map_events, read_events
from cjsim.errors import CalibrationError

MAPPING = {
    "touchpoints": {"site": ["view", "search"], "shop": ["buy"]},
    "purchases": ["shop"],
    "outcomes": {"left": ["unsubscribe"]},
}


def log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "value"])


GOOD = [
    ("a", "2012-01-01T10:00", "view", ""),
    ("a", "2012-01-02T10:00", "buy", "30.5"),
    ("b", "2012-01-03", "search", None),
    ("b", "2012-01-01", "view", None),
]


def test_a_good_log_is_sorted_per_customer_and_counts_what_was_out_of_order():
    events = read_events(log(GOOD))
    assert list(events["event"]) == ["view", "buy", "view", "search"]
    assert events.attrs["out_of_order"] == 1
    assert events["value"].iloc[1] == 30.5


def test_mapping_counts_dropped_and_unused_events_and_silent_customers():
    rows = [*GOOD, ("c", "2012-01-05", "newsletter", None)]
    mapped = map_events(read_events(log(rows)), load_mapping(MAPPING))
    assert mapped.dropped_events == {"newsletter": 1}
    assert mapped.unused_mapping == ("unsubscribe",)
    assert mapped.customers_without_events == 1
    assert set(mapped.events["node"]) == {"site", "shop"}
    assert len(mapped.warnings) == 4


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        (log(GOOD).drop(columns="timestamp"), ["missing column(s) 'timestamp'"]),
        (
            log(GOOD).rename(columns={"customer_id": "customer"}),
            ["'customer_id'", "did you mean 'customer'"],
        ),
        (
            log([("a", "yesterday-ish", "view", None)]),
            ["1 timestamp(s) cannot be read", "'yesterday-ish'"],
        ),
        (log([("a", "2012-01-01", "view", "ten euros")]), ["not numbers", "'ten euros'"]),
        (log([]), ["no rows"]),
    ],
)
def test_bad_logs_are_refused_clearly(frame, words):
    with pytest.raises(CalibrationError) as info:
        read_events(frame)
    for w in words:
        assert w in str(info.value)


def test_files_empty_missing_or_a_directory(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CalibrationError, match="the file is empty"):
        read_events(empty)
    with pytest.raises(CalibrationError, match="file not found"):
        read_events(tmp_path / "nope.csv")
    with pytest.raises(CalibrationError, match="is a directory"):
        read_events(tmp_path)


def test_csv_with_other_column_names(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("who;when;what\nx;2012-02-01 08:00;view\nx;2012-02-02 09:00;buy\n")
    events = read_events(
        path, EventColumns(customer="who", time="when", event="what", value=None, segment=None)
    )
    assert list(events.columns) == ["customer_id", "time", "event"]


def test_mapping_errors_name_the_key():
    with pytest.raises(CalibrationError, match=r"touchpoints\.site"):
        load_mapping({"touchpoints": {"site": "view"}})
    with pytest.raises(CalibrationError, match="'checkout' is not one of the mapped"):
        load_mapping({**MAPPING, "purchases": ["checkout"]})
    with pytest.raises(CalibrationError, match="did you mean 'purchases'"):
        load_mapping({**MAPPING, "purchase": ["shop"]})


def test_a_log_with_nothing_mapped_is_an_error():
    with pytest.raises(CalibrationError, match="no event of the log is in the mapping"):
        map_events(read_events(log([("a", "2012-01-01", "ping", None)])), load_mapping(MAPPING))


def test_dates_are_naive_utc_like_the_log():
    import pandas as pd

    from cjsim.calibration.events import timestamp

    assert timestamp("2020-01-01T10:00:00+02:00") == pd.Timestamp("2020-01-01 08:00")
    assert timestamp("2020-01-01") == pd.Timestamp("2020-01-01")
    with pytest.raises(CalibrationError, match="not a date"):
        timestamp("first of May")

"""Dates and times as messages write them agree with Python's calendar, to the second."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from elcart_sim.core.local_time import BusinessDay

DAY = BusinessDay(datetime.date(2025, 7, 1))


@given(st.floats(min_value=0.0, max_value=3 * 86_400.0, allow_nan=False))
def test_the_fields_are_what_a_clock_rounding_to_the_microsecond_prints(at_s):
    local = DAY.local(at_s)
    assert DAY.emv_date(at_s) == local.strftime("%y%m%d")
    assert DAY.local_date_time(at_s) == local.strftime("%m%d%H%M%S")
    assert DAY.utc_date_time(at_s) == (local - datetime.timedelta(hours=6)).strftime("%m%d%H%M%S")


def test_the_first_hours_of_the_day_are_yesterday_in_utc():
    assert DAY.utc_date_time(0.0) == "0630180000"
    assert DAY.local_date_time(59.9999997) == "0701000100"  # rounds to the microsecond first

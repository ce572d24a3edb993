"""Simulated time as the messages write it: dates and times of one business day in Kyrgyzstan.

Simulated time is seconds since local midnight of the scenario's date (UTC+6 all year, no
daylight saving). A terminal writes the local date into the chip's transaction date (EMV 9A,
'YYMMDD') and the ISO 8583 local date and time (DE13 'MMDD', DE12 'hhmmss'), and the UTC instant
into the transmission date and time (DE7 'MMDDhhmmss'). Whole seconds are kept, as a clock
that rounds to the microsecond and prints seconds does.
"""

from __future__ import annotations

import datetime

__all__ = ["UTC_OFFSET_S", "BusinessDay"]

UTC_OFFSET_S = 6 * 3600
"""Kyrgyzstan's offset from UTC."""


class BusinessDay:
    """The calendar of one simulated day (and of the days a run's drain reaches into)."""

    __slots__ = ("midnight", "_dates", "_minutes")

    def __init__(self, midnight: datetime.datetime | datetime.date):
        if not isinstance(midnight, datetime.datetime):
            midnight = datetime.datetime.combine(midnight, datetime.time())
        self.midnight = midnight
        self._dates: dict[int, tuple[str, str]] = {}  # day offset -> ('YYMMDD', 'MMDD')
        self._minutes: dict[int, str] = {}  # minute since midnight -> 'MMDDhhmm'

    def _date(self, day: int) -> tuple[str, str]:
        dates = self._dates.get(day)
        if dates is None:
            date = self.midnight + datetime.timedelta(days=day)
            dates = self._dates[day] = (date.strftime("%y%m%d"), date.strftime("%m%d"))
        return dates

    def local(self, at_s: float) -> datetime.datetime:
        """The local wall-clock instant ``at_s`` seconds after midnight."""
        return self.midnight + datetime.timedelta(seconds=at_s)

    def emv_date(self, at_s: float) -> str:
        """EMV 9A: the local date, 'YYMMDD'."""
        return self._date(int(round(at_s, 6) // 86_400))[0]

    def local_date_time(self, at_s: float) -> str:
        """ISO 8583 DE13 + DE12: the local 'MMDDhhmmss'."""
        return self._mmddhhmmss(int(round(at_s, 6)))

    def utc_date_time(self, at_s: float) -> str:
        """ISO 8583 DE7: the UTC 'MMDDhhmmss'."""
        return self._mmddhhmmss(int(round(at_s, 6)) - UTC_OFFSET_S)

    def _mmddhhmmss(self, seconds: int) -> str:
        minutes, second = divmod(seconds, 60)
        prefix = self._minutes.get(minutes)
        if prefix is None:  # a day has 1,440 minutes: each is written once
            day, minute = divmod(minutes, 1440)
            prefix = self._minutes[minutes] = f"{self._date(day)[1]}{minute // 60:02d}{minute % 60:02d}"
        return f"{prefix}{second:02d}"

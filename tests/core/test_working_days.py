"""Working days on the official calendar, checked on real dates of published arrangements
(国务院办公厅关于2025年、2026年部分节假日安排的通知)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from jifen.core.working_days import (
    add_working_days,
    calendar_known,
    is_working_day,
    working_days_between,
)

# 2025: 国庆节、中秋节 10月1日至8日放假调休，共8天；9月28日（周日）、10月11日（周六）上班。
NATIONAL_DAY_2025_OFF = [date(2025, 10, d) for d in range(1, 9)]
# 2026: 春节 2月15日至23日放假调休，共9天；2月14日（周六）、2月28日（周六）上班。
SPRING_FESTIVAL_2026_OFF = [date(2026, 2, d) for d in range(15, 24)]


def test_national_day_week_2025_is_off_including_its_weekdays() -> None:
    assert [d for d in NATIONAL_DAY_2025_OFF if is_working_day(d)] == []
    # Mon 6 Oct .. Wed 8 Oct are weekdays, off all the same.
    assert date(2025, 10, 6).weekday() == 0
    assert not is_working_day(date(2025, 10, 6))


def test_make_up_working_days_2025_fall_on_a_weekend() -> None:
    assert date(2025, 9, 28).weekday() == 6  # a Sunday
    assert date(2025, 10, 11).weekday() == 5  # a Saturday
    assert is_working_day(date(2025, 9, 28))
    assert is_working_day(date(2025, 10, 11))
    # The weekend days around them stay off.
    assert not is_working_day(date(2025, 9, 27))
    assert not is_working_day(date(2025, 10, 12))


def test_spring_festival_2026() -> None:
    assert [d for d in SPRING_FESTIVAL_2026_OFF if is_working_day(d)] == []
    assert is_working_day(date(2026, 2, 14))  # Saturday, make-up
    assert is_working_day(date(2026, 2, 28))  # Saturday, make-up
    assert is_working_day(date(2026, 2, 13))
    assert is_working_day(date(2026, 2, 24))


def test_a_plain_weekend_is_off_and_its_weekdays_work() -> None:
    # 2025-03-08/09: no holiday near.
    assert [is_working_day(date(2025, 3, d)) for d in range(3, 10)] == [
        True, True, True, True, True, False, False,
    ]


def test_a_datetime_counts_as_its_date() -> None:
    assert not is_working_day(datetime(2025, 10, 1, 9, 30))
    assert is_working_day(datetime(2025, 10, 11, 23, 59))
    assert add_working_days(datetime(2025, 9, 30, 17, 0), 1) == date(2025, 10, 9)


def test_add_working_days_over_national_day_2025() -> None:
    # From Friday 26 Sep: Sun 28 (make-up), Mon 29, Tue 30, then the holiday, Thu 9 Oct ...
    start = date(2025, 9, 26)
    assert add_working_days(start, 1) == date(2025, 9, 28)
    assert add_working_days(start, 3) == date(2025, 9, 30)
    assert add_working_days(start, 4) == date(2025, 10, 9)
    assert add_working_days(start, 6) == date(2025, 10, 11)
    assert add_working_days(start, 7) == date(2025, 10, 13)


def test_add_working_days_over_spring_festival_2026() -> None:
    start = date(2026, 2, 12)  # Thursday
    assert add_working_days(start, 1) == date(2026, 2, 13)
    assert add_working_days(start, 2) == date(2026, 2, 14)  # the make-up Saturday
    assert add_working_days(start, 3) == date(2026, 2, 24)  # after nine days off
    assert add_working_days(start, 7) == date(2026, 2, 28)  # the other make-up Saturday
    assert add_working_days(start, 8) == date(2026, 3, 2)


def test_add_zero_is_the_start_even_on_a_holiday() -> None:
    assert add_working_days(date(2025, 10, 3), 0) == date(2025, 10, 3)


def test_start_is_never_counted() -> None:
    # A working day as start: the first day counted is the next one.
    assert add_working_days(date(2025, 3, 3), 1) == date(2025, 3, 4)
    # A holiday as start: the first working day after it.
    assert add_working_days(date(2025, 10, 3), 1) == date(2025, 10, 9)


def test_negative_n_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2025, 3, 3), -1)


def test_working_days_between() -> None:
    assert working_days_between(date(2025, 9, 26), date(2025, 10, 12)) == 6
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 8)) == 0
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6
    # A plain week: Monday to the next Monday.
    assert working_days_between(date(2025, 3, 3), date(2025, 3, 10)) == 5
    assert working_days_between(date(2025, 3, 3), date(2025, 3, 3)) == 0
    assert working_days_between(date(2025, 3, 10), date(2025, 3, 3)) == 0


def test_between_and_add_agree() -> None:
    start = date(2025, 9, 20)
    for n in range(0, 40):
        assert working_days_between(start, add_working_days(start, n)) == n


def test_a_year_outside_the_data_counts_monday_to_friday() -> None:
    assert calendar_known(2025)
    assert calendar_known(2026)
    assert not calendar_known(1999)
    assert not calendar_known(2200)
    # 2200-01-01 is a Wednesday: New Year's Day, but nothing is known of 2200.
    assert date(2200, 1, 1).weekday() == 2
    assert is_working_day(date(2200, 1, 1))
    assert not is_working_day(date(2200, 1, 4))  # Saturday
    # 1999-10-01 was a holiday in fact; before the data it is a plain Friday.
    assert is_working_day(date(1999, 10, 1))
    friday = date(2200, 1, 3)
    assert add_working_days(friday, 1) == friday + timedelta(days=3)
    assert working_days_between(date(2200, 1, 1), date(2200, 1, 8)) == 5

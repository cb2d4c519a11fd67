"""English formats; see atendo/core/locale_formats/__init__.py.

A date spells its month ("Apr 12, 1990"): an English reader may be American (04/12/1990) or not
(12/04/1990), and a number-only date means two different days to them.
"""

DATE_FORMAT = "F j, Y"  # December 1, 2026
SHORT_DATE_FORMAT = "M j, Y"  # Dec 1, 2026
TIME_FORMAT = "H:i"  # the product is 24-hour everywhere (the calendar, the forms)
DATETIME_FORMAT = "F j, Y, H:i"
SHORT_DATETIME_FORMAT = "M j, Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "F j"
WEEKDAY_DATE_FORMAT = "D, M j, Y"  # Tue, Dec 1, 2026
LONG_WEEKDAY_DATE_FORMAT = "l, F j, Y"  # Tuesday, December 1, 2026
FIRST_DAY_OF_WEEK = 0
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

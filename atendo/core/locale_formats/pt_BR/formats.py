"""Brazilian Portuguese formats; see atendo/core/locale_formats/__init__.py.

Django's catalogue capitalises month and weekday names ("Dezembro", "Terça-feira"); Portuguese
writes them in lower case, which `atendo.core.formats` applies to the formats that spell them.
"""

DATE_FORMAT = r"j \d\e F \d\e Y"  # 1 de dezembro de 2026
SHORT_DATE_FORMAT = "d/m/Y"  # 01/12/2026
TIME_FORMAT = "H:i"
DATETIME_FORMAT = r"j \d\e F \d\e Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
YEAR_MONTH_FORMAT = r"F \d\e Y"
MONTH_DAY_FORMAT = r"j \d\e F"
WEEKDAY_DATE_FORMAT = "D., d/m/Y"  # ter., 01/12/2026
LONG_WEEKDAY_DATE_FORMAT = r"l, j \d\e F \d\e Y"  # terça-feira, 1 de dezembro de 2026
FIRST_DAY_OF_WEEK = 0
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3

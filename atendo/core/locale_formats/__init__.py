"""Atendo's date and number formats per language (settings.FORMAT_MODULE_PATH): the ONE place.

Django looks here before its own locale formats. Two rules the project adds:

- the first `*_INPUT_FORMATS` entry is ISO 8601 in every language, because Django renders a form's
  date/time widgets with it and `<input type="date">` / `datetime-local` only accept ISO
  (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`); a localised value there is blanked by the browser;
- the names ending in `WEEKDAY_DATE_FORMAT` are ours (a date with its weekday), read by
  `atendo.core.formats`, which every page, PDF, CSV and e-mail uses to show a date, a time or money.
"""

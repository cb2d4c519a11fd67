"""The workspace settings: one declaration each.

Every setting is a column of `Workspace` (its default lives there, with the migration) and one
entry of `SETTINGS` below: its kind (text, whole number, choice, time, yes/no, working hours), its
bounds or choices, the label and help text of the settings page, and the API description. From
that one entry come

- the service's validation (`clean`: unknown keys refused, every error at its key, translated),
- the JSON the API and the audit trail show (`to_json`), and the API schemas (`out_schema`,
  `patch_schema`: GET and PATCH `/settings`),
- the field of the general settings form (`form_field`; working hours have their own page).

A new setting (reminders, booking, a cancellation window...) is a model column and one entry here.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from django import forms
from django.conf import settings as django_settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from ninja import Field, Schema
from pydantic import create_model

from atendo.core.api_schemas import InputSchema
from atendo.core.clean import FieldErrors, clean_money, clean_text
from atendo.core.errors import ValidationFailed
from atendo.core.times import parse_hhmm
from atendo.workspaces.hours import validate_working_hours
from atendo.workspaces.models import Workspace

WorkingHours = dict[str, list[list[str]]]
WORKING_HOURS_HELP = 'Per weekday (mon … sun), local "HH:mm" intervals, e.g. {"mon": [["09:00", "12:00"]]}.'


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    """The IANA zones this installation knows. `zoneinfo.available_timezones()` walks the zone
    files on every call (a few ms); they change only with a package upgrade, which restarts."""
    return frozenset(zoneinfo.available_timezones())


def timezone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """IANA zones grouped by region for a <select> with <optgroup>s."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(known_time_zones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")):
            continue
        region = name.partition("/")[0]
        groups.setdefault(region, []).append((name, name.replace("_", " ")))
    return [("UTC", [("UTC", "UTC")]), *sorted(groups.items())]


@dataclass(frozen=True, kw_only=True)
class Setting:
    """One workspace setting. `what` names it in error messages ("The default duration")."""

    key: str
    label: str | Promise
    what: str | Promise
    help_text: str | Promise = ""
    description: str = ""
    on_form: bool = True
    # Changing it is a sensitive act: it needs a recent sign-in (accounts/signin.py). The sign-in
    # security settings are, and they have their own page (Settings › Sign-in security).
    sensitive: bool = False
    # Only an owner may change it (the language model: it decides where notes may be sent).
    owner_only: bool = False

    def json_type(self) -> Any:
        raise NotImplementedError

    def clean(self, value: Any) -> Any:
        """The model value of `value` (from JSON or from the form), or ValidationFailed at `key`."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        return value

    def form_field(self) -> forms.Field:
        raise NotImplementedError

    def _fail(self, message: str) -> ValidationFailed:
        return ValidationFailed.single(self.key, message)

    def _form_kwargs(self) -> dict[str, Any]:
        return {"label": self.label, "help_text": self.help_text}


@dataclass(frozen=True, kw_only=True)
class TextSetting(Setting):
    """Text; `required=False` lets it be empty ("" = none), `multiline` makes it a textarea."""

    max_length: int
    upper: bool = False
    pattern: str = ""
    pattern_message: str | Promise = ""
    attrs: Mapping[str, Any] = field(default_factory=dict)
    required: bool = True
    multiline: bool = False

    def json_type(self) -> Any:
        return Annotated[str, Field(min_length=1 if self.required else 0, max_length=self.max_length)]

    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or (self.required and not value.strip()):
            raise self._fail(_("%(what)s is required.") % {"what": self.what})
        text = clean_text(value, self.key, max_length=self.max_length)
        if self.upper:
            text = text.upper()
        if self.pattern and text and not re.fullmatch(self.pattern, text):
            raise self._fail(str(self.pattern_message))
        return text

    def form_field(self) -> forms.Field:
        widget: forms.Widget | None = None
        if self.multiline:
            widget = forms.Textarea(attrs={"rows": 3, **self.attrs})
        elif self.attrs:
            widget = forms.TextInput(attrs=dict(self.attrs))
        return forms.CharField(
            max_length=self.max_length, widget=widget, required=self.required, **self._form_kwargs()
        )


@dataclass(frozen=True, kw_only=True)
class IntSetting(Setting):
    minimum: int
    maximum: int

    def json_type(self) -> Any:
        return Annotated[int, Field(ge=self.minimum, le=self.maximum)]

    def clean(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(_("%(what)s must be a whole number.") % {"what": self.what})
        if not self.minimum <= value <= self.maximum:
            raise self._fail(
                _("%(what)s must be between %(min)d and %(max)d.")
                % {"what": self.what, "min": self.minimum, "max": self.maximum}
            )
        return value

    def form_field(self) -> forms.Field:
        return forms.IntegerField(
            widget=forms.NumberInput(attrs={"min": self.minimum}), **self._form_kwargs()
        )


@dataclass(frozen=True, kw_only=True)
class ChoiceSetting(Setting):
    """One of a fixed list: `choices()` gives (value, label) pairs (labels translated lazily)."""

    choices: Callable[[], Sequence[tuple[Any, str | Promise]]]

    def values(self) -> tuple[Any, ...]:
        return tuple(value for value, _label in self.choices())

    def json_type(self) -> Any:
        return Literal[self.values()]

    def clean(self, value: Any) -> Any:
        values = self.values()
        if isinstance(value, bool) or value not in values:
            raise self._fail(
                _("%(what)s must be one of: %(choices)s.")
                % {"what": self.what, "choices": ", ".join(str(v) for v in values)}
            )
        return value

    def form_field(self) -> forms.Field:
        coerce: Callable[[Any], Any] = type(self.values()[0])  # str, or int for the slot minutes
        return forms.TypedChoiceField(choices=list(self.choices()), coerce=coerce, **self._form_kwargs())


@dataclass(frozen=True, kw_only=True)
class TimezoneSetting(Setting):
    def json_type(self) -> Any:
        return Annotated[str, Field(max_length=64)]

    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise self._fail(_("A time zone is required, e.g. America/Sao_Paulo."))
        unknown = _("Unknown time zone '%(name)s'; use an IANA name like America/Sao_Paulo.") % {
            "name": value
        }
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise self._fail(unknown) from None
        if value not in known_time_zones() and value != "UTC":
            raise self._fail(unknown)
        return value

    def form_field(self) -> forms.Field:
        return forms.ChoiceField(choices=timezone_choices(), **self._form_kwargs())


@dataclass(frozen=True, kw_only=True)
class TimeSetting(Setting):
    """A local wall-clock time: "HH:mm" in JSON, a `time` in the model and the form."""

    def json_type(self) -> Any:
        return Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]

    def clean(self, value: Any) -> dt.time:
        if isinstance(value, dt.time):
            return value.replace(second=0, microsecond=0, tzinfo=None)
        minutes = parse_hhmm(value)
        if minutes is None:
            raise self._fail(_("Use a 24-hour time HH:mm, e.g. 09:00."))
        return dt.time(minutes // 60, minutes % 60)

    def to_json(self, value: Any) -> Any:
        return value.strftime("%H:%M")

    def form_field(self) -> forms.Field:
        return forms.TimeField(
            input_formats=["%H:%M", "%H:%M:%S"],
            widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
            **self._form_kwargs(),
        )


@dataclass(frozen=True, kw_only=True)
class BoolSetting(Setting):
    def json_type(self) -> Any:
        return bool

    def clean(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self._fail(_("Must be true or false."))
        return value

    def form_field(self) -> forms.Field:
        return forms.BooleanField(required=False, **self._form_kwargs())


@dataclass(frozen=True, kw_only=True)
class WorkingHoursSetting(Setting):
    """Edited on its own page (the hours editor), so not a field of the general form."""

    on_form: bool = False

    def json_type(self) -> Any:
        return WorkingHours

    def clean(self, value: Any) -> WorkingHours:
        return validate_working_hours(value, self.key)


class FeeIn(InputSchema):
    """A fee: a fixed amount in the workspace currency, or a percentage of the session's price."""

    type: Literal["amount", "percent"] = Field(
        description="`amount`: a fixed amount; `percent`: of the therapy type's price."
    )
    value: str = Field(max_length=20, description="A decimal as a string: '80.00' or '50'.")


MAX_FEE_PERCENT = Decimal(100)


class FeeWidget(forms.MultiWidget):
    def __init__(self) -> None:
        super().__init__(
            [
                forms.Select(choices=_fee_type_choices()),
                forms.TextInput(attrs={"inputmode": "decimal", "size": 8, "autocomplete": "off"}),
            ]
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [value.get("type", ""), value.get("value", "")]
        return ["", ""]


def _fee_type_choices() -> list[tuple[str, str | Promise]]:
    return [
        ("", gettext_lazy("No fee")),
        ("amount", gettext_lazy("A fixed amount")),
        ("percent", gettext_lazy("A percentage of the price")),
    ]


class FeeFormField(forms.MultiValueField):
    """The fee on the settings form: its kind and its value (checked by `FeeSetting.clean`)."""

    widget = FeeWidget

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            fields=[
                forms.ChoiceField(choices=_fee_type_choices(), required=False),
                forms.CharField(required=False),
            ],
            require_all_fields=False,
            required=False,
            **kwargs,
        )

    def compress(self, data_list: list[Any]) -> dict[str, str] | None:
        kind = data_list[0] if data_list else ""
        if not kind:
            return None
        return {"type": kind, "value": (data_list[1] or "").strip()}


@dataclass(frozen=True, kw_only=True)
class FeeSetting(Setting):
    """None (no fee) or {"type": "amount" | "percent", "value": "<decimal>"}; stored normalized
    ("80.00", "50"). A percentage is of the session's therapy type's price."""

    def json_type(self) -> Any:
        return FeeIn | None

    def clean(self, value: Any) -> dict[str, str] | None:
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) != {"type", "value"}:
            raise self._fail(
                _('%(what)s is null (none) or {"type": "amount" or "percent", "value": "80.00"}.')
                % {"what": self.what}
            )
        kind = value["type"]
        if kind not in ("amount", "percent"):
            raise ValidationFailed.single(f"{self.key}.type", _("Use amount or percent."))
        path = f"{self.key}.value"
        amount = clean_money(value["value"], path, required=True)
        assert amount is not None
        if kind == "percent":
            if not Decimal(0) < amount <= MAX_FEE_PERCENT:
                raise ValidationFailed.single(path, _("A percentage is more than 0 and at most 100."))
            return {"type": "percent", "value": f"{amount.normalize():f}"}
        return {"type": "amount", "value": str(amount)}

    def form_field(self) -> forms.Field:
        return FeeFormField(**self._form_kwargs())


SESSION_STATUS_CHOICES = [
    # The statuses of `scheduling.SessionStatus` (a higher layer, so named here again).
    ("scheduled", gettext_lazy("Scheduled")),
    ("in_progress", gettext_lazy("In progress")),
    ("completed", gettext_lazy("Completed")),
    ("cancelled", gettext_lazy("Cancelled")),
]
SLOT_MINUTES = (5, 10, 15, 20, 30, 60)
MAX_DURATION_MINUTES = 1440
MAX_PAYMENT_DUE_DAYS = 365
MIN_IDLE_MINUTES = 5
MAX_IDLE_MINUTES = 24 * 60
MAX_CANCELLATION_WINDOW_HOURS = 24 * 30
FEE_HELP = (
    'null (no fee), or {"type": "amount", "value": "80.00"} (a fixed amount) or '
    '{"type": "percent", "value": "50"} (of the session\'s therapy type price; none without a price).'
)


def _slot_choices() -> list[tuple[int, str]]:
    return [
        (m, ngettext("%(minutes)d minute", "%(minutes)d minutes", m) % {"minutes": m}) for m in SLOT_MINUTES
    ]


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        TextSetting(
            key="name",
            label=gettext_lazy("Workspace name"),
            what=gettext_lazy("The workspace name"),
            max_length=150,
        ),
        TimezoneSetting(
            key="timezone",
            label=gettext_lazy("Time zone"),
            what=gettext_lazy("The time zone"),
            help_text=gettext_lazy("Sessions are shown and checked in this time zone."),
            description="IANA time zone, e.g. America/Sao_Paulo.",
        ),
        TextSetting(
            key="currency",
            label=gettext_lazy("Currency"),
            what=gettext_lazy("The currency"),
            help_text=gettext_lazy("Three-letter ISO code, e.g. BRL, EUR, USD."),
            description="ISO 4217, e.g. BRL.",
            max_length=3,
            upper=True,
            pattern="[A-Z]{3}",
            pattern_message=gettext_lazy("Use a three-letter ISO 4217 currency code, e.g. BRL."),
            attrs={"autocapitalize": "characters", "size": 4},
        ),
        ChoiceSetting(
            key="language",
            label=gettext_lazy("Language of documents for clients"),
            what=gettext_lazy("The language"),
            help_text=gettext_lazy(
                "Receipts, invoices (PDF) and e-mails to clients are written in this language, "
                "whatever language each member reads Atendo in."
            ),
            description="The language of receipts, invoices and e-mails to clients.",
            choices=lambda: list(django_settings.LANGUAGES),
        ),
        TextSetting(
            key="address",
            label=gettext_lazy("Practice address"),
            what=gettext_lazy("The practice address"),
            help_text=gettext_lazy("Printed on receipts and invoices. Several lines are fine."),
            description="The practice's address as printed on receipts (may be empty).",
            max_length=500,
            required=False,
            multiline=True,
        ),
        TextSetting(
            key="client_tax_id_field",
            label=gettext_lazy("Client field with the tax id (CPF)"),
            what=gettext_lazy("The client tax id field"),
            help_text=gettext_lazy(
                "The key of an administrative (not clinical) client field that holds the client's "
                "CPF or other tax id, printed on receipts, e.g. cpf. Empty: receipts show no client tax id."
            ),
            description=(
                "Key of an administrative client field holding the client's tax id (CPF…), printed on "
                "receipts; empty for none. A clinical field is never printed."
            ),
            max_length=64,
            required=False,
            pattern=r"[a-z][a-z0-9_]*",
            pattern_message=gettext_lazy("Use a field key: lower-case letters, digits and _, e.g. cpf."),
            attrs={"autocapitalize": "off", "spellcheck": "false"},
        ),
        WorkingHoursSetting(
            key="working_hours",
            label=gettext_lazy("Working hours"),
            what=gettext_lazy("The working hours"),
            description=WORKING_HOURS_HELP,
        ),
        IntSetting(
            key="default_duration_minutes",
            label=gettext_lazy("Default session duration (minutes)"),
            what=gettext_lazy("The default duration"),
            minimum=1,
            maximum=MAX_DURATION_MINUTES,
        ),
        ChoiceSetting(
            key="default_status",
            label=gettext_lazy("Default session status"),
            what=gettext_lazy("The default status"),
            choices=lambda: SESSION_STATUS_CHOICES,
        ),
        TimeSetting(
            key="default_start_time",
            label=gettext_lazy("Default start time"),
            what=gettext_lazy("The default start time"),
            description='24-hour "HH:mm".',
        ),
        ChoiceSetting(
            key="slot_minutes",
            label=gettext_lazy("Calendar time slots"),
            what=gettext_lazy("The calendar slot"),
            choices=_slot_choices,
        ),
        ChoiceSetting(
            key="default_calendar_view",
            label=gettext_lazy("Default calendar view"),
            what=gettext_lazy("The default calendar view"),
            choices=lambda: Workspace.CalendarView.choices,
        ),
        BoolSetting(
            key="prevent_double_booking",
            label=gettext_lazy("Prevent double booking"),
            what=gettext_lazy("Prevent double booking"),
            help_text=gettext_lazy(
                "Refuse a session that overlaps another one of the same client or practitioner, "
                "instead of saving it with a warning."
            ),
        ),
        IntSetting(
            key="cancellation_window_hours",
            label=gettext_lazy("Cancellation window (hours)"),
            what=gettext_lazy("The cancellation window"),
            help_text=gettext_lazy(
                "A client who cancels less than this many hours before the session cancels late "
                "(0: never late)."
            ),
            description="A client's cancellation this many hours or less before the start is late; 0: never.",
            minimum=0,
            maximum=MAX_CANCELLATION_WINDOW_HOURS,
        ),
        FeeSetting(
            key="no_show_fee",
            label=gettext_lazy("No-show fee"),
            what=gettext_lazy("The no-show fee"),
            help_text=gettext_lazy("Charged as a pending payment when a session is marked as a no-show."),
            description=FEE_HELP,
        ),
        FeeSetting(
            key="late_cancel_fee",
            label=gettext_lazy("Late cancellation fee"),
            what=gettext_lazy("The late cancellation fee"),
            help_text=gettext_lazy(
                "Charged as a pending payment when a client cancels inside the cancellation window."
            ),
            description=FEE_HELP,
        ),
        IntSetting(
            key="payment_due_days",
            label=gettext_lazy("Payment due after (days)"),
            what=gettext_lazy("Payment due days"),
            help_text=gettext_lazy("Pending payments become overdue this many days after the session."),
            minimum=0,
            maximum=MAX_PAYMENT_DUE_DAYS,
        ),
        ChoiceSetting(
            key="mfa_required",
            label=gettext_lazy("Require two-step verification"),
            what=gettext_lazy("The two-step verification requirement"),
            help_text=gettext_lazy(
                "Members it applies to set up an authenticator app before they open this workspace, "
                "and enter a code from it when they log in."
            ),
            description=(
                "Who must use two-step verification (TOTP) to open this workspace: `off`, `clinical` "
                "(members whose role reads clinical content) or `everyone`. API tokens are not affected."
            ),
            choices=lambda: Workspace.MfaRequired.choices,
            on_form=False,
            sensitive=True,
        ),
        IntSetting(
            key="idle_timeout_clinical_minutes",
            label=gettext_lazy("Sign out after inactivity, members with clinical access (minutes)"),
            what=gettext_lazy("The idle timeout for members with clinical access"),
            help_text=gettext_lazy(
                "Members whose role reads clinical content are signed out after this long without "
                "activity; the page warns them first."
            ),
            description="Idle timeout of browser sessions of members whose role reads clinical content.",
            minimum=MIN_IDLE_MINUTES,
            maximum=MAX_IDLE_MINUTES,
            on_form=False,
            sensitive=True,
        ),
        IntSetting(
            key="idle_timeout_minutes",
            label=gettext_lazy("Sign out after inactivity, other members (minutes)"),
            what=gettext_lazy("The idle timeout for other members"),
            help_text=gettext_lazy("Everyone else is signed out after this long without activity."),
            description="Idle timeout of browser sessions of members without clinical access.",
            minimum=MIN_IDLE_MINUTES,
            maximum=MAX_IDLE_MINUTES,
            on_form=False,
            sensitive=True,
        ),
        BoolSetting(
            key="llm_enabled",
            label=gettext_lazy("Answer questions over the notes with a language model"),
            what=gettext_lazy("The language model switch"),
            help_text=gettext_lazy(
                "Off: questions are answered on this server by the built-in engine, quoting the notes. "
                "On: the excerpts a member may read are sent with their question to the endpoint below "
                "(or the server's ATENDO_LLM_BASE_URL); every call is audited. Only an owner may change it."
            ),
            description="Send the excerpts a member may read to an OpenAI-compatible endpoint (owner only).",
            owner_only=True,
        ),
        TextSetting(
            key="llm_base_url",
            label=gettext_lazy("Language model endpoint"),
            what=gettext_lazy("The language model endpoint"),
            help_text=gettext_lazy(
                "An OpenAI-compatible server, e.g. http://127.0.0.1:11434 for a local Ollama. "
                "Empty: the server's ATENDO_LLM_BASE_URL."
            ),
            description="Base URL of an OpenAI-compatible server (/v1/chat/completions); empty: the default.",
            max_length=300,
            required=False,
            pattern=r"https?://[^\s]+",
            pattern_message=gettext_lazy("Use an http:// or https:// address."),
            attrs={"autocapitalize": "off", "spellcheck": "false"},
            owner_only=True,
        ),
        TextSetting(
            key="llm_model",
            label=gettext_lazy("Language model name"),
            what=gettext_lazy("The language model name"),
            help_text=gettext_lazy("e.g. llama3.1:8b. Empty: the server's ATENDO_LLM_MODEL."),
            description="Model name sent to the endpoint; empty for the default.",
            max_length=100,
            required=False,
            attrs={"autocapitalize": "off", "spellcheck": "false"},
            owner_only=True,
        ),
    ]
}
SECURITY_SETTINGS = ("mfa_required", "idle_timeout_clinical_minutes", "idle_timeout_minutes")


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """A partial settings update -> model-ready values. Unknown keys are refused, and every error
    names its key (`working_hours.mon[1]`, `slot_minutes`, …)."""
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        setting = SETTINGS.get(key)
        if setting is None:
            errors.add(str(key), _("'%(key)s' is not a workspace setting.") % {"key": key})
            continue
        try:
            cleaned[key] = setting.clean(value)
        except ValidationFailed as exc:
            errors.errors.extend(exc.fields)
    errors.raise_if_any()
    return cleaned


def to_json(workspace: Workspace) -> dict[str, Any]:
    """The settings as JSON-ready values (times as "HH:mm"), as the API and the audit trail show them."""
    return {key: s.to_json(getattr(workspace, key)) for key, s in SETTINGS.items()}


def form_settings() -> Iterable[Setting]:
    return [s for s in SETTINGS.values() if s.on_form]


def out_schema() -> type[Schema]:
    """The GET (and PATCH answer) body: every setting, always present."""
    fields: dict[str, Any] = {
        key: (s.json_type(), Field(..., description=s.description or None)) for key, s in SETTINGS.items()
    }
    return create_model("SettingsOut", __base__=Schema, **fields)


def patch_schema(base: type[Schema]) -> type[Schema]:
    """The PATCH body: any subset of the settings, none of them null (`base` refuses unknown keys)."""
    fields: dict[str, Any] = {
        key: (s.json_type(), Field(None, description=s.description or None)) for key, s in SETTINGS.items()
    }
    model = create_model("SettingsPatch", __base__=base, **fields)
    model.__doc__ = "Only the keys you send change (none of them may be null)."
    return model

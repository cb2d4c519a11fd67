"""Reads of sessions, always scoped to the member's workspace and to `session.read`.

Staff without `session.read` see no session anywhere (403). Redaction of clinical content is the
serializer's job (`serializers._rows_to_json`); these return querysets or model instances with
everything the serializer needs already joined (or, for `sessions_page_rows`, rows read by
`serializers.session_rows`), so a page costs a constant number of queries.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from atendo.clients.models import Client, ClientPractitioner
from atendo.core.api_schemas import MAX_ID
from atendo.core.errors import FieldError, NotFound, ValidationFailed
from atendo.fields import engine
from atendo.scheduling.checks import MAX_SPAN
from atendo.scheduling.models import Session, SessionStatus, SessionStatusChange
from atendo.scheduling.serializers import session_rows
from atendo.scheduling.times import UTC, parse_datetime
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

MAX_RANGE = dt.timedelta(days=100)
DEFAULT_PAGE = 50
MAX_PAGE = 200
# List-mode sort keys (a leading "-" sorts descending); ties break on id.
SORTS = {"starts_at", "name", "status", "duration_minutes", "created_at", "updated_at"}


def sessions_for(member: Membership) -> QuerySet[Session]:
    """All sessions the member may see (the whole workspace, with `session.read`), joined for serializing."""
    require(member, "session.read")
    return Session.objects.for_workspace(member.workspace).select_related(
        "client", "practitioner__user", "therapy_type"
    )


def session_get_for(member: Membership, session_id: int) -> Session:
    """One session of the member's workspace; 404 if missing or foreign, 403 without session.read."""
    session = sessions_for(member).filter(pk=session_id).first()
    if session is None:
        raise NotFound(_("No such session."))
    return session


def parse_range(member: Membership, start: Any, end: Any) -> tuple[dt.datetime, dt.datetime]:
    """`start`/`end` (ISO 8601 dates or datetimes, local to the workspace without an offset) -> UTC.

    The end must be after the start and the range at most 100 days.
    """
    tz = member.workspace.tz
    errors: list[FieldError] = []
    begin = finish = None
    try:
        begin = parse_datetime(start, tz, path="start", date_only_ok=True)
    except ValidationFailed as exc:
        errors += exc.fields
    try:
        finish = parse_datetime(end, tz, path="end", date_only_ok=True)
    except ValidationFailed as exc:
        errors += exc.fields
    if errors:
        raise ValidationFailed(errors)
    assert begin is not None and finish is not None
    if finish <= begin:
        raise ValidationFailed.single("end", _("The end of the range must be after its start."))
    if finish - begin > MAX_RANGE:
        raise ValidationFailed.single("end", _("A range can span at most 100 days."))
    return begin, finish


def _filtered(
    member: Membership,
    qs: QuerySet[Session],
    *,
    client_id: int | None,
    practitioner_id: int | None,
    status: Iterable[str] | None,
    field_filters: Mapping[str, Any] | None,
) -> QuerySet[Session]:
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if practitioner_id is not None:
        qs = qs.filter(practitioner_id=practitioner_id)
    statuses = [s for s in (status or []) if s]
    if statuses:
        bad = [s for s in statuses if s not in SessionStatus.values]
        if bad:
            raise ValidationFailed.single(
                "status",
                _("Unknown status '%(value)s'; use %(choices)s.")
                % {"value": bad[0], "choices": ", ".join(SessionStatus.values)},
            )
        qs = qs.filter(status__in=statuses)
    if field_filters:
        qs = apply_field_filters(member, qs, field_filters)
    return qs


def apply_field_filters(
    member: Membership, qs: QuerySet[Session], field_filters: Mapping[str, Any]
) -> QuerySet[Session]:
    """`{key: value}` -> sessions whose field `key` (in its phase) equals `value`.

    Only live filterable definitions may be used (else 422 on `field.<key>`). Filtering on a
    clinical field is limited to clients whose clinical content the member may read, so a filter
    never reveals a hidden value.
    """
    definitions = engine.filterable_definitions(workspace=member.workspace, scope="session")
    clinical_filter = False
    for key, raw in field_filters.items():
        path = f"field.{key}"
        definition = definitions.get(key)
        if definition is None or definition.phase not in ("pre", "during", "post"):
            raise ValidationFailed.single(
                path, _("'%(key)s' is not a filterable session field.") % {"key": key}
            )
        value = engine.coerce_filter_value(definition, raw, path)
        qs = qs.filter(**{f"{definition.phase}_fields__{key}": value})
        clinical_filter = clinical_filter or definition.clinical
    if clinical_filter and not member.has_perm("clinical.read_all"):
        if member.has_perm("clinical.read_own"):
            own = ClientPractitioner.objects.filter(workspace_id=member.workspace_id, member=member)
            qs = qs.filter(client_id__in=own.values("client_id"))
        else:
            qs = qs.none()
    return qs


def sessions_in_range(
    member: Membership,
    start: dt.datetime,
    end: dt.datetime,
    *,
    client_id: int | None = None,
    practitioner_id: int | None = None,
    status: Iterable[str] | None = None,
    field_filters: Mapping[str, Any] | None = None,
) -> QuerySet[Session]:
    """Sessions intersecting [start, end), ordered by start then id.

    `starts_at >= start - 1 day` (no session is longer) bounds the scan on the
    (workspace[, practitioner], starts_at) index; the other two conditions decide intersection.
    """
    qs = sessions_for(member).filter(starts_at__lt=end, ends_at__gt=start, starts_at__gte=start - MAX_SPAN)
    qs = _filtered(
        member,
        qs,
        client_id=client_id,
        practitioner_id=practitioner_id,
        status=status,
        field_filters=field_filters,
    )
    return qs.order_by("starts_at", "id")


def sessions_filtered(
    member: Membership,
    *,
    client_id: int | None = None,
    practitioner_id: int | None = None,
    status: Iterable[str] | None = None,
    field_filters: Mapping[str, Any] | None = None,
) -> QuerySet[Session]:
    """Every session matching the filters, ordered by start then id (the CSV export without a range)."""
    return _filtered(
        member,
        sessions_for(member),
        client_id=client_id,
        practitioner_id=practitioner_id,
        status=status,
        field_filters=field_filters,
    ).order_by("starts_at", "id")


# --- list mode: keyset (cursor) pagination -----------------------------------------------------


def _encode_cursor(value: Any, pk: int) -> str:
    if isinstance(value, dt.datetime):
        value = value.astimezone(UTC).isoformat()
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, field: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk <= MAX_ID:
            raise ValueError
        if field in {"starts_at", "created_at", "updated_at"}:
            value = dt.datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError
        elif field == "duration_minutes":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 2**31 - 1:
                raise ValueError
        elif not isinstance(value, str):
            raise ValueError
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed.single(
            "cursor", _("This cursor is not valid; start again without it.")
        ) from None
    return value, pk


def _page_queryset(
    member: Membership,
    *,
    sort: str,
    cursor: str | None,
    limit: int,
    client_id: int | None,
    practitioner_id: int | None,
    status: Iterable[str] | None,
    field_filters: Mapping[str, Any] | None,
) -> tuple[QuerySet[Session], str]:
    """The list query after `cursor`, ordered by `sort` then id, limited to `limit + 1` rows
    (one more tells whether a next page exists). -> (queryset, sort field)."""
    field = sort.lstrip("-")
    descending = sort.startswith("-")
    if field not in SORTS or sort.count("-") > 1:
        raise ValidationFailed.single(
            "sort",
            _("Sort by one of %(keys)s (prefix - for descending).") % {"keys": ", ".join(sorted(SORTS))},
        )
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed.single("limit", _("The limit is between 1 and %(max)d.") % {"max": MAX_PAGE})
    qs = _filtered(
        member,
        sessions_for(member),
        client_id=client_id,
        practitioner_id=practitioner_id,
        status=status,
        field_filters=field_filters,
    )
    if cursor:
        value, pk = _decode_cursor(cursor, field)
        op = "lt" if descending else "gt"
        qs = qs.filter(Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk}))
        # Redundant with the keyset predicate, but a plain bound the planner can start the index
        # scan at (PostgreSQL does not derive it from the OR): a deep page no longer reads and
        # discards every earlier session of the workspace.
        qs = qs.filter(**{f"{field}__{op}e": value})
    order = (f"-{field}", "-id") if descending else (field, "id")
    return qs.order_by(*order)[: limit + 1], field


def sessions_page(
    member: Membership,
    *,
    sort: str = "starts_at",
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
    client_id: int | None = None,
    practitioner_id: int | None = None,
    status: Iterable[str] | None = None,
    field_filters: Mapping[str, Any] | None = None,
) -> tuple[list[Session], str | None]:
    """One page of the list view, sorted by `sort` (then id), after `cursor`. -> (sessions, next cursor)."""
    qs, field = _page_queryset(
        member,
        sort=sort,
        cursor=cursor,
        limit=limit,
        client_id=client_id,
        practitioner_id=practitioner_id,
        status=status,
        field_filters=field_filters,
    )
    rows = list(qs)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor(getattr(last, field), last.pk)
    return rows, next_cursor


def sessions_page_rows(
    member: Membership,
    *,
    sort: str = "starts_at",
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
    client_id: int | None = None,
    practitioner_id: int | None = None,
    status: Iterable[str] | None = None,
    field_filters: Mapping[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """`sessions_page` read as rows for `serializers.session_rows_to_json` (no model instances: the
    API's list and client history). -> (rows, next cursor)."""
    qs, field = _page_queryset(
        member,
        sort=sort,
        cursor=cursor,
        limit=limit,
        client_id=client_id,
        practitioner_id=practitioner_id,
        status=status,
        field_filters=field_filters,
    )
    rows = session_rows(qs)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor(last[field], last["id"])
    return rows, next_cursor


def client_history(member: Membership, client_id: int) -> QuerySet[Session]:
    """A client's sessions in chronological order (404 for a client outside the workspace)."""
    qs = sessions_for(member)
    if not Client.objects.for_workspace(member.workspace).filter(pk=client_id).exists():
        raise NotFound(_("No such client."))
    return qs.filter(client_id=client_id).order_by("starts_at", "id")


def status_history(member: Membership, session_id: int) -> list[SessionStatusChange]:
    """The status changes of a session, oldest first, with who made them."""
    session = session_get_for(member, session_id)
    return list(
        SessionStatusChange.objects.for_workspace(member.workspace)
        .filter(session=session)
        .select_related("changed_by__user")
        .order_by("created_at", "id")
    )

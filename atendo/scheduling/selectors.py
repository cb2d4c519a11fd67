"""Reads of sessions, always scoped to the member's workspace and to `session.read`.

Staff without `session.read` see no session anywhere (403). Redaction of clinical content is the
serializer's job (`serializers._rows_to_json`); these return querysets or model instances with
everything the serializer needs already joined (or, for `sessions_page_rows`, rows read by
`serializers.session_rows`), so a page costs a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.clinical.access import readable_clients_q
from atendo.clinical.sealing import blind_index_filter
from atendo.core.errors import FieldError, NotFound, ValidationFailed
from atendo.core.pagination import DEFAULT_PAGE, MAX_PAGE, Keyset, check_limit
from atendo.core.times import parse_datetime
from atendo.fields import engine
from atendo.fields.models import FieldDefinition, Scope
from atendo.scheduling.checks import MAX_SPAN
from atendo.scheduling.models import Session, SessionStatus, SessionStatusChange
from atendo.scheduling.serializers import session_rows
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

MAX_RANGE = dt.timedelta(days=100)
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
        if definition.clinical:  # sealed at rest: matched by its blind index (`clinical.sealing`)
            column = crypto.SESSION_PHASES[definition.phase]
            qs = qs.filter(blind_index_filter(member.workspace_id, column, key, value))
        else:
            qs = qs.filter(**{f"{definition.phase}_fields__{key}": value})
        clinical_filter = clinical_filter or definition.clinical
    if clinical_filter:
        qs = qs.filter(readable_clients_q(member))
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
) -> tuple[QuerySet[Session], Keyset]:
    """The list query after `cursor`, ordered by `sort` then id, limited to `limit + 1` rows
    (one more tells whether a next page exists). -> (queryset, order)."""
    order = Keyset.parse(sort, SORTS)
    limit = check_limit(limit, maximum=MAX_PAGE)
    qs = _filtered(
        member,
        sessions_for(member),
        client_id=client_id,
        practitioner_id=practitioner_id,
        status=status,
        field_filters=field_filters,
    )
    return order.window(qs, cursor, limit), order


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
    qs, order = _page_queryset(
        member,
        sort=sort,
        cursor=cursor,
        limit=limit,
        client_id=client_id,
        practitioner_id=practitioner_id,
        status=status,
        field_filters=field_filters,
    )
    return order.cut(list(qs), limit)


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
    qs, order = _page_queryset(
        member,
        sort=sort,
        cursor=cursor,
        limit=limit,
        client_id=client_id,
        practitioner_id=practitioner_id,
        status=status,
        field_filters=field_filters,
    )
    return order.cut(session_rows(qs), limit)


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


def session_values_exist(definition: FieldDefinition) -> bool:
    """Does any session store a value under this session (phase) or therapy-type field's key? (For
    `fields.registry`: a definition in use may not change its type.)"""
    if definition.scope == Scope.SESSION:
        lookup: dict[str, Any] = {f"{definition.phase}_fields__has_key": definition.key}
    else:
        lookup = {"therapy_type_id": definition.therapy_type_id, "therapy_fields__has_key": definition.key}
    return Session.objects.filter(workspace_id=definition.workspace_id, **lookup).exists()


# Administrative columns only: a to-do item never reads clinical content (see `sessions_to_sign`).
TO_SIGN_COLUMNS = (
    "id",
    "client_id",
    "client__name",
    "practitioner_id",
    "practitioner__user__name",
    "practitioner__user__email",
    "therapy_type__name",
    "starts_at",
    "ends_at",
    "status",
)


def sessions_to_sign(member: Membership, practitioner_id: int | None, limit: int) -> list[dict[str, Any]]:
    """Notes waiting to be signed: completed sessions whose record is written (recorded, or with
    notes) and not signed yet, latest first, at most `limit` — of `practitioner_id` (the member's own:
    "waiting for my signature"), or of everyone (None, the owner's view of the practice). One query;
    the home's to-do item shape (ids, client, practitioner, therapy type, time, status)."""
    qs = sessions_for(member).filter(status=SessionStatus.COMPLETED, signed_at__isnull=True)
    qs = qs.filter(Q(recorded_at__isnull=False) | ~Q(notes=""))
    if practitioner_id is not None:
        qs = qs.filter(practitioner_id=practitioner_id)
    tz = member.workspace.tz
    return [
        {
            "session_id": r["id"],
            "client_id": r["client_id"],
            "client_name": r["client__name"],
            "practitioner_id": r["practitioner_id"],
            "practitioner_name": r["practitioner__user__name"] or r["practitioner__user__email"],
            "therapy_type_name": r["therapy_type__name"],
            "starts_at": r["starts_at"].astimezone(tz).isoformat(timespec="seconds"),
            "ends_at": r["ends_at"].astimezone(tz).isoformat(timespec="seconds"),
            "status": r["status"],
        }
        for r in qs.order_by("-starts_at", "-id").values(*TO_SIGN_COLUMNS)[:limit]
    ]


def video_room_of(member: Membership, practitioner_id: int | None) -> str:
    """The default video room of a practitioner of the member's workspace ("" for none, or for an
    id that is no active member here): what a new session with them is prefilled with."""
    if practitioner_id is None:
        return ""
    if practitioner_id == member.pk:
        return member.video_room_url
    room = (
        Membership.objects.for_workspace(member.workspace)
        .filter(pk=practitioner_id, is_active=True)
        .values_list("video_room_url", flat=True)
        .first()
    )
    return room or ""

"""Custom-field forms in the pages: render any definitions (nested too), parse the POST back into
the JSON values the field engine validates, and show its errors at the field.

Usage (a session phase; clients, evaluations and therapy types are the same)::

    from atendo.fields.forms import FieldValuesForm

    form = FieldValuesForm(
        member=request.member,
        definitions=engine.definitions_for(workspace=ws, scope="session", phase="pre"),
        prefix="fields.pre",              # input names and error paths start with it
        values=session.pre_fields,        # stored values (already redacted for this reader)
        can_write_clinical=True,          # False: clinical definitions are left out of the form
    )
    if request.method == "POST":
        values = form.parse(request.POST, request.FILES)   # uploads files and signatures
        try:
            form.raise_upload_errors()                       # a refused upload -> ValidationFailed
            session_save_phase(..., values=values)           # your service -> validate_values
        except ValidationFailed as exc:
            form.add_errors(exc)                             # shown at each field; re-render
    # in the template (the form needs enctype="multipart/form-data"):
    {% load fields %} {% render_fields form %}
    {% block scripts %}{% field_scripts %}{% endblock %}    # signature_pad + fields.js

Input names are the value paths (`fields.post.follow_up[2].date`), so an engine error path is
also the name of the input it belongs to. Array rows are added and removed in the browser
(`static/js/fields.js`); without JavaScript the form still shows the stored rows and one empty
row to fill. Signatures are drawn on a canvas (signature_pad) and posted as a PNG data URL, which
`parse` stores as a signature attachment; files and images are uploaded the same way.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext as _

from atendo.core.errors import DomainError, FieldError, ValidationFailed
from atendo.core.times import parse_datetime
from atendo.fields import registry
from atendo.fields.engine import Spec, join
from atendo.fields.models import FieldDefinition
from atendo.workspaces.models import Membership

SIGNATURE_PREFIX = "data:image/png;base64,"


class FieldValuesForm:
    """Definitions + values + errors of one set of custom fields, for rendering and parsing."""

    def __init__(
        self,
        *,
        member: Membership,
        definitions: Iterable[FieldDefinition],
        prefix: str = "fields",
        values: Mapping[str, Any] | None = None,
        can_write_clinical: bool = True,
    ):
        self.member = member
        self.prefix = prefix
        self.definitions = [
            d for d in definitions if not d.archived and (can_write_clinical or not d.clinical)
        ]
        self.specs = [Spec.from_definition(d) for d in self.definitions]
        self.clinical = {d.key: d.clinical for d in self.definitions}
        self.values: dict[str, Any] = dict(values or {})
        self.errors: dict[str, str] = {}
        self.upload_errors: list[FieldError] = []

    # --- errors ---------------------------------------------------------------------------------

    def add_errors(self, exc: DomainError) -> None:
        """Attach an engine/service error to the fields it names (the rest go to `non_field`)."""
        for error in exc.fields:
            self.errors.setdefault(error.path, error.message)
        if not exc.fields:
            self.errors.setdefault(self.prefix, exc.message)

    def raise_upload_errors(self) -> None:
        if self.upload_errors:
            raise ValidationFailed(self.upload_errors)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def errors_outside_fields(self) -> list[str]:
        """Errors whose path is not an input of this form (to show above it)."""
        paths = set(self._all_paths())
        return [m for p, m in self.errors.items() if p.startswith(self.prefix) and p not in paths]

    def _all_paths(self) -> Iterable[str]:
        for node in self.nodes():
            yield from _walk_paths(node)

    # --- parsing ----------------------------------------------------------------------------------

    def parse(self, data: Any, files: Any) -> dict[str, Any]:
        """The POST as JSON values keyed by field key (uploads stored as attachments)."""
        values: dict[str, Any] = {}
        for spec in self.specs:
            path = join(self.prefix, spec.key)
            values[spec.key] = self._parse(spec, path, data, files, self.clinical.get(spec.key, True))
        self.values = values
        return values

    def _parse(self, spec: Spec, name: str, data: Any, files: Any, clinical: bool) -> Any:
        t = spec.type
        if t == "object":
            return {c.key: self._parse(c, f"{name}.{c.key}", data, files, clinical) for c in spec.children}
        if t == "array":
            rows = []
            for index in _row_indexes(name, data, files):
                row = {
                    c.key: self._parse(c, f"{name}[{index}].{c.key}", data, files, clinical)
                    for c in spec.children
                }
                # A row left blank (like the spare row every form shows) is not an entry.
                if not _blank(row):
                    rows.append({k: v for k, v in row.items() if v is not None})
            return rows
        if t == "boolean":
            chosen = data.getlist(name)
            return bool(chosen) and chosen[-1] in ("true", "on", "1")
        if t == "multi_select":
            return [v for v in data.getlist(name) if v] if f"{name}__multi" in data else None
        if t in ("image", "file", "signature"):
            return self._parse_attachment(spec, name, data, files, clinical)
        raw = data.get(name)
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return None
        if t == "number":
            try:
                number = float(raw)
            except ValueError:
                return raw  # the engine says "must be a number" at this path
            return int(number) if number.is_integer() and "." not in raw else number
        if t == "team_member":
            return int(raw) if raw.isdigit() else raw
        return raw

    def _parse_attachment(self, spec: Spec, name: str, data: Any, files: Any, clinical: bool) -> Any:
        current = data.get(name) or ""
        current_id = int(current) if current.isdigit() else None
        upload = files.get(f"{name}__upload") if files is not None else None
        if upload is None and spec.type == "signature":
            drawn = data.get(f"{name}__data") or ""
            if drawn.startswith(SIGNATURE_PREFIX):
                try:
                    raw = base64.b64decode(drawn[len(SIGNATURE_PREFIX) :], validate=True)
                except (binascii.Error, ValueError):
                    self.upload_errors.append(
                        FieldError(name, _("The signature could not be read; sign again."))
                    )
                    return current_id
                if len(raw) > settings.ATTACHMENT_MAX_BYTES:
                    self.upload_errors.append(FieldError(name, _("The signature image is too large.")))
                    return current_id
                upload = SimpleUploadedFile("signature.png", raw, content_type="image/png")
        if upload is not None:
            try:
                return registry.attachments().upload(
                    member=self.member,
                    uploaded_file=upload,
                    kind=spec.type,
                    clinical=clinical,
                    allowed_types=spec.validation.get("allowed_types") or None,
                    max_bytes=spec.validation.get("max_bytes") or None,
                )
            except DomainError as exc:
                self.upload_errors.append(FieldError(name, exc.message))
                return current_id
        if data.get(f"{name}__clear"):
            return None
        return current_id

    # --- rendering --------------------------------------------------------------------------------

    def nodes(self) -> list[dict[str, Any]]:
        """The render tree of the form (cached): one node per input, nested for arrays/objects."""
        if getattr(self, "_nodes", None) is None:
            self._attachments: list[dict[str, Any]] = []
            self._needs_members = False
            self._nodes = [
                self._node(spec, join(self.prefix, spec.key), self.values.get(spec.key), 0)
                for spec in self.specs
            ]
            self._fill_lookups(self._nodes)
        return self._nodes

    def _node(self, spec: Spec, name: str, value: Any, depth: int) -> dict[str, Any]:
        node: dict[str, Any] = {
            "name": name,
            "id": "f-" + name.replace(".", "-").replace("[", "-").replace("]", ""),
            "key": spec.key,
            "label": spec.label,
            "description": spec.description,
            "type": spec.type,
            "required": spec.required,
            "error": self.errors.get(name),
            "validation": spec.validation,
            "value": value,
        }
        t = spec.type
        if t in ("select", "multi_select"):
            chosen = set(value if isinstance(value, list) else [value] if value is not None else [])
            node["options"] = [
                {"value": v, "label": label, "selected": v in chosen}
                for v, label, retired in spec.options
                if not retired or v in chosen
            ]
        elif t == "datetime" and isinstance(value, str):
            node["value"] = _local_input(value, self.member.workspace.tz)
        elif t == "boolean":
            node["value"] = value is True
        elif t == "team_member":
            self._needs_members = True
            node["options"] = []
        elif t in ("image", "file", "signature"):
            node["attachment"] = None
            if isinstance(value, int):
                self._attachments.append(node)
            if t == "image" or t == "file":
                allowed = spec.validation.get("allowed_types") or []
                node["accept"] = ",".join(allowed) if allowed else ("image/*" if t == "image" else "")
        elif t == "object":
            node["children"] = [
                self._node(
                    c,
                    f"{name}.{c.key}",
                    (value or {}).get(c.key) if isinstance(value, dict) else None,
                    depth + 1,
                )
                for c in spec.children
            ]
        elif t == "array":
            rows = value if isinstance(value, list) else []
            node["placeholder"] = f"__I{depth}__"
            node["rows"] = [
                {
                    "index": i,
                    "children": [
                        self._node(
                            c,
                            f"{name}[{i}].{c.key}",
                            row.get(c.key) if isinstance(row, dict) else None,
                            depth + 1,
                        )
                        for c in spec.children
                    ],
                }
                for i, row in enumerate(rows)
            ]
            spare = len(rows)  # one blank row to fill, also without JavaScript
            node["rows"].append(
                {
                    "index": spare,
                    "children": [
                        self._node(c, f"{name}[{spare}].{c.key}", None, depth + 1) for c in spec.children
                    ],
                }
            )
            placeholder = node["placeholder"]
            node["template"] = {
                "index": placeholder,
                "children": [
                    self._node(c, f"{name}[{placeholder}].{c.key}", None, depth + 1) for c in spec.children
                ],
            }
            node["row_error"] = self.errors.get(name)
        return node

    def _fill_lookups(self, tree: list[dict[str, Any]]) -> None:
        if self._attachments:
            # Only what this reader may open: a file's name is clinical content too.
            found = registry.attachments().facts(
                workspace_id=self.member.workspace_id,
                ids={n["value"] for n in self._attachments},
                reader=self.member,
            )
            slug = self.member.workspace.slug
            for node in self._attachments:
                attachment = found.get(node["value"])
                if attachment is not None:
                    node["attachment"] = {
                        "id": attachment.id,
                        "name": attachment.name,
                        "is_image": attachment.content_type.startswith("image/"),
                        "url": reverse(
                            "files:download", kwargs={"workspace_slug": slug, "attachment_id": attachment.id}
                        ),
                    }
        if self._needs_members:
            members = [
                {"value": m.pk, "label": m.user.display_name}
                for m in Membership.objects.for_workspace(self.member.workspace)
                .filter(is_active=True)
                .select_related("user")
                .order_by("user__name", "user__email")
            ]
            for node in _team_nodes(tree):
                chosen = node["value"]
                node["options"] = [{**m, "selected": m["value"] == chosen} for m in members]


def _blank(value: Any) -> bool:
    """Nothing filled in: empty text, an unticked box, no choice, or groups of those."""
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    return value is None or value is False or value == "" or value == []


def _team_nodes(nodes: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for node in nodes:
        if node["type"] == "team_member":
            yield node
        yield from _team_nodes(node.get("children") or [])
        for row in node.get("rows") or []:
            yield from _team_nodes(row["children"])
        if node.get("template"):
            yield from _team_nodes(node["template"]["children"])


def _walk_paths(node: dict[str, Any]) -> Iterable[str]:
    yield node["name"]
    for child in node.get("children") or []:
        yield from _walk_paths(child)
    for row in node.get("rows") or []:
        for child in row["children"]:
            yield from _walk_paths(child)


def _row_indexes(name: str, data: Any, files: Any) -> list[int]:
    """Row numbers present in the POST for array `name` (rows may have been removed: gaps)."""
    start = f"{name}["
    found: set[int] = set()
    keys = list(data.keys()) + (list(files.keys()) if files is not None else [])
    for key in keys:
        if key.startswith(start):
            number = key[len(start) :].split("]", 1)[0]
            if number.isdigit() and len(number) < 5:
                found.add(int(number))
    return sorted(found)


def _local_input(value: str, tz: Any) -> str:
    """A stored datetime value as a `datetime-local` input shows it: wall time of the workspace
    (a value that is not one is shown as it is, for the person to correct)."""
    try:
        moment = parse_datetime(value, tz, path="value")
    except ValidationFailed:
        return value
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")

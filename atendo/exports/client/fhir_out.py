"""The client record as a FHIR R4 `Bundle` (type `collection`), written entry by entry.

Resources (each validated with `fhir.resources` as it is written, so a file that does not validate
is never offered):

| Atendo                              | FHIR                                                        |
|-------------------------------------|-------------------------------------------------------------|
| the practice                        | `Organization`                                              |
| the client                          | `Patient` (identifier: the client's id in this practice)    |
| each practitioner the record names  | `Practitioner` + `PractitionerRole` (profession, registration) |
| each set of field definitions       | `Questionnaire` (client, session phases, evaluation, therapy types) |
| each session                        | `Appointment`; a completed one also an `Encounter`          |
| each phase's values, therapy fields, client fields, each evaluation | `QuestionnaireResponse`     |
| each number value                   | `Observation` (`valueQuantity`, derived from its response)  |
| notes and addenda                   | `DocumentReference` (LOINC 11506-3; addenda `relatesTo` appends) |
| each attachment                     | `DocumentReference` (`url`: its path in the ZIP export)     |
| what was withheld for this reader   | `OperationOutcome` (issues `suppressed`)                    |

The models are `fhir.resources.R4B`: the R4-family release the maintained (pydantic 2) versions of
`fhir.resources` carry; every element used here is the same in R4 (4.0.1) and R4B (4.3). Entries
are linked by `urn:uuid:` full URLs derived from the practice and the object (the same object has
the same URL in every export). Only what the reader may read is in it (the same `Record`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from atendo.exports.client.record import PARTS, Record, attachment_path
from atendo.fields.engine import Spec
from atendo.fields.models import FieldDefinition, Scope
from atendo.files.selectors import attachment_name

MODELS: dict[str, Any] = {
    m.__name__: m
    for m in (
        Appointment,
        DocumentReference,
        Encounter,
        Observation,
        OperationOutcome,
        Organization,
        Patient,
        Practitioner,
        PractitionerRole,
        Questionnaire,
        QuestionnaireResponse,
    )
}
ITEM_TYPES = {
    "text": "string",
    "textarea": "text",
    "number": "decimal",
    "boolean": "boolean",
    "date": "date",
    "datetime": "dateTime",
    "select": "choice",
    "multi_select": "choice",
    "image": "attachment",
    "file": "attachment",
    "signature": "attachment",
    "array": "group",
    "object": "group",
    "team_member": "reference",
}
APPOINTMENT_STATUS = {
    "scheduled": "booked",
    "in_progress": "checked-in",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def _instant(value: str | None) -> str | None:
    """An ISO datetime with offset, as FHIR's instant / dateTime (seconds, never naive)."""
    return dt.datetime.fromisoformat(value).isoformat(timespec="seconds") if value else None


class Bundle:
    """Writes the Bundle's entries as they come, each validated by its model."""

    def __init__(self, record: Record, out: IO[bytes]):
        self.record = record
        self.out = out
        self.slug = record.workspace.slug
        self.count = 0

    def url(self, kind: str, key: Any) -> str:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'atendo:{self.slug}:{kind}:{key}')}"

    def ref(self, kind: str, key: Any, display: str | None = None) -> dict[str, Any]:
        reference: dict[str, Any] = {"reference": self.url(kind, key)}
        if display:
            reference["display"] = display
        return reference

    def system(self, what: str) -> str:
        return f"urn:atendo:{self.slug}:{what}"

    def open(self) -> None:
        head = {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),
            "meta": {"lastUpdated": timezone.now().isoformat(timespec="seconds")},
            "type": "collection",
            "timestamp": timezone.now().isoformat(timespec="seconds"),
        }
        text = json.dumps(head, ensure_ascii=False)
        self.out.write(text[:-1].encode() + b',"entry":[')

    def add(self, kind: str, key: Any, resource: dict[str, Any]) -> str:
        resource = {k: v for k, v in resource.items() if v not in (None, [], {}, "")}
        full_url = self.url(kind, key)
        # The id is the uuid of the full URL: FHIR ids allow only [A-Za-z0-9-.] (a field key's "_"
        # would not do) and up to 64 characters.
        resource["id"] = full_url.removeprefix("urn:uuid:")
        MODELS[resource["resourceType"]].model_validate(resource)
        entry = {"fullUrl": full_url, "resource": resource}
        self.out.write(
            (b"\n" if self.count == 0 else b",\n") + json.dumps(entry, ensure_ascii=False).encode()
        )
        self.count += 1
        return str(entry["fullUrl"])

    def close(self) -> None:
        self.out.write(b"\n]}\n")


class Answers:
    """Field values as QuestionnaireResponse items (and the numbers among them, for Observations)."""

    def __init__(self, bundle: Bundle, record: Record, practitioner_ids: set[int]):
        self.bundle = bundle
        self.record = record
        self.practitioners = practitioner_ids
        self.names = record.member_names()
        self.files = {a.pk: a for a in record.attachments()}

    def coding(self, spec: Spec, value: Any) -> dict[str, Any]:
        labels = {v: label for v, label, _retired in spec.options}
        return {
            "system": self.bundle.system(f"field:{spec.key}"),
            "code": str(value),
            "display": labels.get(str(value), str(value)),
        }

    def answer(self, spec: Spec | None, value: Any) -> list[dict[str, Any]]:
        kind = spec.type if spec else ""
        if value is None or value == "" or value == []:
            return []
        if spec is not None and kind in ("select", "multi_select"):
            return [
                {"valueCoding": self.coding(spec, v)} for v in (value if isinstance(value, list) else [value])
            ]
        if kind == "boolean" or isinstance(value, bool):
            return [{"valueBoolean": bool(value)}]
        if kind == "number" and isinstance(value, int | float):
            return [{"valueDecimal": value}]
        if kind == "date" and isinstance(value, str):
            return [{"valueDate": value[:10]}]
        if kind == "datetime" and isinstance(value, str):
            return [{"valueDateTime": _instant(value)}]
        if kind == "team_member" and isinstance(value, int):
            name = self.names.get(value, f"#{value}")
            if value in self.practitioners:
                return [{"valueReference": self.bundle.ref("Practitioner", value, name)}]
            return [{"valueReference": {"display": name}}]
        if kind in ("image", "file", "signature"):
            out = []
            for file_id in value if isinstance(value, list) else [value]:
                attachment = self.files.get(file_id) if isinstance(file_id, int) else None
                if attachment is None:
                    continue  # not one this reader may open
                out.append(
                    {
                        "valueAttachment": {
                            "contentType": attachment.content_type,
                            "url": attachment_path(attachment),
                            "title": attachment_name(attachment),
                            "size": attachment.size,
                        }
                    }
                )
            return out
        if isinstance(value, dict | list):
            return [{"valueString": json.dumps(value, ensure_ascii=False)}]
        return [{"valueString": str(value)}]

    def items(
        self,
        specs: Mapping[str, Spec],
        values: Mapping[str, Any],
        prefix: str,
        numbers: list[tuple[str, Spec, Any]],
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for key, value in values.items():
            spec = specs.get(key)
            link = f"{prefix}{key}"
            text = spec.label if spec else key
            if spec is not None and spec.type == "object" and isinstance(value, dict):
                children = {c.key: c for c in spec.children}
                nested = self.items(children, value, f"{link}.", numbers)
                if nested:
                    out.append({"linkId": link, "text": text, "item": nested})
            elif spec is not None and spec.type == "array" and isinstance(value, list):
                children = {c.key: c for c in spec.children}
                for entry in value:
                    nested = (
                        self.items(children, entry, f"{link}.", numbers) if isinstance(entry, dict) else []
                    )
                    if nested:
                        out.append({"linkId": link, "text": text, "item": nested})
            else:
                answers = self.answer(spec, value)
                if answers:
                    out.append({"linkId": link, "text": text, "answer": answers})
                if (
                    spec is not None
                    and spec.type == "number"
                    and isinstance(value, int | float)
                    and not isinstance(value, bool)
                ):
                    numbers.append((link, spec, value))
        return out


def _question(spec: Spec, prefix: str) -> dict[str, Any]:
    link = f"{prefix}{spec.key}"
    item: dict[str, Any] = {"linkId": link, "text": spec.label, "type": ITEM_TYPES.get(spec.type, "string")}
    if spec.required:
        item["required"] = True
    if spec.type in ("multi_select", "array"):
        item["repeats"] = True
    if spec.type in ("select", "multi_select"):
        item["answerOption"] = [
            {"valueCoding": {"code": v, "display": label}}
            for v, label, retired in spec.options
            if not retired
        ]
    if spec.type in ("object", "array"):
        item["item"] = [_question(child, f"{link}.") for child in spec.children] or [
            {"linkId": f"{link}.value", "text": spec.label, "type": "string"}
        ]
    return item


def _questionnaire(bundle: Bundle, name: str, title: str, definitions: Iterable[FieldDefinition]) -> str:
    specs = [Spec.from_definition(d) for d in definitions]
    items = [_question(s, "") for s in specs] or [
        {"linkId": "none", "text": _("No fields"), "type": "display"}
    ]
    canonical = bundle.system(f"questionnaire:{name}")
    bundle.add(
        "Questionnaire",
        name,
        {
            "resourceType": "Questionnaire",
            "url": canonical,
            "title": title,
            "status": "active",
            "subjectType": ["Patient"],
            "item": items,
        },
    )
    return canonical


def write(record: Record, out: IO[bytes]) -> None:
    bundle = Bundle(record, out)
    workspace = record.workspace
    client = record.client_json()
    cid = client["id"]
    patient = bundle.ref("Patient", cid, client["name"])
    bundle.open()
    bundle.add(
        "Organization", "practice", {"resourceType": "Organization", "name": workspace.name, "active": True}
    )
    organization = bundle.ref("Organization", "practice", workspace.name)

    practitioners = record.practitioners()
    practitioner_ids = {m.pk for m in practitioners}
    for m in practitioners:
        identifiers = [{"system": bundle.system("member"), "value": str(m.pk)}]
        if m.registration:
            identifiers.append({"system": bundle.system("registration"), "value": m.registration})
        bundle.add(
            "Practitioner",
            m.pk,
            {
                "resourceType": "Practitioner",
                "identifier": identifiers,
                "active": m.is_active,
                "name": [{"text": m.display_name}],
                "telecom": [{"system": "email", "value": m.user.email}],
            },
        )
        bundle.add(
            "PractitionerRole",
            m.pk,
            {
                "resourceType": "PractitionerRole",
                "active": m.is_active,
                "practitioner": bundle.ref("Practitioner", m.pk, m.display_name),
                "organization": organization,
                "code": [{"text": m.profession or m.role.name}],
            },
        )
    telecom = [{"system": "email", "value": client["email"]}] if client.get("email") else []
    if client.get("phone"):
        telecom.append({"system": "phone", "value": client["phone"]})
    bundle.add(
        "Patient",
        cid,
        {
            "resourceType": "Patient",
            "identifier": [{"system": bundle.system("client"), "value": str(cid)}],
            "active": not client.get("archived"),
            "name": [{"text": client["name"]}],
            "telecom": telecom,
            "birthDate": client.get("birth_date"),
            "managingOrganization": organization,
            "generalPractitioner": [
                bundle.ref("Practitioner", i, None)
                for i in client["practitioner_ids"]
                if i in practitioner_ids
            ],
        },
    )

    # The forms: one Questionnaire per set of definitions.
    definitions = record.definitions()
    sets: dict[str, list[FieldDefinition]] = {}
    for d in definitions:
        if d.scope == Scope.THERAPY_TYPE:
            sets.setdefault(f"therapy-type-{d.therapy_type_id}", []).append(d)
        elif d.scope == Scope.SESSION:
            sets.setdefault(f"session-{d.phase}", []).append(d)
        else:
            sets.setdefault(str(d.scope), []).append(d)
    titles = {
        "client": _("Client fields"),
        "session-pre": _("Before the session"),
        "session-during": _("During the session"),
        "session-post": _("After the session"),
        "evaluation": _("Evaluation"),
    }
    therapy_names = {t["id"]: t["name"] for t in record.therapy_types()}
    canonicals: dict[str, str] = {}
    specs: dict[str, dict[str, Spec]] = {}
    for name, group in sets.items():
        title = titles.get(name) or therapy_names.get(group[0].therapy_type_id, name)
        canonicals[name] = _questionnaire(bundle, name, str(title), group)
        specs[name] = {d.key: Spec.from_definition(d) for d in group}
    answers = Answers(bundle, record, practitioner_ids)

    def response(
        key: str,
        set_name: str,
        values: Mapping[str, Any],
        *,
        when: str | None,
        author: int | None,
        encounter: dict[str, Any] | None,
        effective: str | None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        numbers: list[tuple[str, Spec, Any]] = []
        items = answers.items(specs.get(set_name, {}), values, "", numbers)
        if not items:
            return
        body: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse",
            "questionnaire": canonicals.get(set_name) or bundle.system(f"questionnaire:{set_name}"),
            "status": "completed",
            "subject": patient,
            "encounter": encounter,
            "authored": when,
            "author": bundle.ref("Practitioner", author) if author in practitioner_ids else None,
            "item": items,
            **(extra or {}),
        }
        url = bundle.add("QuestionnaireResponse", key, body)
        for link, spec, value in numbers:
            bundle.add(
                "Observation",
                f"{key}-{link}",
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {
                        "coding": [
                            {
                                "system": bundle.system("field"),
                                "code": f"{set_name}.{link}",
                                "display": spec.label,
                            }
                        ],
                        "text": spec.label,
                    },
                    "subject": patient,
                    "encounter": encounter,
                    "effectiveDateTime": effective,
                    "valueQuantity": {"value": value},
                    "derivedFrom": [{"reference": url}],
                },
            )

    if client.get("fields"):
        response("client", "client", client["fields"], when=None, author=None, encounter=None, effective=None)

    for s in record.sessions():
        sid = s["id"]
        start, end = _instant(s["starts_at"]), _instant(s["ends_at"])
        participants = [{"actor": patient, "status": "accepted"}]
        if s["practitioner_id"] in practitioner_ids:
            participants.append(
                {
                    "actor": bundle.ref("Practitioner", s["practitioner_id"], s["practitioner_name"]),
                    "status": "accepted",
                }
            )
        appointment = {
            "resourceType": "Appointment",
            "status": APPOINTMENT_STATUS.get(s["status"], "booked"),
            "serviceType": [{"text": s["therapy_type_name"]}] if s.get("therapy_type_name") else None,
            "description": s["name"],
            "start": start,
            "end": end,
            "minutesDuration": s["duration_minutes"],
            "comment": s.get("admin_notes") or None,
            "participant": participants,
            "created": _instant(s["created_at"]),
        }
        if s.get("cancellation"):
            appointment["cancelationReason"] = {"text": s["cancellation"].get("reason") or _("Cancelled")}
        bundle.add("Appointment", sid, appointment)
        encounter = None
        if s["status"] == "completed":
            minutes = s.get("actual_duration_minutes") or s["duration_minutes"]
            started = dt.datetime.fromisoformat(s["starts_at"])
            bundle.add(
                "Encounter",
                sid,
                {
                    "resourceType": "Encounter",
                    "status": "finished",
                    "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
                    "serviceType": {"text": s["therapy_type_name"]} if s.get("therapy_type_name") else None,
                    "subject": patient,
                    "participant": [
                        {
                            "individual": bundle.ref(
                                "Practitioner", s["practitioner_id"], s["practitioner_name"]
                            )
                        }
                    ]
                    if s["practitioner_id"] in practitioner_ids
                    else None,
                    "appointment": [bundle.ref("Appointment", sid)],
                    "period": {
                        "start": start,
                        "end": (started + dt.timedelta(minutes=minutes)).isoformat(timespec="seconds"),
                    },
                    "length": {"value": minutes, "unit": "min", "system": UCUM, "code": "min"},
                    "serviceProvider": organization,
                },
            )
            encounter = bundle.ref("Encounter", sid)
        for phase in ("pre", "during", "post"):
            values = (s.get("fields") or {}).get(phase) or {}
            if values:
                response(
                    f"session-{sid}-{phase}",
                    f"session-{phase}",
                    values,
                    when=_instant(s["updated_at"]),
                    author=s["practitioner_id"],
                    encounter=encounter,
                    effective=start,
                )
        if s.get("therapy_fields") and s.get("therapy_type_id"):
            response(
                f"session-{sid}-therapy",
                f"therapy-type-{s['therapy_type_id']}",
                s["therapy_fields"],
                when=_instant(s["updated_at"]),
                author=s["practitioner_id"],
                encounter=encounter,
                effective=start,
            )
        context = {"encounter": [encounter]} if encounter else {"period": {"start": start, "end": end}}
        if s.get("notes"):
            signed = bool(s.get("signed_at"))
            note = {
                "resourceType": "DocumentReference",
                "status": "current",
                "docStatus": "final" if signed else "preliminary",
                "type": {"coding": [{"system": LOINC, "code": "11506-3", "display": "Progress note"}]},
                "subject": patient,
                "date": _instant(s["updated_at"]),
                "author": [bundle.ref("Practitioner", s["practitioner_id"])]
                if s["practitioner_id"] in practitioner_ids
                else None,
                "authenticator": bundle.ref("Practitioner", s["signed_by"])
                if signed and s.get("signed_by") in practitioner_ids
                else None,
                "description": _("Session notes"),
                "content": [
                    {
                        "attachment": {
                            "contentType": "text/plain; charset=utf-8",
                            "data": base64.b64encode(s["notes"].encode()).decode(),
                            "title": _("Notes"),
                            "creation": _instant(s["updated_at"]),
                        }
                    }
                ],
                "context": context,
            }
            bundle.add("DocumentReference", f"notes-{sid}", note)
            for addendum in s.get("addenda") or []:
                bundle.add(
                    "DocumentReference",
                    f"addendum-{addendum['id']}",
                    {
                        "resourceType": "DocumentReference",
                        "status": "current",
                        "docStatus": "final",
                        "type": {
                            "coding": [{"system": LOINC, "code": "11506-3", "display": "Progress note"}]
                        },
                        "subject": patient,
                        "date": _instant(addendum["created_at"]),
                        "author": [bundle.ref("Practitioner", addendum["author_id"])]
                        if addendum["author_id"] in practitioner_ids
                        else None,
                        "description": _("Addendum"),
                        "relatesTo": [
                            {"code": "appends", "target": bundle.ref("DocumentReference", f"notes-{sid}")}
                        ],
                        "content": [
                            {
                                "attachment": {
                                    "contentType": "text/plain; charset=utf-8",
                                    "data": base64.b64encode(addendum["text"].encode()).decode(),
                                    "creation": _instant(addendum["created_at"]),
                                }
                            }
                        ],
                        "context": context,
                    },
                )

    for e in record.evaluations():
        response(
            f"evaluation-{e['id']}",
            "evaluation",
            e.get("values") or {},
            when=_instant(e["updated_at"]),
            author=e.get("performed_by_id"),
            encounter=None,
            effective=e["date"],
            extra={"identifier": {"system": bundle.system("evaluation"), "value": str(e["id"])}},
        )

    for a in record.attachments():
        session = a.session
        bundle.add(
            "DocumentReference",
            f"attachment-{a.pk}",
            {
                "resourceType": "DocumentReference",
                "status": "current",
                "type": {"text": a.kind},
                "subject": patient,
                "date": a.created_at.isoformat(timespec="seconds"),
                "description": attachment_name(a),
                "securityLabel": [{"text": _("clinical")}] if a.clinical else None,
                "content": [
                    {
                        "attachment": {
                            "contentType": a.content_type,
                            "url": attachment_path(a),
                            "size": a.size,
                            "title": attachment_name(a),
                            "creation": a.created_at.isoformat(timespec="seconds"),
                        }
                    }
                ],
                "context": {"encounter": [bundle.ref("Encounter", session.pk)]}
                if session is not None and session.status == "completed" and record.sees_sessions
                else None,
            },
        )

    if record.withheld:
        bundle.add(
            "OperationOutcome",
            "withheld",
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "information",
                        "code": "suppressed",
                        "details": {
                            "coding": [{"system": bundle.system("withheld"), "code": code}],
                            "text": str(PARTS.get(code, code)),
                        },
                    }
                    for code in sorted(record.withheld)
                ],
            },
        )
    bundle.close()

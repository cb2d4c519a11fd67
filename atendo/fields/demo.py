"""Demo field definitions: client fields, session fields per phase, evaluation fields."""

from __future__ import annotations

from typing import Any

from atendo.fields.services import field_create

CLIENT_FIELDS: list[dict[str, Any]] = [
    {
        "key": "referral",
        "label": "Como nos conheceu",
        "type": "select",
        "clinical": False,
        "filterable": True,
        "options": [
            {"value": "friend", "label": "Indicação de amigo"},
            {"value": "instagram", "label": "Instagram"},
            {"value": "google", "label": "Google"},
            {"value": "doctor", "label": "Encaminhamento médico"},
        ],
    },
    {"key": "occupation", "label": "Profissão", "type": "text", "clinical": False},
    {"key": "main_complaint", "label": "Queixa principal", "type": "textarea"},
    {"key": "medications", "label": "Medicamentos em uso", "type": "textarea"},
    {
        "key": "emergency_contacts",
        "label": "Contatos de emergência",
        "type": "array",
        "clinical": False,
        "fields": [
            {"key": "name", "label": "Nome", "type": "text", "required": True},
            {"key": "phone", "label": "Telefone", "type": "text"},
            {"key": "relation", "label": "Parentesco", "type": "text"},
        ],
    },
    {"key": "consent_signature", "label": "Assinatura do termo de consentimento", "type": "signature"},
]

SESSION_FIELDS: dict[str, list[dict[str, Any]]] = {
    "pre": [
        {
            "key": "mood_before",
            "label": "Humor antes da sessão",
            "type": "select",
            "filterable": True,
            "options": [
                {"value": "good", "label": "Bem"},
                {"value": "neutral", "label": "Neutro"},
                {"value": "low", "label": "Para baixo"},
                {"value": "anxious", "label": "Ansioso"},
            ],
        },
        {"key": "intention", "label": "Intenção para a sessão", "type": "text"},
        {"key": "room", "label": "Sala", "type": "text", "clinical": False, "filterable": True},
    ],
    "during": [
        {"key": "observations", "label": "Observações", "type": "textarea"},
        {
            "key": "intensity",
            "label": "Intensidade (0–10)",
            "type": "number",
            "validation": {"min": 0, "max": 10},
        },
    ],
    "post": [
        {
            "key": "follow_up",
            "label": "Próximos passos",
            "type": "array",
            "fields": [
                {"key": "date", "label": "Data", "type": "date", "required": True},
                {
                    "key": "kind",
                    "label": "Tipo",
                    "type": "select",
                    "options": [
                        {"value": "call", "label": "Ligação"},
                        {"value": "session", "label": "Sessão"},
                        {"value": "exercise", "label": "Exercício"},
                    ],
                },
                {"key": "note", "label": "Nota", "type": "text"},
            ],
        },
        {"key": "homework", "label": "Tarefa de casa", "type": "textarea"},
    ],
}

EVALUATION_FIELDS: list[dict[str, Any]] = [
    {
        "key": "anxiety_score",
        "label": "Escala de ansiedade (0–21)",
        "type": "number",
        "validation": {"min": 0, "max": 21},
    },
    {
        "key": "sleep_quality",
        "label": "Qualidade do sono",
        "type": "select",
        "options": [
            {"value": "good", "label": "Boa"},
            {"value": "fair", "label": "Regular"},
            {"value": "poor", "label": "Ruim"},
        ],
    },
    {"key": "summary", "label": "Síntese da avaliação", "type": "textarea"},
]


def seed(ctx: dict[str, Any]) -> None:
    owner = ctx["owner"]
    created: dict[str, list[Any]] = {"client": [], "session": [], "evaluation": []}
    for data in CLIENT_FIELDS:
        created["client"].append(field_create(member=owner, scope="client", data=dict(data)))
    for phase, fields in SESSION_FIELDS.items():
        for data in fields:
            created["session"].append(
                field_create(member=owner, scope="session", phase=phase, data=dict(data))
            )
    for data in EVALUATION_FIELDS:
        created["evaluation"].append(field_create(member=owner, scope="evaluation", data=dict(data)))
    ctx["field_definitions"] = created

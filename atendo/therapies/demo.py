"""Demo therapy types (prices in BRL) and their own fields."""

from __future__ import annotations

from typing import Any

from atendo.fields.services import field_create
from atendo.therapies.services import therapy_type_create

TYPES: list[dict[str, Any]] = [
    {
        "data": {
            "name": "Reiki",
            "color": "#8e6bbf",
            "default_duration_minutes": 60,
            "default_price": "150.00",
        },
        "fields": [
            {
                "key": "chakras",
                "label": "Chakras trabalhados",
                "type": "multi_select",
                "options": [
                    {"value": "root", "label": "Raiz"},
                    {"value": "sacral", "label": "Sacral"},
                    {"value": "solar_plexus", "label": "Plexo solar"},
                    {"value": "heart", "label": "Cardíaco"},
                    {"value": "throat", "label": "Laríngeo"},
                    {"value": "third_eye", "label": "Frontal"},
                    {"value": "crown", "label": "Coronário"},
                ],
            },
            {"key": "sensations", "label": "Sensações percebidas", "type": "textarea"},
        ],
    },
    {
        "data": {
            "name": "Constelação Familiar",
            "color": "#d9822b",
            "default_duration_minutes": 90,
            "default_price": "280.00",
        },
        "fields": [
            {"key": "theme", "label": "Tema da constelação", "type": "text", "required": True},
            {"key": "dynamics", "label": "Dinâmicas observadas", "type": "textarea"},
        ],
    },
    {
        "data": {
            "name": "Access Bars",
            "color": "#2f9e8f",
            "default_duration_minutes": 60,
            "default_price": "180.00",
        },
        "fields": [
            {
                "key": "bars",
                "label": "Barras ativadas",
                "type": "multi_select",
                "options": [
                    {"value": "money", "label": "Dinheiro"},
                    {"value": "control", "label": "Controle"},
                    {"value": "communication", "label": "Comunicação"},
                    {"value": "body", "label": "Corpo"},
                    {"value": "healing", "label": "Cura"},
                    {"value": "joy", "label": "Alegria"},
                ],
            },
            {"key": "reactions", "label": "Reações do paciente", "type": "textarea"},
        ],
    },
    {
        "data": {
            "name": "Psicoterapia",
            "color": "#3f6fb5",
            "default_duration_minutes": 50,
            "default_price": "200.00",
        },
        "fields": [{"key": "approach", "label": "Abordagem", "type": "text"}],
    },
]


def seed(ctx: dict[str, Any]) -> None:
    owner = ctx["owner"]
    created = []
    for spec in TYPES:
        tt = therapy_type_create(member=owner, data=dict(spec["data"]))
        for field in spec["fields"]:
            field_create(member=owner, scope="therapy_type", therapy_type_id=tt.pk, data=dict(field))
        created.append(tt)
    ctx["therapy_types"] = created  # a list, in the order above
    ctx["therapy_types_by_name"] = {tt.name: tt for tt in created}

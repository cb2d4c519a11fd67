"""Demo clients (Brazilian names) with custom field values, assigned to the demo therapist."""

from __future__ import annotations

from typing import Any

from atendo.clients.services import client_create

CLIENTS: list[dict[str, Any]] = [
    {
        "name": "Ana Beatriz Souza",
        "email": "ana.souza@example.com",
        "phone": "+55 11 98765-4321",
        "birth_date": "1988-04-12",
        "fields": {
            "referral": "instagram",
            "occupation": "Arquiteta",
            "main_complaint": "Ansiedade no trabalho e dificuldade para dormir.",
            "emergency_contacts": [
                {"name": "Marcos Souza", "phone": "+55 11 91234-5678", "relation": "Marido"}
            ],
        },
    },
    {
        "name": "Bruno Carvalho",
        "email": "bruno.carvalho@example.com",
        "phone": "+55 21 99876-1234",
        "birth_date": "1979-11-03",
        "fields": {
            "referral": "friend",
            "occupation": "Professor",
            "main_complaint": "Luto recente; busca Constelação Familiar.",
            "medications": "Nenhum.",
        },
    },
    {
        "name": "Camila Ribeiro",
        "email": "camila.ribeiro@example.com",
        "phone": "+55 31 98888-0001",
        "birth_date": "1995-02-27",
        "fields": {
            "referral": "google",
            "occupation": "Enfermeira",
            "main_complaint": "Estresse e tensão muscular.",
        },
    },
    {
        "name": "Diego Fernandes",
        "email": "diego.fernandes@example.com",
        "phone": "+55 41 97777-2222",
        "birth_date": "1990-07-19",
        "fields": {"referral": "doctor", "occupation": "Engenheiro de software"},
        "unassigned": True,
    },
    {
        "name": "Eduarda Lima",
        "email": "eduarda.lima@example.com",
        "phone": "+55 51 96666-3333",
        "birth_date": "2001-09-08",
        "fields": {"referral": "instagram", "occupation": "Estudante", "main_complaint": "Autoconhecimento."},
    },
    {
        "name": "Felipe Almeida",
        "email": "felipe.almeida@example.com",
        "phone": "+55 61 95555-4444",
        "birth_date": "1984-12-01",
        "fields": {"referral": "friend", "occupation": "Advogado"},
        "unassigned": True,
    },
]


def seed(ctx: dict[str, Any]) -> None:
    owner, therapist = ctx["owner"], ctx["therapist"]
    clients = []
    for spec in CLIENTS:
        data = {k: v for k, v in spec.items() if k != "unassigned"}
        data["practitioner_ids"] = [] if spec.get("unassigned") else [therapist.pk]
        clients.append(client_create(member=owner, data=data))
    ctx["clients"] = clients

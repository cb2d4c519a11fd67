"""A committed test corpus: the notes of two clients, one in Brazilian Portuguese, one in English.

Written for these tests (no real person). What the tests expect to find in it:
- recurring themes: sleep ("sono", "dormir", "dormiu" — by lemma), anxiety at work ("ansiedade",
  "trabalho") and the mother ("mãe") for Marina; sleep, panic attacks and running for Daniel;
- a post-session scale field `anxiety` falling from 8 to 3 over the sessions;
- homework in the post phase and a follow-up date after the last session;
- one session left unpaid (pending), the others paid;
- a cancelled session and a no-show among the sessions.
"""

from __future__ import annotations

# (days after the first session, status, notes, anxiety 0–10, homework)
MARINA = [
    (
        0,
        "completed",
        "Primeira sessão. Marina relata insônia há três meses: demora mais de uma hora para pegar no "
        "sono e acorda várias vezes durante a noite. A ansiedade no trabalho piorou desde que mudou de "
        "equipe. Conta que a mãe liga todos os dias cobrando visitas. Combinamos um diário do sono.",
        8,
        "Preencher o diário do sono todas as noites.",
    ),
    (
        7,
        "completed",
        "Trouxe o diário do sono preenchido. Dormiu em média cinco horas por noite. A ansiedade no "
        "trabalho aparece sobretudo antes das reuniões de segunda-feira. Exploramos pensamentos "
        "automáticos sobre ser demitida. Técnica de respiração diafragmática ensinada na sessão.",
        8,
        "Praticar a respiração diafragmática duas vezes ao dia.",
    ),
    (14, "cancelled", "", None, ""),
    (
        21,
        "completed",
        "Relata que a respiração ajudou a dormir mais rápido em três noites. A relação com a mãe "
        "voltou a ser tema: sente culpa quando não atende as ligações. Trabalhamos limites na "
        "comunicação com a família. A ansiedade no trabalho diminuiu um pouco.",
        7,
        "Escrever uma carta para a mãe, sem enviar.",
    ),
    (
        28,
        "completed",
        "Semana difícil: prazo apertado no trabalho e voltou a dormir mal. Ansiedade alta na "
        "quarta-feira, com taquicardia. Revisamos a higiene do sono e o uso do celular na cama. "
        "Marina percebe o padrão entre cobrança no trabalho e insônia.",
        6,
        "Desligar o celular às 22h.",
    ),
    (35, "no_show", "", None, ""),
    (
        42,
        "completed",
        "Conseguiu desligar o celular antes de dormir na maior parte das noites. Dorme cerca de seis "
        "horas e meia. Conversou com a gestora sobre a carga de trabalho, o que reduziu a ansiedade. "
        "Leu a carta para a mãe na sessão e chorou.",
        5,
        "Manter o horário fixo para dormir.",
    ),
    (
        49,
        "completed",
        "Relata sono mais regular e menos despertares. A mãe reagiu bem quando Marina propôs visitas "
        "aos domingos. No trabalho, sente-se mais segura para dizer não. Ansiedade leve, sem crises "
        "nesta semana.",
        4,
        "Registrar situações em que conseguiu dizer não.",
    ),
    (
        56,
        "completed",
        "Marina chegou animada: dormiu bem a semana toda e voltou a caminhar no parque. A ansiedade "
        "no trabalho está sob controle. Discutimos a possibilidade de espaçar as sessões para "
        "quinzenais. Retomar o tema da mãe se as cobranças voltarem.",
        3,
        "Caminhar três vezes por semana.",
    ),
]

DANIEL = [
    (
        0,
        "completed",
        "Intake session. Daniel describes panic attacks on the subway, the first one two months ago. "
        "He sleeps badly, about four hours a night, and wakes up with his heart racing. He used to run "
        "every morning but stopped after the first panic attack. We agreed on psychoeducation about "
        "panic.",
        8,
        "Read the leaflet about panic attacks.",
    ),
    (
        7,
        "completed",
        "Daniel read the leaflet and recognised the cycle of catastrophic thoughts. Two panic attacks "
        "this week, both on the subway. Sleep is still poor. We practised slow breathing and planned "
        "a first short run on Saturday.",
        7,
        "Go for a ten-minute run on Saturday.",
    ),
    (
        14,
        "completed",
        "He ran twice, ten minutes each, and felt proud. One mild panic attack, which he rode out "
        "with slow breathing. He is sleeping a little better, about five hours. We started graded "
        "exposure: one subway stop with a friend.",
        6,
        "Ride one subway stop twice this week.",
    ),
    (21, "cancelled", "", None, ""),
    (
        28,
        "completed",
        "Exposure went well: three subway stops alone without a panic attack. Sleep improved to six "
        "hours on most nights. Running three times a week now. Some worry about a work trip next "
        "month.",
        4,
        "Plan the work trip step by step.",
    ),
    (
        35,
        "completed",
        "No panic attacks for two weeks. Daniel sleeps well and runs every other morning. He took the "
        "subway to work every day. We prepared a relapse-prevention plan for the work trip.",
        3,
        "Keep the relapse-prevention plan in his wallet.",
    ),
]

THEMES = {
    "marina": {"sono", "ansiedade", "trabalho", "mãe"},
    "daniel": {"panic", "sleep", "run", "subway"},
}

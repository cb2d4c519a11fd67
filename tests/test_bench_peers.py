"""The benchmark's pure parts (issue 17): the peers' ratios, the calibration loop and the report's
Peers section, calibration header and JSON keys, from a fake run. Nothing is installed or timed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import peers, report
from bench.run import calibration_work


def ours(case: str, p50: float) -> dict[str, Any]:
    return {
        "case": case,
        "database": "sqlite",
        "p50_ms": p50,
        "p95_ms": p50 * 2,
        "floor_p50_ms": None,
        "floor_p95_ms": None,
        "ratio": None,
        "queries": 3,
        "reps": 30,
    }


def peer_lines(times: list[float], *, queries: int = 1148, rows: int = 150) -> list[dict[str, Any]]:
    return [{"rep": 0, "queries": queries, "ms": times[0], "rows": rows}] + [
        {"rep": i, "ms": ms, "rows": rows} for i, ms in enumerate(times[1:], start=1)
    ]


def fake_peers() -> dict[str, Any]:
    month = peers.summarize(
        "scheduler_month_practitioner",
        peer_lines([800.0, 700.0, 750.0, 710.0]),
        reps=3,
        cap_s=120,
        capped=False,
    )
    week = peers.summarize("scheduler_week_workspace", [], reps=3, cap_s=120, capped=True)
    slots = peers.summarize(
        "appointment_slots_week_all",
        peer_lines([3000.0, 2700.0], queries=3977),
        reps=3,
        cap_s=120,
        capped=True,
    )
    results = [month, week, slots]
    return {
        "versions": {"django-scheduler": "0.12.0", "django-appointment": "3.12.0", "Django": "5.2.19"},
        "loaded": {"practitioners": 50, "events": 45000, "appointments": 40789, "seconds": 8.0},
        "reps": 3,
        "cap_s": 120.0,
        "results": results,
        "ratios": peers.ratios(
            results,
            [
                ours("month_practitioner", 140.0),
                ours("week_workspace", 300.0),
                ours("availability_week_all", 900.0),
            ],
        ),
    }


def test_summarize_leaves_out_the_warmup():
    result = peers.summarize(
        "scheduler_month_practitioner",
        peer_lines([900.0, 100.0, 300.0, 200.0]),
        reps=3,
        cap_s=120,
        capped=False,
    )
    assert result["p50_ms"] == 200.0
    assert result["reps"] == 3
    assert result["queries"] == 1148
    assert result["warmup_ms"] == 900.0
    assert (result["peer"], result["ours_case"]) == ("django-scheduler", "month_practitioner")


def test_ratios_are_peer_p50_over_ours_of_the_same_run():
    rows = {row["case"]: row for row in fake_peers()["ratios"]}
    assert rows["scheduler_month_practitioner"]["ratio_p50"] == round(710.0 / 140.0, 1)
    assert rows["scheduler_month_practitioner"]["at_least"] is False
    # Stopped at the cap before a timed repetition: a lower bound, the cap over our p50.
    assert rows["scheduler_week_workspace"]["peer_p50_ms"] is None
    assert rows["scheduler_week_workspace"]["ratio_p50"] == 400.0
    assert rows["scheduler_week_workspace"]["at_least"] is True
    assert peers.format_ratio(rows["scheduler_week_workspace"]) == "> 400.0×"
    # Capped after one timed repetition: that repetition is the figure.
    assert rows["appointment_slots_week_all"]["ratio_p50"] == 3.0
    assert rows["appointment_slots_week_all"]["at_least"] is False


def test_a_capped_case_is_bounded_by_its_unfinished_repetition():
    # The warm-up finished in 59 s, the first timed repetition was stopped 61 s in: > 61 s, not > cap.
    result = peers.summarize(
        "appointment_month_practitioner",
        [{"rep": 0, "queries": 12000, "ms": 59000.0, "rows": 128}],
        reps=5,
        cap_s=120,
        capped=True,
        unfinished_ms=61000.0,
    )
    assert (result["p50_ms"], result["reps"], result["queries"]) == (None, 0, 12000)
    [row] = peers.ratios([result], [ours("month_practitioner", 61.0)])
    assert (row["ratio_p50"], row["at_least"], row["peer_at_least_ms"]) == (1000.0, True, 61000.0)


def test_ratio_without_our_case_is_unknown():
    [row] = peers.ratios(
        [
            peers.summarize(
                "appointment_month_practitioner", peer_lines([5.0, 4.0]), reps=1, cap_s=60, capped=False
            )
        ],
        [ours("week_workspace", 10.0)],
    )
    assert row["ratio_p50"] is None
    assert peers.format_ratio(row) == "–"


def test_calibration_work_is_deterministic():
    assert calibration_work(3) == calibration_work(3)
    assert calibration_work(3) != calibration_work(4)


def test_report_shows_peers_and_calibration_and_keeps_the_json_shape(tmp_path: Path):
    calibration = {
        "start": {
            "ms": 400.0,
            "cpu_ms": 390.0,
            "load_avg": [1.5, 1.2, 0.9],
            "at": "2026-12-03T18:00:00+00:00",
        },
        "end": {
            "ms": 650.0,
            "cpu_ms": 395.0,
            "load_avg": [3.25, 2.0, 1.0],
            "at": "2026-12-03T18:10:00+00:00",
        },
    }
    runs = {
        "sqlite": {
            "database": "sqlite",
            "calibration": calibration,
            "results": [ours("month_practitioner", 140.0), ours("availability_week_all", 900.0)],
            "peers": fake_peers(),
        }
    }
    md, js = report.write(
        tmp_path, sessions=50_000, quick=True, runs=runs, reps=30, warmup=5, seconds=60.0, code="test"
    )
    data = json.loads(js.read_text())
    for key in ("date", "machine", "sessions", "results", "http", "peak_rss_mb", "browser", "cases", "peers"):
        assert key in data
    assert set(data["results"][0]) == {"database", "case", "p50_ms", "p95_ms", "floor_p95_ms", "ratio"}
    assert [c["case"] for c in data["cases"]] == ["availability_week_all"]  # not one of the first six
    assert data["cases"][0]["target_p95_ms"] == report.P95_TARGETS["availability_week_all"]
    assert data["calibration"]["sqlite"]["end"]["ms"] == 650.0
    by_case = {p["case"]: p for p in data["peers"]}
    assert by_case["scheduler_month_practitioner"]["version"] == "0.12.0"
    assert by_case["scheduler_month_practitioner"]["ratio_p50"] == 5.1
    assert by_case["scheduler_week_workspace"]["capped"] is True
    assert by_case["scheduler_week_workspace"]["ratio_at_least"] is True

    text = md.read_text()
    assert "## Peers: django-scheduler and django-appointment" in text
    assert "django-scheduler 0.12.0" in text
    assert "> 120,000 (stopped at the 120 s cap)" in text
    assert "> 400.0×" in text
    assert "| 5.1× |" in text
    assert "1,148" in text  # the peer's queries
    assert "start 400 ms (CPU 390 ms; load 1.50, 1.20, 0.90) → end 650 ms (CPU 395 ms; load 3.25" in text
    assert "`make bench PEERS=1`" in text


def test_report_without_peers_or_calibration_has_neither(tmp_path: Path):
    runs = {"sqlite": {"database": "sqlite", "results": [ours("month_practitioner", 140.0)]}}
    md, js = report.write(tmp_path, sessions=50_000, quick=True, runs=runs, reps=30, warmup=5, seconds=1.0)
    data = json.loads(js.read_text())
    assert data["peers"] == [] and data["cases"] == [] and data["calibration"] == {}
    text = md.read_text()
    assert "## Peers" not in text
    assert "| CPU calibration |" not in text


def test_report_says_when_the_peers_failed(tmp_path: Path):
    runs = {
        "sqlite": {
            "database": "sqlite",
            "results": [ours("month_practitioner", 140.0)],
            "peers": {"error": "bench.peers.load failed: no such table"},
        }
    }
    md, js = report.write(tmp_path, sessions=50_000, quick=True, runs=runs, reps=30, warmup=5, seconds=1.0)
    assert json.loads(js.read_text())["peers"] == [
        {"database": "sqlite", "error": "bench.peers.load failed: no such table"}
    ]
    assert "### SQLite: the peers' run failed" in md.read_text()

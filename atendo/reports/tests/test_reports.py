"""Reports: income, attendance and clients, from the API and the pages, for every persona.

The data is a stored state read by the reports (sessions written with `StoredSessionFactory` at
chosen instants, payments through the payment service), so every number can be checked by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest

from tests.factories import (
    ClientFactory,
    MemberFactory,
    PaymentFactory,
    RoleFactory,
    StoredSessionFactory,
    TherapyTypeFactory,
    WorkspaceFactory,
    owner_of,
)

pytestmark = pytest.mark.django_db

SP = zoneinfo.ZoneInfo("America/Sao_Paulo")
PERIOD = {"start": "2026-01-01", "end": "2026-04-01"}


def at(text: str, tz: dt.tzinfo = SP) -> dt.datetime:
    """A local wall-clock time in the workspace's zone, as an aware datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


def stored(client, practitioner, when, **kw):
    return StoredSessionFactory(client=client, practitioner=practitioner, starts_at=when, **kw)


@pytest.fixture
def practice(owner, therapist, other_therapist):
    """Sessions of two therapists in January–March 2026 (São Paulo), with payments of every status,
    two therapy types, and one session at each edge of a month (local time decides)."""
    ws = owner.workspace
    reiki = TherapyTypeFactory(workspace=ws, name="Reiki", default_price=Decimal("150.00"))
    psico = TherapyTypeFactory(workspace=ws, name="Psicoterapia", default_price=Decimal("200.00"))
    ana = ClientFactory(workspace=ws, name="Ana", practitioners=[therapist])
    bia = ClientFactory(workspace=ws, name="Bia", practitioners=[other_therapist])
    # Ana was first seen in December 2025: a returning client in 2026.
    stored(ana, therapist, at("2025-12-10T10:00"), therapy_type=reiki)
    s1 = stored(ana, therapist, at("2026-01-15T10:00"), therapy_type=reiki)
    s2 = stored(bia, other_therapist, at("2026-01-20T10:00"), therapy_type=psico)
    # 23:30 on 28 February in São Paulo is already 1 March in UTC: February's.
    s3 = stored(ana, therapist, at("2026-02-28T23:30"), therapy_type=reiki)
    # 00:30 on 1 March in São Paulo (03:30 UTC): March's.
    s4 = stored(bia, other_therapist, at("2026-03-01T00:30"), therapy_type=psico)
    s5 = stored(bia, therapist, at("2026-03-10T10:00"), status="no_show")
    stored(
        ana,
        therapist,
        at("2026-03-11T10:00"),
        status="cancelled",
        cancellation_late=True,
        cancelled_by="client",
    )
    stored(bia, other_therapist, at("2026-03-12T10:00"), status="cancelled", cancelled_by="practice")
    stored(ana, therapist, at("2026-03-20T10:00"), status="scheduled")
    PaymentFactory(session=s1, status="paid", method="pix", paid_date="2026-01-15")
    PaymentFactory(session=s2, status="paid", method="card", paid_date="2026-01-21")
    PaymentFactory(session=s3, status="pending", due_date="2026-03-07")
    PaymentFactory(session=s4, status="overdue", due_date="2026-03-08")
    PaymentFactory(session=s5, amount="80.00", status="pending", due_date="2026-03-17")
    return {"reiki": reiki, "psico": psico, "ana": ana, "bia": bia}


def rows_by_key(body):
    return {row["key"]: row for row in body["rows"]}


# --- income ------------------------------------------------------------------------------------


def test_income_by_month_follows_the_workspace_time_zone(api, owner, practice):
    body = api(owner).get("reports/income", **PERIOD).json()
    assert [row["key"] for row in body["rows"]] == ["2026-01", "2026-02", "2026-03"]
    rows = rows_by_key(body)
    assert rows["2026-01"] == {
        "key": "2026-01",
        "label": "January 2026",
        "paid": "350.00",
        "pending": "0.00",
        "overdue": "0.00",
        "total": "350.00",
        "count": 2,
    }
    assert (rows["2026-02"]["pending"], rows["2026-02"]["count"]) == ("150.00", 1)
    assert (rows["2026-03"]["overdue"], rows["2026-03"]["pending"], rows["2026-03"]["total"]) == (
        "200.00",
        "80.00",
        "280.00",
    )
    assert body["totals"] == {
        "paid": "350.00",
        "pending": "230.00",
        "overdue": "200.00",
        "total": "780.00",
        "count": 5,
    }
    assert (body["currency"], body["group_by"], body["start"], body["end"]) == (
        "BRL",
        "month",
        "2026-01-01",
        "2026-04-01",
    )


def test_income_month_boundaries_cross_daylight_saving_time(db):
    """New York: 23:30 on 31 March (EDT) is 03:30 on 1 April in UTC, and counts in March."""
    tz = zoneinfo.ZoneInfo("America/New_York")
    ws = WorkspaceFactory(slug="nyc", timezone="America/New_York", currency="USD")
    owner = owner_of(ws)
    client = ClientFactory(workspace=ws)
    late_march = stored(client, owner, at("2026-03-31T23:30", tz))
    early_april = stored(client, owner, at("2026-04-01T00:30", tz))
    PaymentFactory(session=late_march, amount="100.00")
    PaymentFactory(session=early_april, amount="40.00")
    from atendo.reports.selectors import income_report

    rows = rows_by_key(income_report(owner, start="2026-03-01", end="2026-05-01"))
    assert (rows["2026-03"]["pending"], rows["2026-04"]["pending"]) == ("100.00", "40.00")


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("practitioner", {"Theo Therapist": "380.00", "Olga Other": "400.00"}),
        ("therapy_type", {"Psicoterapia": "400.00", "Reiki": "300.00", "No therapy type": "80.00"}),
        ("method", {"Not paid yet": "430.00", "PIX": "150.00", "Card": "200.00"}),
    ],
)
def test_income_groupings(api, owner, practice, group_by, expected):
    body = api(owner).get("reports/income", **PERIOD, group_by=group_by).json()
    assert {row["label"]: row["total"] for row in body["rows"]} == expected
    assert body["totals"]["total"] == "780.00"


def test_income_group_keys(api, owner, therapist, practice):
    by_type = rows_by_key(api(owner).get("reports/income", **PERIOD, group_by="therapy_type").json())
    assert set(by_type) == {str(practice["reiki"].pk), str(practice["psico"].pk), "none"}
    by_method = rows_by_key(api(owner).get("reports/income", **PERIOD, group_by="method").json())
    assert list(by_method) == ["none", "pix", "card"]
    by_member = rows_by_key(api(owner).get("reports/income", **PERIOD, group_by="practitioner").json())
    assert by_member[str(therapist.pk)]["label"] == "Theo Therapist"


def test_an_empty_period_lists_every_month_with_zeros(api, owner):
    body = api(owner).get("reports/income", start="2025-01-01", end="2025-04-01").json()
    assert [(r["key"], r["total"], r["count"]) for r in body["rows"]] == [
        ("2025-01", "0.00", 0),
        ("2025-02", "0.00", 0),
        ("2025-03", "0.00", 0),
    ]


def test_the_default_period_is_the_last_twelve_months(api, owner):
    body = api(owner).get("reports/income").json()
    assert len(body["rows"]) == 12
    assert body["end"] > body["start"]


# --- attendance ----------------------------------------------------------------------------------


def test_attendance_by_month_counts_outcomes_and_rates(api, owner, practice):
    rows = rows_by_key(api(owner).get("reports/attendance", **PERIOD).json())
    march = rows["2026-03"]
    assert {
        k: march[k] for k in ("completed", "cancelled", "late_cancelled", "no_show", "upcoming", "total")
    } == {
        "completed": 1,
        "cancelled": 1,
        "late_cancelled": 1,
        "no_show": 1,
        "upcoming": 1,
        "total": 5,
    }
    # Among the four sessions with an outcome.
    assert (march["completion_rate"], march["no_show_rate"], march["cancellation_rate"]) == (0.25, 0.25, 0.5)
    assert march["late_cancellation_rate"] == 0.25
    assert rows["2026-01"]["completed"] == 2 and rows["2026-01"]["completion_rate"] == 1.0


def test_attendance_by_practitioner(api, owner, therapist, other_therapist, practice):
    body = api(owner).get("reports/attendance", **PERIOD, group_by="practitioner").json()
    rows = rows_by_key(body)
    theo, olga = rows[str(therapist.pk)], rows[str(other_therapist.pk)]
    assert (theo["completed"], theo["no_show"], theo["late_cancelled"], theo["upcoming"]) == (2, 1, 1, 1)
    assert (olga["completed"], olga["cancelled"]) == (2, 1)
    assert body["totals"]["total"] == 8


def test_attendance_cannot_be_grouped_by_method(api, owner):
    response = api(owner).get("reports/attendance", group_by="method")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "group_by"


# --- clients -------------------------------------------------------------------------------------


def test_clients_new_and_returning_by_month(api, owner, practice):
    body = api(owner).get("reports/clients", **PERIOD).json()
    rows = rows_by_key(body)
    # Ana returns (first seen in December); Bia is new in January; no-shows and cancellations
    # are not "seen"; the scheduled session of March is.
    assert (rows["2026-01"]["active"], rows["2026-01"]["new"], rows["2026-01"]["returning"]) == (2, 1, 1)
    assert (rows["2026-02"]["active"], rows["2026-02"]["new"]) == (1, 0)
    assert (rows["2026-03"]["active"], rows["2026-03"]["new"], rows["2026-03"]["returning"]) == (2, 0, 2)
    assert body["totals"] == {"active": 2, "new": 1, "returning": 1}


# --- input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"group_by": "weekday"}, "group_by"),
        ({"start": "01/03/2026"}, "start"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": "2026-03-01", "end": "2026-03-01"}, "end"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "end"),
    ],
)
def test_bad_parameters_answer_422_at_their_path(api, owner, params, path):
    response = api(owner).get("reports/income", **params)
    assert response.status_code == 422
    assert [f["path"] for f in response.json()["error"]["fields"]] == [path]


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("report", ["income", "attendance", "clients"])
def test_who_reads_reports(api, owner, therapist, other_therapist, assistant, report):
    """The owner reads the practice, each therapist their own sessions, the assistant nothing."""
    whole = api(owner).get(f"reports/{report}")
    assert whole.status_code == 200 and whole.json()["own"] is False
    assert whole.json()["practitioner_id"] is None
    for member in (therapist, other_therapist):
        body = api(member).get(f"reports/{report}").json()
        assert (body["own"], body["practitioner_id"]) == (True, member.pk)
    response = api(assistant).get(f"reports/{report}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("report", ["income", "attendance", "clients", "income.csv"])
def test_an_outsider_gets_404(api, outsider, owner, report):
    assert api(outsider, "serena").get(f"reports/{report}").status_code == 404


def test_income_needs_billing_read_and_attendance_session_read(api, owner):
    ws = owner.workspace
    money_only = RoleFactory(workspace=ws, name="Bookkeeper", permissions=["reports.read", "billing.read"])
    bookkeeper = MemberFactory(workspace=ws, role=money_only, email="books@serena.test")
    assert api(bookkeeper).get("reports/income").status_code == 200
    assert api(bookkeeper).get("reports/attendance").status_code == 403
    assert api(bookkeeper).get("reports/clients").status_code == 403
    schedule_only = RoleFactory(workspace=ws, name="Scheduler", permissions=["reports.read", "session.read"])
    scheduler = MemberFactory(workspace=ws, role=schedule_only, email="desk@serena.test")
    assert api(scheduler).get("reports/attendance").status_code == 200
    assert api(scheduler).get("reports/income").status_code == 403


def test_the_owner_role_holds_reports_read_and_the_therapist_its_own(owner, therapist, assistant):
    assert owner.has_perm("reports.read") and owner.has_perm("reports.read_own")
    assert not therapist.has_perm("reports.read") and therapist.has_perm("reports.read_own")
    assert not assistant.has_perm("reports.read") and not assistant.has_perm("reports.read_own")


# --- a practitioner's own figures, and the filters ---------------------------------------------


def test_a_therapist_reads_only_their_own_income(api, therapist, other_therapist, practice):
    body = api(therapist).get("reports/income", **PERIOD).json()
    rows = rows_by_key(body)
    assert (rows["2026-01"]["paid"], rows["2026-01"]["count"]) == ("150.00", 1)
    assert body["totals"] == {
        "paid": "150.00",
        "pending": "230.00",
        "overdue": "0.00",
        "total": "380.00",
        "count": 3,
    }
    # Grouped by practitioner, one row: theirs. Olga's figures and name appear nowhere.
    by_member = api(therapist).get("reports/income", **PERIOD, group_by="practitioner")
    assert [row["label"] for row in by_member.json()["rows"]] == ["Theo Therapist"]
    assert "Olga" not in by_member.content.decode()
    olga = api(other_therapist).get("reports/income", **PERIOD).json()
    assert (olga["totals"]["paid"], olga["totals"]["overdue"], olga["totals"]["total"]) == (
        "200.00",
        "200.00",
        "400.00",
    )


@pytest.mark.parametrize("report", ["income", "attendance", "clients", "income.csv", "attendance.csv"])
def test_a_therapist_asking_for_another_practitioner_gets_403(api, therapist, other_therapist, report):
    response = api(therapist).get(f"reports/{report}", practitioner_id=other_therapist.pk)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    # Naming themselves is allowed.
    assert api(therapist).get(f"reports/{report}", practitioner_id=therapist.pk).status_code == 200


def test_a_therapists_attendance_and_clients_are_their_own(api, therapist, other_therapist, practice):
    theo = api(therapist).get("reports/attendance", **PERIOD).json()["totals"]
    assert (theo["completed"], theo["no_show"], theo["late_cancelled"], theo["upcoming"], theo["total"]) == (
        2,
        1,
        1,
        1,
        5,
    )
    # Clients: Ana has seen Theo since December (returning); Bia's only session with Theo was a
    # no-show. For Olga, Bia is new in January.
    theo_clients = api(therapist).get("reports/clients", **PERIOD).json()
    assert theo_clients["totals"] == {"active": 1, "new": 0, "returning": 1}
    olga_clients = api(other_therapist).get("reports/clients", **PERIOD).json()
    assert rows_by_key(olga_clients)["2026-01"]["new"] == 1
    assert olga_clients["totals"] == {"active": 1, "new": 1, "returning": 0}


def test_a_therapists_csv_is_their_own(api, therapist, practice):
    response = api(therapist).get("reports/income.csv", **PERIOD)
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[-1] == ["total", "total", "150.00", "230.00", "0.00", "380.00", "3"]


def test_the_owner_filters_by_practitioner_and_therapy_type(api, owner, therapist, other_therapist, practice):
    theo = api(owner).get("reports/income", **PERIOD, practitioner_id=therapist.pk).json()
    assert (theo["own"], theo["practitioner_id"], theo["totals"]["total"]) == (False, therapist.pk, "380.00")
    reiki = api(owner).get("reports/income", **PERIOD, therapy_type_id=practice["reiki"].pk).json()
    assert (reiki["totals"]["paid"], reiki["totals"]["pending"], reiki["totals"]["total"]) == (
        "150.00",
        "150.00",
        "300.00",
    )
    olga_psico = (
        api(owner)
        .get(
            "reports/attendance",
            **PERIOD,
            practitioner_id=other_therapist.pk,
            therapy_type_id=practice["psico"].pk,
        )
        .json()
    )
    assert (olga_psico["totals"]["completed"], olga_psico["totals"]["total"]) == (2, 2)
    csv_body = api(owner).get("reports/income.csv", **PERIOD, therapy_type_id=practice["reiki"].pk)
    table = list(csv.reader(io.StringIO(b"".join(csv_body.streaming_content).decode())))
    assert table[-1][-2:] == ["300.00", "2"]


@pytest.mark.parametrize("name", ["practitioner_id", "therapy_type_id"])
def test_a_bad_filter_answers_422_at_its_path(api, owner, name):
    for value in ("abc", "-3"):
        response = api(owner).get("reports/income", **{name: value})
        assert response.status_code == 422, value
        assert [f["path"] for f in response.json()["error"]["fields"]] == [name]


def test_a_member_with_reports_read_own_who_offers_no_sessions_sees_zeros(api, owner, practice):
    role = RoleFactory(
        workspace=owner.workspace, name="Own books", permissions=["reports.read_own", "billing.read"]
    )
    desk = MemberFactory(workspace=owner.workspace, role=role, email="desk2@serena.test")
    body = api(desk).get("reports/income", **PERIOD).json()
    assert (body["own"], body["totals"]["total"], body["totals"]["count"]) == (True, "0.00", 0)


# --- queries ---------------------------------------------------------------------------------------


def _more_payments(owner, n):
    client = ClientFactory(workspace=owner.workspace)
    for i in range(n):
        session = stored(client, owner, at(f"2026-02-{1 + i % 27:02d}T{8 + i % 10:02d}:00"))
        PaymentFactory(
            session=session,
            amount="10.00",
            status="paid" if i % 2 else "pending",
            method="cash" if i % 2 else None,
        )


@pytest.mark.parametrize("group_by", ["month", "practitioner", "therapy_type", "method"])
def test_income_runs_a_constant_number_of_queries(
    api, owner, practice, django_assert_max_num_queries, group_by
):
    client = api(owner)
    client.get("reports/income", **PERIOD, group_by=group_by)  # warm: the token, the member
    with django_assert_max_num_queries(6) as few:
        client.get("reports/income", **PERIOD, group_by=group_by)
    _more_payments(owner, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("reports/income", **PERIOD, group_by=group_by).status_code == 200


@pytest.mark.parametrize(
    ("report", "group_by"), [("attendance", "month"), ("attendance", "practitioner"), ("clients", "month")]
)
def test_attendance_and_clients_run_a_constant_number_of_queries(
    api, owner, practice, django_assert_max_num_queries, report, group_by
):
    client = api(owner)
    client.get(f"reports/{report}", **PERIOD, group_by=group_by)
    with django_assert_max_num_queries(8) as few:
        client.get(f"reports/{report}", **PERIOD, group_by=group_by)
    _more_payments(owner, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"reports/{report}", **PERIOD, group_by=group_by).status_code == 200


# --- CSV -------------------------------------------------------------------------------------------


def test_income_csv_has_the_same_rows_and_a_total(api, owner, practice):
    response = api(owner).get("reports/income.csv", **PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="income-month-2026-01-01-2026-04-01.csv"'
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0] == ["key", "label", "paid", "pending", "overdue", "total", "count"]
    assert table[1] == ["2026-01", "January 2026", "350.00", "0.00", "0.00", "350.00", "2"]
    assert table[-1] == ["total", "total", "350.00", "230.00", "200.00", "780.00", "5"]


def test_attendance_csv(api, owner, practice):
    response = api(owner).get("reports/attendance.csv", **PERIOD, group_by="month")
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, march = table[0], table[3]
    assert dict(zip(header, march, strict=True))["late_cancelled"] == "1"
    assert dict(zip(header, march, strict=True))["no_show_rate"] == "0.25"


# --- pages -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("report", ["income", "attendance", "clients"])
def test_the_owner_opens_each_report_page_with_its_chart_and_table(page_client, owner, practice, report):
    response = page_client(owner).get(
        f"/w/serena/reports/{report}/", {"start": "2026-01-01", "until": "2026-03-31"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="report-chart"' in body and 'id="report-data"' in body and "chart.umd.min.js" in body
    assert '<th scope="row">January 2026</th>' in body
    assert f"/api/v1/workspaces/serena/reports/{report}.csv?start=2026-01-01&amp;end=2026-04-01" in body


def test_the_income_page_shows_money_in_the_readers_language(page_client, owner, practice):
    client = page_client(owner)
    client.cookies["django_language"] = "pt-br"
    body = client.get(
        "/w/serena/reports/income/",
        {"start": "2026-01-01", "until": "2026-03-31"},
        HTTP_ACCEPT_LANGUAGE="pt-br",
    ).content.decode()
    assert "R$ 350,00" in body and "R$ 780,00" in body


def test_report_pages_for_every_persona(page_client, owner, therapist, other_therapist, assistant, practice):
    query = {"start": "2026-01-01", "until": "2026-03-31"}
    for path in ("", "income/", "attendance/", "clients/"):
        owner_page = page_client(owner).get(f"/w/serena/reports/{path}", query)
        assert owner_page.status_code == 200
        assert page_client(assistant).get(f"/w/serena/reports/{path}", query).status_code == 403
        for member in (therapist, other_therapist):
            page = page_client(member).get(f"/w/serena/reports/{path}", query)
            assert page.status_code == 200, (member, path)
            if path:
                assert "Your own sessions only" in page.content.decode()
                assert "Your own sessions only" not in owner_page.content.decode()
    # The owner has a practitioner filter; a therapist none, and only their own figures.
    owner_body = page_client(owner).get("/w/serena/reports/income/", query).content.decode()
    assert 'name="practitioner"' in owner_body and "Olga Other" in owner_body
    theo = page_client(therapist).get(
        "/w/serena/reports/income/", {**query, "group_by": "practitioner", "practitioner": "999"}
    )
    body = theo.content.decode()
    assert 'name="practitioner"' not in body and "Olga Other" not in body
    assert "R$\xa0380.00" in body or "R$ 380.00" in body
    assert f"practitioner_id={therapist.pk}" in body  # the CSV link is theirs too


def test_the_owner_filters_a_report_page(page_client, owner, therapist, practice):
    body = (
        page_client(owner)
        .get(
            "/w/serena/reports/income/",
            {"start": "2026-01-01", "until": "2026-03-31", "practitioner": therapist.pk},
        )
        .content.decode()
    )
    assert f'<option value="{therapist.pk}" selected>' in body
    assert "R$ 380.00" in body and "R$ 780.00" not in body
    assert f"practitioner_id={therapist.pk}" in body


@pytest.mark.parametrize("report", ["income", "attendance", "clients"])
def test_report_pages_run_a_constant_number_of_queries(
    page_client, owner, practice, django_assert_max_num_queries, report
):
    client = page_client(owner)
    query = {"start": "2026-01-01", "until": "2026-03-31", "group_by": "month"}
    client.get(f"/w/serena/reports/{report}/", query)
    with django_assert_max_num_queries(30) as few:
        client.get(f"/w/serena/reports/{report}/", query)
    _more_payments(owner, 30)
    ClientFactory(workspace=owner.workspace)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/w/serena/reports/{report}/", query).status_code == 200


def test_a_bad_period_on_the_page_says_so_and_shows_the_default(page_client, owner):
    response = page_client(owner).get(
        "/w/serena/reports/attendance/", {"start": "2026-05-01", "until": "2026-04-01"}
    )
    assert response.status_code == 422
    assert "The end of the period must be after its start." in response.content.decode()


def test_reports_carry_no_clinical_content(api, page_client, owner, therapist, practice):
    """Counts, amounts and names only: a session's notes and therapy answers reach no report."""
    stored(
        practice["ana"],
        therapist,
        at("2026-02-10T10:00"),
        therapy_type=practice["reiki"],
        notes="QZXreportnotesXZQ",
        therapy_fields={"sensations": "QZXtherapyXZQ"},
    )
    for report in ("income", "attendance", "clients"):
        assert "QZX" not in api(owner).get(f"reports/{report}", **PERIOD).content.decode()
        page = page_client(owner).get(
            f"/w/serena/reports/{report}/", {"start": "2026-01-01", "until": "2026-03-31"}
        )
        assert "QZX" not in page.content.decode()

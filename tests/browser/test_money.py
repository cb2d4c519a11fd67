"""Money owed, receipts and reports in a real browser, at desktop and phone widths: the assistant
works the worklist (filters, totals, several marked paid at once) and downloads a receipt, read
back as a PDF; the owner opens each report and its chart is drawn."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from atendo.billing.models import Payment
from atendo.workspaces.profile import member_profile_update
from tests.factories import ClientFactory, PaymentFactory, StoredSessionFactory, TherapyTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def local(ws, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ws.tz)


@pytest.fixture
def ledger(owner, therapist, other_therapist):
    """A practice's year: two therapists, six clients, sessions on weekdays at office hours, most
    paid, some pending (due ahead) or overdue (due past); no-shows and cancellations here and there."""
    ws = owner.workspace
    member_profile_update(member=owner, data={"name": "Olívia Dona"})
    member_profile_update(
        member=therapist,
        data={"name": "Dra. Theo Terapeuta", "profession": "Psicóloga", "registration": "CRP 06/123456"},
    )
    reiki = TherapyTypeFactory(workspace=ws, name="Reiki", default_price=Decimal("150.00"), color="#9b59b6")
    psico = TherapyTypeFactory(
        workspace=ws, name="Psicoterapia", default_price=Decimal("220.00"), color="#2f9e8f"
    )
    names = ["Ana Souza", "Bruno Lima", "Carla Dias", "Davi Rocha", "Eva Nunes", "Fábio Melo"]
    clients = [
        ClientFactory(workspace=ws, name=name, practitioners=[therapist if i % 2 == 0 else other_therapist])
        for i, name in enumerate(names)
    ]
    today = timezone.now().astimezone(ws.tz).date()
    payments = []
    day = today - dt.timedelta(days=330)
    i = 0
    while day < today:
        if day.weekday() < 5:
            client = clients[i % len(clients)]
            practitioner = therapist if i % len(clients) % 2 == 0 else other_therapist
            therapy = psico if i % 3 == 0 else reiki
            recent = (today - day).days < 45
            status = "no_show" if i % 11 == 5 else ("cancelled" if i % 13 == 7 else "completed")
            session = StoredSessionFactory(
                client=client,
                practitioner=practitioner,
                therapy_type=therapy,
                starts_at=local(ws, day, 9 + (i % 4) * 2, 30 if i % 2 else 0),
                duration_minutes=50,
                status=status,
                cancelled_by="client" if status == "cancelled" else "",
                cancellation_late=status == "cancelled" and i % 2 == 0,
            )
            if status == "completed":
                if recent and i % 3 == 0:
                    due = (today + dt.timedelta(days=3 + i % 5)).isoformat()
                    payments.append(PaymentFactory(session=session, status="pending", due_date=due))
                elif recent and i % 3 == 1:
                    due = (day + dt.timedelta(days=7)).isoformat()
                    payments.append(PaymentFactory(session=session, status="overdue", due_date=due))
                else:
                    method = ["pix", "card", "pix", "cash"][i % 4]
                    payments.append(PaymentFactory(session=session, status="paid", method=method))
            i += 1
        day += dt.timedelta(days=3)
    return {"payments": payments, "clients": clients}


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_assistant_works_the_worklist_and_downloads_a_receipt(
    page, login, assistant, therapist, ledger, shot, tmp_path, width
):
    page.set_viewport_size(WIDTHS[width])
    login(page, assistant)
    page.goto("/w/serena/payments/")
    expect(page.get_by_role("heading", name="Money owed")).to_be_visible()
    owed = Payment.objects.filter(status__in=["pending", "overdue"]).count()
    expect(page.locator("tr.pay-row")).to_have_count(owed)
    expect(page.locator(".status-card-overdue .status-card-amount")).not_to_have_text("R$ 0.00")
    if width == "phone":
        page.locator("#bulk-bar").scroll_into_view_if_needed()
    shot(page, "worklist" if width == "desktop" else "worklist-phone")

    # Only Theo's, then two of them paid at once (on a phone the filters fold away first).
    if width == "phone":
        page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Practitioner").select_option(label="Dra. Theo Terapeuta")
    page.wait_for_load_state("networkidle")
    theirs = Payment.objects.filter(status__in=["pending", "overdue"], session__practitioner=therapist)
    expect(page.locator("tr.pay-row")).to_have_count(theirs.count())
    expect(page.get_by_role("button", name="Mark paid")).to_be_disabled()
    boxes = page.locator('input[name="payment"]')
    boxes.nth(0).check()
    boxes.nth(1).check()
    chosen = [int(boxes.nth(i).get_attribute("value")) for i in (0, 1)]
    total = sum(Payment.objects.get(pk=pk).amount for pk in chosen)
    expect(page.locator("#bulk-count")).to_contain_text("Selected: 2")
    page.get_by_label("Paid by").select_option("pix")
    if width == "desktop":
        shot(page, "worklist-selected")
    page.get_by_role("button", name="Mark paid").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text(f"2 payments marked paid (R$ {total:,.2f})")).to_be_visible()
    assert Payment.objects.filter(pk__in=chosen, status="paid", method="pix").count() == 2
    expect(page.locator("tr.pay-row")).to_have_count(theirs.count())

    # The receipt of one of them, from the Paid card: a PDF that reads back.
    page.locator(".status-card-paid").click()
    page.wait_for_load_state("networkidle")
    row = page.locator(f'tr[data-payment="{chosen[0]}"]')
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Receipt").click()
    target = tmp_path / "receipt.pdf"
    download_info.value.save_as(str(target))
    text = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(target.read_bytes())).pages).split()
    )
    assert "RECEIPT" in text and "Dra. Theo Terapeuta" in text and "CRP 06/123456" in text
    assert f"R$ {Payment.objects.get(pk=chosen[0]).amount:,.2f}" in text
    assert page.js_errors == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_owner_sees_each_report_with_its_chart(page, login, owner, ledger, shot, width):
    page.set_viewport_size(WIDTHS[width])
    login(page, owner)
    page.goto("/w/serena/")
    page.get_by_role("link", name="Reports").first.click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    for name, heading in (
        ("Income", "Reports: Income"),
        ("Attendance", "Reports: Attendance"),
        ("Clients", "Reports: Clients"),
    ):
        page.locator(".report-tabs").get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        canvas = page.locator("#report-chart")
        expect(canvas).to_have_attribute("data-chart", "drawn")
        datasets = page.evaluate(
            "() => Chart.getChart(document.getElementById('report-chart')).data.datasets.length"
        )
        assert datasets == {"Income": 3, "Attendance": 5, "Clients": 2}[name]
        drawn = page.evaluate(
            """() => { const c = document.getElementById('report-chart');
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
        )
        assert drawn > 1000  # bars, axes and legend are on the canvas, not an empty box
        if name == "Income":
            # The axis writes money as the table does: "R$ 1,200", not Intl's "R$1,200".
            ticks = page.evaluate(
                "() => Chart.getChart(document.getElementById('report-chart')).scales.y.ticks"
                ".map(t => t.label)"
            )
            assert ticks[-1].startswith("R$\u00a0"), ticks
        expect(page.locator("#report-table tbody tr")).to_have_count(12)
        shot(page, f"reports-{name.lower()}" + ("" if width == "desktop" else "-phone"))
    # Income by practitioner: a row per therapist.
    page.locator(".report-tabs").get_by_role("link", name="Income").click()
    page.get_by_label("Group by").select_option("practitioner")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#report-table tbody tr")).to_have_count(2)
    expect(page.locator("#report-chart")).to_have_attribute("data-chart", "drawn")
    # … and filtered to one of them: one row, and the CSV link carries the filter.
    page.locator("#r-practitioner").select_option(label="Olga Other")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#report-table tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", re.compile(r"practitioner_id=\d+")
    )
    assert page.js_errors == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_therapist_reads_their_own_figures(page, login, therapist, other_therapist, ledger, shot, width):
    page.set_viewport_size(WIDTHS[width])
    login(page, therapist)
    page.goto("/w/serena/")
    page.get_by_role("link", name="Reports").first.click()
    page.locator(".report-tabs").get_by_role("link", name="Attendance").click()
    expect(page.get_by_role("heading", name="Reports: Attendance")).to_be_visible()
    expect(page.get_by_text("Your own sessions only")).to_be_visible()
    expect(page.locator("#r-practitioner")).to_have_count(0)
    expect(page.locator("#report-chart")).to_have_attribute("data-chart", "drawn")
    page.get_by_label("Group by").select_option("practitioner")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#report-table tbody tr")).to_have_count(1)
    expect(page.locator("#report-table tbody tr th")).to_have_text("Dra. Theo Terapeuta")
    assert "Olga" not in page.content()
    if width == "desktop":
        shot(page, "reports-own-attendance")
    assert page.js_errors == []

"""The management commands: create_workspace, add_member, create_api_token (product.md contract)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from atendo.accounts.models import ApiToken, User, hash_token
from atendo.audit.models import AuditEvent
from atendo.workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        Workspace.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Role.objects.count(),
        ApiToken.objects.count(),
        AuditEvent.objects.count(),
    )


# --- create_workspace ---------------------------------------------------------------------------


def test_create_workspace_makes_roles_and_owner():
    out = run(
        "create_workspace", "--slug", "casa", "--name", "Casa Zen", "--timezone", "Europe/Lisbon",
        "--owner", "Zen@Casa.test", "--password", "s3cret-pass-word",
    )  # fmt: skip
    assert "casa" in out and "zen@casa.test" in out.lower()
    workspace = Workspace.objects.get(slug="casa")
    assert workspace.timezone == "Europe/Lisbon"
    assert sorted(Role.objects.for_workspace(workspace).values_list("name", flat=True)) == [
        "Assistant",
        "Owner",
        "Therapist",
    ]
    owner = Membership.objects.get(workspace=workspace)
    assert owner.role.is_owner and owner.user.email == "zen@casa.test"
    assert owner.user.check_password("s3cret-pass-word")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timezone", "Mars/Base"], "Unknown time zone 'Mars/Base'"),
        (["--owner", "not-an-email"], "not a valid e-mail"),
        (["--slug", "---"], "slug"),
    ],
)
def test_create_workspace_bad_input_changes_nothing(db, args, message):
    base = {"--slug": "casa", "--name": "Casa", "--timezone": "UTC", "--owner": "o@casa.test"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    before = counts()
    with pytest.raises(CommandError, match=message):
        run("create_workspace", *[part for pair in base.items() for part in pair])
    assert counts() == before


def test_create_workspace_refuses_a_duplicate_slug(workspace):
    before = counts()
    with pytest.raises(CommandError, match="already taken"):
        run("create_workspace", "--slug", "serena", "--name", "Again", "--owner", "new@x.test")
    assert counts() == before
    assert Workspace.objects.get(slug="serena").name == "Clínica Serena"


# --- add_member ---------------------------------------------------------------------------------


def test_add_member_is_idempotent(workspace):
    out = run("add_member", "--workspace", "serena", "--email", "T@serena.test", "--role", "Therapist")
    assert "Therapist" in out
    after_first = counts()[:4]
    run("add_member", "--workspace", "serena", "--email", "t@serena.test", "--role", "Therapist")
    assert counts()[:4] == after_first
    member = Membership.objects.get(workspace=workspace, user__email="t@serena.test")
    assert member.role.name == "Therapist" and member.is_active


def test_add_member_changes_the_role_of_an_existing_member(workspace, therapist):
    run("add_member", "--workspace", "serena", "--email", therapist.user.email, "--role", "Assistant")
    therapist.refresh_from_db()
    assert therapist.role.name == "Assistant"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workspace", "nowhere", "--email", "a@b.test", "--role", "Therapist"], "No workspace"),
        (["--workspace", "serena", "--email", "a@b.test", "--role", "Wizard"], "no role named 'Wizard'"),
        (["--workspace", "serena", "--email", "nope", "--role", "Therapist"], "not a valid e-mail"),
        (["--workspace", "serena", "--email", "owner@serena.test", "--role", "Therapist"], "last owner"),
    ],
)
def test_add_member_bad_input_changes_nothing(workspace, args, message):
    before = counts()
    with pytest.raises(CommandError, match=message):
        run("add_member", *args)
    assert counts() == before
    assert Membership.objects.get(user__email="owner@serena.test").role.is_owner


# --- create_api_token ---------------------------------------------------------------------------


def test_create_api_token_prints_the_token_alone(owner):
    out = run("create_api_token", "--workspace", "serena", "--email", "OWNER@serena.test")
    raw = out.strip()
    assert out.count("\n") == 1 and raw.startswith("atd_") and " " not in raw
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert token.user == owner.user and token.workspace == owner.workspace
    second = run("create_api_token", "--workspace", "serena", "--email", "owner@serena.test").strip()
    assert second != raw and ApiToken.objects.filter(user=owner.user).count() == 2


def test_the_printed_token_opens_the_api(owner, client):
    raw = run("create_api_token", "--workspace", "serena", "--email", "owner@serena.test").strip()
    response = client.get("/api/v1/workspaces/serena", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("workspace_slug", "email"),
    [("serena", "stranger@x.test"), ("nowhere", "owner@serena.test"), ("outra", "owner@serena.test")],
)
def test_create_api_token_for_a_non_member_fails(owner, other_workspace, workspace_slug, email):
    before = counts()
    with pytest.raises(CommandError, match="not an active member"):
        run("create_api_token", "--workspace", workspace_slug, "--email", email)
    assert counts() == before


# --- translations ---------------------------------------------------------------------------------


def test_committed_mo_matches_the_po(tmp_path):
    """The .mo in the repo (used where GNU gettext is missing) says what the .po says."""
    import gettext
    import shutil
    import subprocess
    from pathlib import Path

    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext is not installed here (make installs it when run as root)")
    po = Path(__file__).resolve().parents[1] / "atendo" / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
    subprocess.run(["msgfmt", "-o", str(tmp_path / "fresh.mo"), str(po)], check=True)
    with open(tmp_path / "fresh.mo", "rb") as fh:
        fresh = gettext.GNUTranslations(fh)
    with open(po.with_suffix(".mo"), "rb") as fh:
        committed = gettext.GNUTranslations(fh)
    assert len(fresh._catalog) > 10
    assert committed._catalog == fresh._catalog, "run `manage.py compilemessages` and commit the .mo"

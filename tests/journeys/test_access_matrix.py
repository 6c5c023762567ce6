"""Who may open every URL of the application: one row per route, six people per row.

The people are those of a cohort's life: an anonymous visitor, the trainee who owns the
submission, attachment and certificate, another trainee of the same cohort, a trainer of
another cohort of the same course, the trainee's own trainer, and an admin who signed in with
two-factor authentication (as every admin must). On /api/v1 a person is their personal API
token (the API reads no session): holders have a `holder` token, the admin an `admin-read` one.

A route without a row fails `test_every_route_has_a_row`, so whoever adds a route says here
who may open it. POSTs are sent only where a refusal is expected (and then nothing in the
database may change), or where the change is a safe sample of the person's own; other
authorised POSTs are left to the feature's tests (SKIP).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import string
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lms.accounts import services as accounts
from lms.accounts.models import TokenPurpose
from lms.api import services as api_tokens
from lms.api.models import Scope
from lms.assessments import services as assessments
from lms.assessments.models import Attachment
from lms.certificates.models import Certificate
from lms.courses.models import Module
from lms.db import db
from lms.extensions import limiter
from lms.grading.models import CommentSnippet
from lms.privacy import services as privacy
from lms.privacy.models import CertificateChoice
from tests.access import FORBIDDEN, LOGIN, NOT_FOUND, OK
from tests.auth.two_factor_helpers import code_step, enrol, password_step, totp_code
from tests.certificates.conftest import issue
from tests.conftest import SESSION_TABLES, login
from tests.factories import UserFactory
from tests.grading.conftest import Setup, submitted
from tests.grading.conftest import setup as grading_setup  # noqa: F401 (a fixture, by this name)

#: The columns of the matrix, in this order in every row.
#: Requests made here, not read from pages: no CSRF tokens (tests.journeys.conftest).
FORMS_FROM_PAGES = False
PEOPLE = ("anonymous", "trainee", "other_trainee", "outsider_trainer", "trainer", "admin")
UNAUTHORISED = 401
CONFLICT = 409
BAD_REQUEST = 400


@dataclass(frozen=True)
class Redirect:
    """A redirect (301, 302, 303) to a path starting with `path`, and not to the login page."""

    path: str

    def __str__(self) -> str:
        return f"redirect to {self.path}"


class _Skip:
    """Not requested: an authorised change whose success the feature's own tests check."""

    def __repr__(self) -> str:
        return "SKIP"


SKIP = _Skip()
Outcome = int | str | Redirect | _Skip
Cells = tuple[Outcome, Outcome, Outcome, Outcome, Outcome, Outcome]


@dataclass(frozen=True)
class Row:
    """One route: its URL (placeholders filled from the set-up) and who gets what."""

    endpoint: str
    url: str
    get: Cells | None = None
    post: Cells | None = None
    #: Form fields (or a JSON body, with `json=True`) sent with the POST.
    data: Mapping[str, Any] | Callable[[World], Mapping[str, Any]] | None = None
    json: bool = False
    #: Requests to /api/v1 carry the person's API token instead of their session.
    api: bool = False
    #: Request from this address (default: the test client's 127.0.0.1).
    remote_addr: str | None = None
    #: People whose 200 page must not contain the owning trainee's name.
    hides_owner_from: frozenset[str] = frozenset()


# Shorthands for whole rows.
#                      anonymous  trainee    other      outsider   trainer    admin
PUBLIC: Cells = (OK, OK, OK, OK, OK, OK)
SIGNED_IN: Cells = (LOGIN, OK, OK, OK, OK, OK)
ADMINS: Cells = (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
ADMINS_CHANGE: Cells = (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, SKIP)
GRADERS: Cells = (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK)
OWN_CHANGE: Cells = (LOGIN, SKIP, SKIP, SKIP, SKIP, SKIP)
OWNER_ONLY: Cells = (LOGIN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)
OWNER_CHANGE: Cells = (LOGIN, SKIP, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)
#: The submission, for those who grade it: its cohort's trainers and admins.
ITS_GRADERS: Cells = (LOGIN, FORBIDDEN, FORBIDDEN, NOT_FOUND, OK, OK)
ITS_GRADERS_CHANGE: Cells = (LOGIN, FORBIDDEN, FORBIDDEN, NOT_FOUND, SKIP, SKIP)
#: A link mailed to one person: the token in it is the credential, whoever opens it.
BY_LINK: Cells = PUBLIC
HOME = Redirect("/")


def _two_factor_disable(world: World) -> dict[str, str]:
    return {"password": "wrong password", "code": "000000"}


ROWS: tuple[Row, ...] = (
    # --- Home, health, metrics, language ---------------------------------------------------
    Row("main.home", "/", get=SIGNED_IN, hides_owner_from=frozenset({"outsider_trainer"})),
    Row("main.healthz", "/healthz", get=PUBLIC),
    Row("main.readyz", "/readyz", get=PUBLIC),
    # Scrapers come from the allowed addresses; from anywhere else nobody sees metrics.
    Row("metrics", "/metrics", get=(NOT_FOUND,) * 6, remote_addr="203.0.113.9"),
    Row(
        "i18n.switch_language",
        "/language",
        post=(Redirect("/"), Redirect("/"), Redirect("/"), Redirect("/"), HOME, HOME),
        data={"locale": "de", "next": "/"},
    ),
    Row(
        "i18n.regional_settings",
        "/account/regional",
        post=OWN_CHANGE,
        data={"locale": "fr", "timezone": "Europe/Paris"},
    ),
    # --- Logging in and out ------------------------------------------------------------------
    Row(
        "auth.login",
        "/auth/login",
        get=(OK, HOME, HOME, HOME, HOME, HOME),
        post=(422, HOME, HOME, HOME, HOME, HOME),
        data={"email": "nobody@example.org", "password": "wrong"},
    ),
    # Without a password step first there is no code to ask for.
    Row(
        "auth.login_code",
        "/auth/login/code",
        get=(LOGIN, HOME, HOME, HOME, HOME, HOME),
        post=(LOGIN, HOME, HOME, HOME, HOME, HOME),
        data={"code": "123456"},
    ),
    Row("auth.logout", "/auth/logout", post=(LOGIN,) * 6),
    Row(
        "auth.reauthenticate",
        "/auth/reauthenticate",
        get=SIGNED_IN,
        post=(LOGIN, 422, 422, 422, 422, 422),
        data={"password": "wrong"},
    ),
    Row(
        "auth.forgot_password",
        "/auth/forgot",
        get=PUBLIC,
        post=(422,) * 6,
        data={"email": ""},
    ),
    Row("auth.reset_password", "/auth/reset/{reset_token}", get=BY_LINK),
    Row(
        "auth.reset_password",
        "/auth/reset/not-a-token",
        post=(NOT_FOUND,) * 6,
        data={"password": "a long enough new password", "confirm": "a long enough new password"},
    ),
    Row("auth.accept_invitation", "/auth/invitation/{invitation_token}", get=BY_LINK),
    Row(
        "auth.accept_invitation",
        "/auth/invitation/not-a-token",
        post=(NOT_FOUND,) * 6,
        data={"password": "a long enough new password", "confirm": "a long enough new password"},
    ),
    # --- Two-factor authentication (only the admin has it on) ------------------------------
    Row("auth.two_factor.manage", "/auth/two-factor/", get=SIGNED_IN),
    Row(
        "auth.two_factor.setup",
        "/auth/two-factor/setup",
        get=(LOGIN, OK, OK, OK, OK, Redirect("/auth/two-factor/")),
        post=(LOGIN, 422, 422, 422, 422, Redirect("/auth/two-factor/")),
        data={"code": "000000"},
    ),
    # Codes are shown once, right after they are made; otherwise the page sends you on.
    Row(
        "auth.two_factor.recovery_codes",
        "/auth/two-factor/recovery-codes",
        get=(LOGIN, *(Redirect("/auth/two-factor/"),) * 5),
    ),
    Row(
        "auth.two_factor.new_recovery_codes",
        "/auth/two-factor/recovery-codes/new",
        post=(LOGIN, *(Redirect("/auth/two-factor/"),) * 4, SKIP),
    ),
    Row(
        "auth.two_factor.disable",
        "/auth/two-factor/disable",
        post=(LOGIN, *(Redirect("/auth/two-factor/"),) * 4, 422),
        data=_two_factor_disable,
    ),
    # --- One's own account ---------------------------------------------------------------
    Row("accounts.profile", "/account/", get=SIGNED_IN, post=OWN_CHANGE, data={"name": "New"}),
    Row(
        "accounts.change_password",
        "/account/password",
        post=(LOGIN, 422, 422, 422, 422, 422),
        data={"pw-current": "wrong", "pw-password": "x", "pw-confirm": "y"},
    ),
    Row(
        "accounts.change_email",
        "/account/email",
        get=SIGNED_IN,
        post=(LOGIN, 422, 422, 422, 422, 422),
        data={"email": "new@example.org", "password": "wrong"},
    ),
    Row("accounts.confirm_email", "/account/email/confirm/{email_token}", get=BY_LINK),
    Row("accounts.confirm_email", "/account/email/confirm/not-a-token", post=(NOT_FOUND,) * 6),
    Row(
        "api_tokens.index",
        "/account/tokens/",
        get=SIGNED_IN,
        post=OWN_CHANGE,
        data={"name": "HR portal", "scope": "holder"},
    ),
    Row("api_tokens.revoke", "/account/tokens/{token}/revoke", post=OWNER_CHANGE),
    Row("notifications.index", "/notifications/", get=SIGNED_IN),
    Row(
        "notifications.mark_read",
        "/notifications/read",
        post=(LOGIN, *(Redirect("/notifications/"),) * 5),
        data={"id": "999999"},
    ),
    Row(
        "notifications.preferences",
        "/notifications/preferences",
        post=(LOGIN, *(Redirect("/account/"),) * 5),
        data={"reminders": "on", "digests": "on"},
    ),
    Row("notifications.outbox", "/notifications/outbox", get=ADMINS),
    # --- Privacy -------------------------------------------------------------------------
    Row("privacy.policy", "/privacy/", get=PUBLIC),
    Row("privacy.my_data", "/privacy/my-data", get=SIGNED_IN),
    # Each person's own data: a safe sample of a change (an audit entry).
    Row("privacy.export_data", "/privacy/my-data/export", post=(LOGIN, OK, OK, OK, OK, OK)),
    Row(
        "privacy.request_erasure",
        "/privacy/my-data/erasure",
        post=OWN_CHANGE,
        data={"certificates": "keep", "confirm": "y"},
    ),
    Row(
        "privacy.withdraw_erasure",
        "/privacy/my-data/erasure/withdraw",
        post=(LOGIN, Redirect("/privacy/my-data"), SKIP, *(Redirect("/privacy/my-data"),) * 3),
    ),
    Row("privacy.admin_list", "/privacy/admin/", get=ADMINS),
    Row("privacy.admin_detail", "/privacy/admin/{erasure}", get=ADMINS),
    Row(
        "privacy.approve",
        "/privacy/admin/{erasure}/approve",
        post=ADMINS_CHANGE,
        data={"confirm": "y"},
    ),
    Row(
        "privacy.refuse",
        "/privacy/admin/{erasure}/refuse",
        post=ADMINS_CHANGE,
        data={"reason": "Open matters first."},
    ),
    # --- Courses: every member of a cohort of the course, and admins ---------------------
    Row("courses.catalogue", "/courses/", get=SIGNED_IN),
    Row("courses.search", "/courses/search?q=partner", get=SIGNED_IN),
    Row("courses.course", "/courses/{course}/", get=SIGNED_IN),
    Row("courses.derivation", "/courses/{course}/derivation", get=SIGNED_IN),
    Row("courses.lesson", "/courses/{course}/lessons/{lesson}", get=SIGNED_IN),
    Row(
        "courses.complete_lesson",
        "/courses/{course}/lessons/{lesson}/complete",
        # Trainees mark their own progress (a safe sample); nobody else has any to mark.
        post=(LOGIN, Redirect("/courses/"), Redirect("/courses/"), 403, 403, 403),
    ),
    Row("courses.toolbox", "/courses/{course}/toolbox", get=SIGNED_IN),
    Row("courses.toolbox_item", "/courses/{course}/toolbox/{toolbox_item}", get=SIGNED_IN),
    Row(
        "courses.toolbox_template",
        "/courses/{course}/toolbox/{toolbox_item}/template.md",
        get=SIGNED_IN,
    ),
    Row("courses.case_study", "/courses/{course}/modules/{module_slug}/case-study", get=SIGNED_IN),
    Row(
        "courses.progress",
        "/courses/{course}/progress",
        get=GRADERS,
        hides_owner_from=frozenset({"outsider_trainer"}),
    ),
    # --- A trainee's answers -------------------------------------------------------------
    Row(
        "assessments.save_draft",
        "/assessments/modules/{module}/draft",
        # Trainees of the cohort write their own answers; the others are not enrolled.
        post=(LOGIN, SKIP, SKIP, CONFLICT, CONFLICT, CONFLICT),
        data={"answer": "Not my answer."},
    ),
    Row("assessments.submission", "/assessments/submissions/{submission}", get=OWNER_ONLY),
    Row(
        "assessments.submit",
        "/assessments/submissions/{submission}/submit",
        # Already submitted: the owner is sent to the submission's page.
        get=(LOGIN, Redirect("/assessments/submissions/"), *(NOT_FOUND,) * 4),
        post=OWNER_CHANGE,
        data=lambda world: {"version": str(world.ids["submission_version"])},
    ),
    Row(
        "assessments.withdraw", "/assessments/submissions/{submission}/withdraw", post=OWNER_CHANGE
    ),
    # Naming someone else's attempt, or removing its files, finds nothing.
    Row(
        "assessments.save_draft",
        "/assessments/modules/{draft_module}/draft",
        post=(LOGIN, SKIP, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        data=lambda world: {
            "answer": "Half",
            "submission_id": str(world.ids["draft"]),
            "remove": str(world.ids["draft_attachment"]),
        },
    ),
    Row(
        "assessments.autosave",
        "/assessments/modules/{module}/autosave",
        post=(LOGIN, SKIP, SKIP, CONFLICT, CONFLICT, CONFLICT),
        data={"answer": "Not my answer."},
    ),
    Row(
        "assessments.autosave",
        "/assessments/modules/{draft_module}/autosave",
        post=(LOGIN, SKIP, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        data=lambda world: {"answer": "Not mine", "submission_id": str(world.ids["draft"])},
    ),
    # The preview renders what was sent and keeps nothing.
    Row(
        "assessments.preview",
        "/assessments/preview",
        post=(LOGIN, OK, OK, OK, OK, OK),
        data={"answer": "**bold**"},
    ),
    Row(
        "assessments.download",
        "/assessments/attachments/{attachment}",
        get=(LOGIN, OK, NOT_FOUND, NOT_FOUND, OK, OK),
    ),
    # Graders see a draft neither in grading (404) nor through its files.
    Row(
        "assessments.download",
        "/assessments/attachments/{draft_attachment}",
        get=(LOGIN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    ),
    Row("grading.grade", "/grading/submissions/{draft}", get=ITS_GRADERS[:4] + (404, 404)),
    # --- Grading ---------------------------------------------------------------------------
    Row(
        "grading.queue",
        "/grading/",
        get=GRADERS,
        hides_owner_from=frozenset({"outsider_trainer"}),
    ),
    Row("grading.agreement", "/grading/agreement", get=GRADERS),
    Row(
        "grading.grade",
        "/grading/submissions/{submission}",
        get=ITS_GRADERS,
        post=ITS_GRADERS_CHANGE,
        data=lambda world: {f"level__{code}": "4" for code in world.ids["codes"]},
    ),
    Row(
        "grading.claim",
        "/grading/submissions/{submission}/claim",
        # The trainee's trainer starts the review (a safe sample): to the grading page.
        post=(LOGIN, 403, 403, 404, Redirect("/grading/submissions/"), SKIP),
    ),
    Row(
        "grading.return_submission",
        "/grading/submissions/{submission}/return",
        post=ITS_GRADERS_CHANGE,
        data={"reason": "Please add the partner map."},
    ),
    Row(
        "grading.reassign",
        "/grading/submissions/{submission}/reassign",
        post=ADMINS_CHANGE,
        data=lambda world: {"trainer_id": str(world.ids["trainer_id"])},
    ),
    Row("grading.history", "/grading/submissions/{submission}/history", get=ADMINS),
    Row(
        "grading.snippets",
        "/grading/snippets",
        get=GRADERS,
        post=(LOGIN, FORBIDDEN, FORBIDDEN, SKIP, SKIP, SKIP),
        data={"title": "Partner map", "text": "Add the partner map."},
    ),
    Row(
        "grading.delete_snippet",
        "/grading/snippets/{snippet}/delete",
        # A trainer's saved comments are theirs alone, admins' included.
        post=(LOGIN, FORBIDDEN, FORBIDDEN, NOT_FOUND, SKIP, NOT_FOUND),
    ),
    # --- Certificates ------------------------------------------------------------------------
    Row(
        "certificates.mine",
        "/certificates/",
        get=SIGNED_IN,
        hides_owner_from=frozenset({"other_trainee", "outsider_trainer", "trainer", "admin"}),
    ),
    Row("certificates.download", "/certificates/{certificate}.pdf", get=OWNER_ONLY),
    Row("certificates.admin_list", "/admin/certificates", get=ADMINS),
    Row(
        "certificates.pending",
        "/admin/certificates/pending",
        get=(LOGIN, *(FORBIDDEN,) * 4, Redirect("/admin/certificates")),
    ),
    Row(
        "certificates.admin_detail",
        "/admin/certificates/{certificate}",
        get=ADMINS,
        post=ADMINS_CHANGE,
        data={"action": "revoke", "reason": "Issued in error."},
    ),
    Row("certificates_public.jwks", "/.well-known/jwks.json", get=PUBLIC),
    Row("certificates_public.key", "/keys/{kid}", get=PUBLIC),
    Row("certificates_public.status_list", "/status/{status_list}", get=PUBLIC),
    Row("certificates_public.issuer", "/issuer", get=PUBLIC),
    Row("verify.by_id", "/verify/{certificate}", get=PUBLIC),
    Row(
        "verify.form",
        "/verify",
        get=PUBLIC,
        post=(Redirect("/verify/"),) * 6,
        data=lambda world: {"certificate_id": world.ids["certificate"]},
    ),
    # --- The JSON API (each person with their own token) ---------------------------------
    Row("api.openapi", "/api/v1/openapi.json", get=PUBLIC, api=True),
    Row("api.reference", "/api/v1/docs", get=PUBLIC, api=True),
    Row("api.certificate_json", "/api/v1/certificates/{certificate}", get=PUBLIC, api=True),
    Row(
        "api.verify_api",
        "/api/v1/verify",
        post=PUBLIC,
        data=lambda world: {"credential": world.ids["credential"]},
        json=True,
        api=True,
    ),
    Row(
        "api.verify_batch",
        "/api/v1/verify/batch",
        post=PUBLIC,
        data=lambda world: {"items": [world.ids["certificate"]]},
        json=True,
        api=True,
    ),
    # The admin's token reads everything an admin can, but is not a holder's token.
    Row(
        "api.my_certificates",
        "/api/v1/me/certificates",
        get=(UNAUTHORISED, OK, OK, OK, OK, FORBIDDEN),
        api=True,
    ),
    Row(
        "api.certificates",
        "/api/v1/certificates",
        get=(UNAUTHORISED, *(FORBIDDEN,) * 4, OK),
        api=True,
    ),
    Row("api.users", "/api/v1/users", get=(UNAUTHORISED, *(FORBIDDEN,) * 4, OK), api=True),
    Row(
        "api.cohort_progress",
        "/api/v1/cohorts/{cohort}/progress",
        get=(UNAUTHORISED, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK),
        api=True,
    ),
    # --- Reports -------------------------------------------------------------------------
    Row("reports.index", "/reports/", get=ADMINS),
    Row("reports.export", "/reports/pass-rates.csv", get=ADMINS),
    # --- Administration of people and organisations -------------------------------------
    Row("admin.users", "/admin/users", get=ADMINS),
    Row(
        "admin.invite_user",
        "/admin/users/invite",
        get=ADMINS,
        post=ADMINS_CHANGE,
        data={"email": "new.admin@example.org", "name": "New Admin", "roles": ["admin"]},
    ),
    Row(
        "admin.edit_user",
        "/admin/users/{invited}",
        get=ADMINS,
        post=ADMINS_CHANGE,
        data={"name": "Hacked", "roles": ["admin"], "active": "y"},
    ),
    Row("admin.resend_invitation", "/admin/users/{invited}/resend-invitation", post=ADMINS_CHANGE),
    Row("admin.organisations", "/admin/organisations", get=ADMINS),
    Row(
        "admin.edit_organisation",
        "/admin/organisations/new",
        get=ADMINS,
        post=ADMINS_CHANGE,
        data={"name": "Rogue Agency", "country": "DE", "region": "Saxony"},
    ),
    Row(
        "admin.edit_organisation",
        "/admin/organisations/{organisation}",
        get=ADMINS,
        post=ADMINS_CHANGE,
        data={"name": "Renamed Agency", "country": "DE", "region": "Saxony"},
    ),
    # --- Administration of cohorts ---------------------------------------------------------
    Row("cohorts.index", "/admin/cohorts", get=ADMINS),
    Row(
        "cohorts.new",
        "/admin/cohorts/new",
        get=ADMINS,
        post=ADMINS_CHANGE,
        data=lambda world: {
            "course_id": str(world.ids["course_id"]),
            "name": "Rogue cohort",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "late_policy": "refuse",
        },
    ),
    Row("cohorts.detail", "/admin/cohorts/{cohort}", get=ADMINS),
    Row(
        "cohorts.edit",
        "/admin/cohorts/{cohort}/edit",
        post=ADMINS_CHANGE,
        data={
            "cohort-name": "Renamed",
            "cohort-starts_on": "2026-01-01",
            "cohort-ends_on": "2026-12-31",
            "cohort-late_policy": "refuse",
        },
    ),
    Row("cohorts.deadlines", "/admin/cohorts/{cohort}/deadlines", post=ADMINS_CHANGE),
    Row(
        "cohorts.add_member",
        "/admin/cohorts/{cohort}/members",
        post=ADMINS_CHANGE,
        data=lambda world: {
            "member-email": world.ids["outsider_email"],
            "member-role": "trainer",
            "member-lead": "y",
        },
    ),
    Row(
        "cohorts.remove_member",
        "/admin/cohorts/{cohort}/members/{trainee_id}/trainee/remove",
        post=ADMINS_CHANGE,
    ),
    Row(
        "cohorts.import_csv",
        "/admin/cohorts/{cohort}/import",
        post=ADMINS_CHANGE,
        data=lambda world: {
            "csv-file": (io.BytesIO(b"email,name,role\nx@example.org,X,trainee\n"), "people.csv")
        },
    ),
)


# --- The set-up ------------------------------------------------------------------------------


@dataclass
class World:
    """The objects the URLs name, and how each person is signed in."""

    ids: dict[str, Any]
    #: Each person's session cookie (None for the anonymous visitor).
    cookies: dict[str, str | None] = field(default_factory=dict)
    #: Each person's API token (None for the anonymous visitor).
    tokens: dict[str, str | None] = field(default_factory=dict)


def _person_users(setup: Setup) -> dict[str, Any]:
    return {
        "anonymous": None,
        "trainee": setup.trainee,
        "other_trainee": setup.other_trainee,
        "outsider_trainer": setup.outsider_trainer,
        "trainer": setup.trainer,
        "admin": setup.admin,
    }


def _session_cookie(app: Flask, client: FlaskClient) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session after logging in"
    return cookie.value


def _sign_in(app: Flask, user: Any, secret: bytes | None) -> str:
    """Log in through the real forms (password, then the code for the admin)."""
    client = app.test_client()
    if secret is None:
        assert login(client, user.email).status_code == 302
    else:
        assert password_step(client, user).headers["Location"].endswith("/auth/login/code")
        assert code_step(client, totp_code(secret)).status_code == 302
    return _session_cookie(app, client)


def _build_world(app: Flask, setup: Setup) -> World:
    submission = submitted(app, setup, with_file=True)
    with app.test_request_context():
        # An answer still being written, with a file: the trainee's alone until submitted.
        trainee = db.session.merge(setup.trainee)
        other_module = db.session.scalars(
            sa.select(Module).where(
                Module.course_id == setup.course.id,
                Module.id != setup.module.id,
                Module.retired_at.is_(None),
                Module.case_study.has(),
            )
        ).first()
        draft = assessments.save_draft(trainee, other_module, "Half", expected_version=None)
        draft_file = assessments.add_attachment(
            trainee, draft, io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "draft.pdf"
        )
        draft_ids = {
            "draft": draft.id,
            "draft_attachment": draft_file.id,
            "draft_module": other_module.id,
        }
        db.session.commit()
    with app.app_context():
        attachment = db.session.scalars(
            sa.select(Attachment).filter_by(submission_id=submission.id)
        ).one()
        certificate: Certificate = issue(setup.trainee)
        invited = UserFactory(invited=True, name="Ina Invited")
        snippet = CommentSnippet(trainer_id=setup.trainer.id, title="Map", text="Add the map.")
        db.session.add(snippet)
        privacy.request_erasure(setup.other_trainee, CertificateChoice.KEEP)
        erasure = privacy.pending_request(setup.other_trainee)
        day = dt.timedelta(days=1)
        reset_token = accounts.issue_token(setup.trainee, TokenPurpose.PASSWORD_RESET, day)
        invitation_token = accounts.issue_token(invited, TokenPurpose.INVITATION, day)
        email_token = accounts.issue_token(
            setup.trainee, TokenPurpose.EMAIL_CHANGE, day, new_email="tina.new@example.org"
        )
        tokens: dict[str, str | None] = {"anonymous": None}
        token_ids: dict[str, int] = {}
        for name, user in _person_users(setup).items():
            if user is None:
                continue
            scope = Scope.ADMIN_READ if name == "admin" else Scope.HOLDER
            row, raw = api_tokens.create_token(user, f"{name}'s token", scope)
            tokens[name], token_ids[name] = raw, row.id
        module = db.session.get(Module, setup.module.id)
        lesson = next(lesson for lesson in module.lessons if lesson.retired_at is None)
        toolbox_item = module.toolbox_items[0]
        db.session.flush()
        ids = {
            "course": setup.course.slug,
            "course_id": setup.course.id,
            "cohort": setup.cohort.id,
            "module": setup.module.id,
            "module_slug": setup.module.slug,
            "lesson": lesson.slug,
            "toolbox_item": toolbox_item.slug,
            "codes": setup.codes,
            "submission": submission.id,
            "submission_version": submission.version,
            "attachment": attachment.id,
            **draft_ids,
            "certificate": certificate.public_id,
            "credential": certificate.credential,
            "kid": certificate.key_id,
            "status_list": certificate.status_list_id,
            "snippet": snippet.id,
            "erasure": erasure.id if erasure else None,
            "invited": invited.id,
            "organisation": setup.trainee.organisation_id,
            "trainee_id": setup.trainee.id,
            "trainer_id": setup.trainer.id,
            "outsider_email": setup.outsider_trainer.email,
            "owner_name": setup.trainee.name,
            "token": token_ids["trainee"],
            "reset_token": reset_token,
            "invitation_token": invitation_token,
            "email_token": email_token,
        }
        db.session.commit()
    secret, _codes = enrol(app, setup.admin)
    cookies = {
        name: None if user is None else _sign_in(app, user, secret if name == "admin" else None)
        for name, user in _person_users(setup).items()
    }
    return World(ids=ids, cookies=cookies, tokens=tokens)


@pytest.fixture
def world(grading_setup: Setup, app: Flask) -> World:  # noqa: F811 (the fixture imported above)
    """The grading set-up (tests/grading/conftest.py) and all the matrix names besides."""
    return _build_world(app, grading_setup)


@pytest.fixture
def admins_need_two_factor(app: Flask) -> Iterator[None]:
    """As in production: an admin without two-factor authentication gets nowhere."""
    app.config["ADMIN_REQUIRE_2FA"] = True
    try:
        yield
    finally:
        app.config["ADMIN_REQUIRE_2FA"] = False


# --- Requesting and judging a cell -----------------------------------------------------------


def _fill(url: str, values: Mapping[str, Any]) -> str:
    return string.Formatter().vformat(url, (), values)


def _data_for(row: Row, world: World) -> Mapping[str, Any] | None:
    return row.data(world) if callable(row.data) else row.data


def _request(app: Flask, world: World, row: Row, person: str, method: str, url: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    headers = {}
    if row.api:
        token = world.tokens[person]
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
    elif (cookie := world.cookies[person]) is not None:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    kwargs: dict[str, Any] = {"headers": headers}
    if row.remote_addr:
        kwargs["environ_base"] = {"REMOTE_ADDR": row.remote_addr}
    if method == "POST":
        data = _data_for(row, world)
        kwargs["json" if row.json else "data"] = data
    response = client.open(url, method=method, **kwargs)
    response.close()
    return response


def _describe(response) -> str:  # type: ignore[no-untyped-def]
    location = response.headers.get("Location")
    return (
        f"{response.status_code} to {urlsplit(location).path}"
        if location
        else str(response.status_code)
    )


def _matches(want: Outcome, response) -> bool:  # type: ignore[no-untyped-def]
    location = urlsplit(response.headers.get("Location", "")).path
    if want == LOGIN:
        return response.status_code == 302 and location == "/auth/login"
    if isinstance(want, Redirect):
        return (
            response.status_code in {301, 302, 303}
            and location.startswith(want.path)
            and location != "/auth/login"
        )
    return response.status_code == want


def _refusal(want: Outcome) -> bool:
    return want == LOGIN or (isinstance(want, int) and want >= 400)


#: Rows every request may touch (the session's last use, a token's last use, request logs).
_TOUCHED_BY_ANY_REQUEST = {"user_sessions", "api_tokens"}


def _fingerprint() -> str:
    """A digest of every row the application can change (the shipped courses aside)."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        if table.name in SESSION_TABLES | _TOUCHED_BY_ANY_REQUEST:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        for row in db.session.execute(sa.select(table).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
    db.session.remove()
    return digest.hexdigest()


# --- The tests -------------------------------------------------------------------------------


def _dummy_values() -> defaultdict[str, str]:
    return defaultdict(lambda: "1")


def test_every_route_has_a_row(app: Flask) -> None:
    """Whoever adds a route adds its row here: who may open it."""
    adapter = app.url_map.bind("lms.example.test")
    covered_rules = set()
    for row in ROWS:
        path = urlsplit(_fill(row.url, _dummy_values())).path
        method = "GET" if row.get is not None else "POST"
        rule, _args = adapter.match(path, method=method, return_rule=True)
        assert rule.endpoint == row.endpoint, f"{row.url} is {rule.endpoint}, not {row.endpoint}"
        covered_rules.add(rule.rule)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    missing = sorted(endpoints - {row.endpoint for row in ROWS})
    assert not missing, f"routes without a row in the access matrix: {', '.join(missing)}"
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint != "static"}
    assert not rules - covered_rules, f"URLs without a row: {sorted(rules - covered_rules)}"


def test_rows_say_what_each_method_gets(app: Flask) -> None:
    """The rows of a route name the methods it takes (GET, POST), and only those."""
    declared: defaultdict[str, set[str]] = defaultdict(set)
    for row in ROWS:
        declared[row.endpoint] |= {"GET"} if row.get is not None else set()
        declared[row.endpoint] |= {"POST"} if row.post is not None else set()
    taken: defaultdict[str, set[str]] = defaultdict(set)
    for rule in app.url_map.iter_rules():
        taken[rule.endpoint] |= (rule.methods or set()) & {"GET", "POST"}
    wrong = {e: (declared[e], taken[e]) for e in declared if declared[e] != taken[e]}
    assert not wrong, f"rows (declared, taken) that miss or invent a method: {wrong}"


def test_each_person_gets_what_the_matrix_says(
    app: Flask, admins_need_two_factor: None, world: World, subtests: Any
) -> None:
    """Every cell of the matrix, requested as that person; refused POSTs change nothing."""
    connection = db.session.get_bind()
    for row in ROWS:
        url = _fill(row.url, world.ids)
        for method, cells in (("GET", row.get), ("POST", row.post)):
            if cells is None:
                continue
            for person, want in zip(PEOPLE, cells, strict=True):
                if want is SKIP:
                    continue
                with subtests.test(msg=f"{method} {row.endpoint} as {person}"):
                    _check_cell(app, world, connection, row, person, method, url, want)


def _check_cell(app, world, connection, row, person, method, url, want) -> None:  # type: ignore[no-untyped-def]
    """Request one cell inside a savepoint, so that no cell sees what another changed."""
    with app.app_context():
        limiter.reset()
    db.session.remove()
    savepoint = connection.begin_nested()
    try:
        before = _fingerprint() if method == "POST" and _refusal(want) else None
        response = _request(app, world, row, person, method, url)
        where = f"{method} {url} ({row.endpoint}) as {person}"
        assert _matches(want, response), f"{where}: expected {want}, got {_describe(response)}"
        if before is not None:
            assert _fingerprint() == before, f"{where}: refused, but the database changed"
        if person in row.hides_owner_from and response.status_code == OK:
            body = response.get_data(as_text=True)
            owner = world.ids["owner_name"]
            assert owner not in body, f"{where}: the page shows {owner}, whom it should not"
    finally:
        db.session.remove()
        savepoint.rollback()

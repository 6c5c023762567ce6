"""The privacy page, a person's own data (export, erasure request) and the admins' decisions."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.models import Role
from lms.audit import services as audit
from lms.db import db, utcnow
from lms.extensions import limiter
from lms.permissions import fresh_login_required, role_required
from lms.privacy import export, services
from lms.privacy.forms import ApproveForm, ErasureRequestForm, ExportForm, RefuseForm
from lms.privacy.models import CertificateChoice, ErasureRequest, ErasureState
from lms.privacy.services import PrivacyError
from lms.rendering import render_form

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


@bp.route("/")
def policy():  # type: ignore[no-untyped-def]
    return render_template(
        "privacy/policy.html",
        retention_days=int(current_app.config["RETENTION_DAYS_AFTER_COHORT"]),
        cookie_name=current_app.config["SESSION_COOKIE_NAME"],
        locale_cookie=_locale_cookie(),
    )


def _locale_cookie() -> str | None:
    """The language switch's cookie, if the application sets one."""
    try:
        from lms.i18n import COOKIE
    except ImportError:
        return None
    return str(COOKIE)


# --- A person's own data ---------------------------------------------------------------------


def _my_data_page(erasure_form: ErasureRequestForm | None = None):  # type: ignore[no-untyped-def]
    return render_form(
        "privacy/my_data.html",
        export_form=ExportForm(),
        erasure_form=erasure_form or ErasureRequestForm(),
        pending=services.pending_request(current_user),
        history=services.requests_of(current_user),
        fresh_minutes=int(current_app.config["FRESH_LOGIN_MINUTES"]),
        certificates_held=services.certificates_held(current_user),
    )


@bp.route("/my-data")
@login_required
def my_data():  # type: ignore[no-untyped-def]
    return _my_data_page()


@bp.route("/my-data/export", methods=["POST"])
@login_required
@fresh_login_required
@limiter.limit("10 per hour", methods=["POST"])
def export_data():  # type: ignore[no-untyped-def]
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    archive, manifest = export.build_zip(current_user)
    audit.record("privacy.exported", "users", current_user.id, actor=current_user, records=manifest)
    name = f"my-data-{utcnow():%Y-%m-%d}.zip"
    response = Response(archive.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/my-data/erasure", methods=["POST"])
@login_required
@fresh_login_required
def request_erasure():  # type: ignore[no-untyped-def]
    form = ErasureRequestForm()
    if form.validate_on_submit():
        try:
            services.request_erasure(current_user, CertificateChoice(form.certificates.data))
        except PrivacyError as error:
            flash(str(error), "error")
            return redirect(url_for("privacy.my_data"))
        flash(
            _("Your request is sent. An admin will decide on it; you will be told by e-mail."),
            "success",
        )
        return redirect(url_for("privacy.my_data"))
    return _my_data_page(form)


@bp.route("/my-data/erasure/withdraw", methods=["POST"])
@login_required
def withdraw_erasure():  # type: ignore[no-untyped-def]
    form = ExportForm()  # the CSRF token only
    row = services.pending_request(current_user)
    if not form.validate_on_submit() or row is None:
        flash(_("There is no open request to withdraw."), "error")
        return redirect(url_for("privacy.my_data"))
    services.withdraw(current_user, row)
    flash(_("Your request is withdrawn. Your account stays as it is."), "success")
    return redirect(url_for("privacy.my_data"))


# --- Admins ----------------------------------------------------------------------------------


@bp.route("/admin/")
@role_required(Role.ADMIN)
def admin_list():  # type: ignore[no-untyped-def]
    return render_template(
        "privacy/admin_list.html",
        pending=services.pending_requests(),
        decided=services.decided_requests(),
    )


def _request_or_404(request_id: int) -> ErasureRequest:
    row = db.session.get(ErasureRequest, request_id)
    if row is None:
        abort(404)
    return row


def _detail_page(
    row: ErasureRequest,
    approve_form: ApproveForm | None = None,
    refuse_form: RefuseForm | None = None,
    problem: str | None = None,
):  # type: ignore[no-untyped-def]
    pending = row.state == ErasureState.PENDING and row.user is not None
    return render_form(
        "privacy/admin_detail.html",
        row=row,
        person=row.user if pending else None,
        matters=services.open_matters(row.user) if pending else None,
        approve_form=approve_form or ApproveForm(),
        refuse_form=refuse_form or RefuseForm(),
        problem=problem,
        own=row.user_id == current_user.id,
    )


@bp.route("/admin/<int:request_id>")
@role_required(Role.ADMIN)
def admin_detail(request_id: int):  # type: ignore[no-untyped-def]
    return _detail_page(_request_or_404(request_id))


@bp.route("/admin/<int:request_id>/approve", methods=["POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def approve(request_id: int):  # type: ignore[no-untyped-def]
    row = _request_or_404(request_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            summary = services.approve(row, current_user)
        except PrivacyError as error:
            return _detail_page(row, approve_form=form, problem=str(error))
        flash(
            _(
                "The account is erased: %(s)d submissions and %(f)d files deleted, "
                "%(r)d certificates revoked, %(k)d kept verifiable.",
                s=summary["submissions_deleted"],
                f=summary["files_deleted"],
                r=summary["certificates_revoked"],
                k=summary["certificates_kept"],
            ),
            "success",
        )
        return redirect(url_for("privacy.admin_detail", request_id=row.id))
    return _detail_page(row, approve_form=form)


@bp.route("/admin/<int:request_id>/refuse", methods=["POST"])
@role_required(Role.ADMIN)
def refuse(request_id: int):  # type: ignore[no-untyped-def]
    row = _request_or_404(request_id)
    form = RefuseForm()
    if form.validate_on_submit():
        try:
            services.refuse(row, form.reason.data or "", current_user)
        except PrivacyError as error:
            return _detail_page(row, refuse_form=form, problem=str(error))
        flash(_("The request is refused; the person is told why."), "success")
        return redirect(url_for("privacy.admin_detail", request_id=row.id))
    return _detail_page(row, refuse_form=form)

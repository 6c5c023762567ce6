"""Certificates for people with an account: the holder's own page and downloads, and the
admins' list with approval, revocation, suspension and reinstatement."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import orm

from lms.accounts.models import Role
from lms.certificates import credentials, queries, services
from lms.certificates.models import Certificate, CertificateStatus
from lms.db import db
from lms.permissions import fresh_login_required, role_required

bp = Blueprint("certificates", __name__)


def _own(public_id: str) -> Certificate:
    certificate = queries.lookup(public_id)
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    return certificate


@bp.route("/certificates/")
@login_required
def mine():  # type: ignore[no-untyped-def]
    rows = db.session.scalars(
        sa.select(Certificate)
        .where(Certificate.user_id == current_user.id)
        .options(orm.selectinload(Certificate.course))
        .order_by(Certificate.created_at.desc())
    ).all()
    return render_template(
        "certificates/mine.html", rows=rows, linkedin=_linkedin_url, verify_url=queries.verify_url
    )


def _linkedin_url(certificate: Certificate) -> str:
    """LinkedIn's "add a licence or certification" link, prefilled."""
    issued, expires = certificate.issued_at, certificate.expires_at
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate.course.title,
        "organizationName": credentials.issuer_profile()["name"],
        "certId": certificate.public_id,
        "certUrl": queries.verify_url(certificate),
    }
    if issued is not None:
        params.update(issueYear=str(issued.year), issueMonth=str(issued.month))
    if expires is not None:
        params.update(expirationYear=str(expires.year), expirationMonth=str(expires.month))
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


@bp.route("/certificates/<public_id>.<any(pdf, jwt, json):kind>")
@login_required
def download(public_id: str, kind: str):  # type: ignore[no-untyped-def]
    certificate = _own(public_id)
    if not queries.is_published(certificate):
        abort(404)
    return _file(certificate, kind)


def _file(certificate: Certificate, kind: str) -> Response:
    name = certificate.public_id
    if kind == "jwt":
        body, mimetype = certificate.credential or "", "application/jwt"
    elif kind == "json":
        body = json.dumps(
            {
                "id": name,
                "credential": certificate.credential,
                "verify_url": queries.verify_url(certificate),
            },
            indent=2,
        )
        mimetype = "application/json"
    else:
        from lms.certificates.pdf import render_certificate_pdf

        body = render_certificate_pdf(
            certificate,
            issuer_name=credentials.issuer_profile()["name"],
            verify_url=queries.verify_url(certificate),
        )
        mimetype = "application/pdf"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Administration ------------------------------------------------------------------------------


@bp.route("/admin/certificates")
@role_required(Role.ADMIN)
def admin_list():  # type: ignore[no-untyped-def]
    status = request.args.get("status", "")
    query = (
        sa.select(Certificate)
        .options(orm.selectinload(Certificate.user), orm.selectinload(Certificate.course))
        .order_by(Certificate.created_at.desc())
    )
    if status in {s.value for s in CertificateStatus}:
        query = query.where(Certificate.status == CertificateStatus(status))
    search = request.args.get("q", "").strip()[:80]
    if search:
        from lms.accounts.models import User

        query = query.join(Certificate.user).where(
            sa.or_(
                Certificate.public_id.ilike(f"%{search.replace('%', '')}%"),
                User.name.ilike(f"%{search.replace('%', '')}%"),
            )
        )
    page = db.paginate(query, per_page=25, max_per_page=100, error_out=False)
    return render_template(
        "certificates/admin_list.html",
        page=page,
        status=status,
        search=search,
        statuses=list(CertificateStatus),
    )


@bp.route("/admin/certificates/<public_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def admin_detail(public_id: str):  # type: ignore[no-untyped-def]
    certificate = queries.lookup(public_id) or abort(404)
    if request.method == "POST":
        action = request.form.get("action", "")
        reason = request.form.get("reason", "")
        try:
            outcome = _apply(certificate, action, reason)
        except services.CertificateError as error:
            flash(str(error), "error")
            return render_template(
                "certificates/admin_detail.html",
                certificate=certificate,
                verify_url=queries.verify_url(certificate),
            ), 422
        flash(
            _(
                "Done: %(id)s is now %(status)s.",
                id=certificate.public_id,
                status=certificate.status.value,
            ),
            "success",
        )
        shown = outcome if action == "renew" else certificate
        return redirect(url_for("certificates.admin_detail", public_id=shown.public_id))
    return render_template(
        "certificates/admin_detail.html",
        certificate=certificate,
        verify_url=queries.verify_url(certificate),
    )


def _apply(certificate: Certificate, action: str, reason: str) -> Certificate:
    actions = {
        "approve": lambda: services.approve(certificate, current_user),
        "revoke": lambda: services.revoke(certificate, reason, current_user),
        "suspend": lambda: services.suspend(certificate, reason, current_user),
        "reinstate": lambda: services.reinstate(certificate, current_user, reason),
        "renew": lambda: services.renew(certificate, current_user),
    }
    if action not in actions:
        abort(400)
    return actions[action]()


@bp.route("/admin/certificates/pending")
@role_required(Role.ADMIN)
def pending():  # type: ignore[no-untyped-def]
    return redirect(url_for("certificates.admin_list", status="pending_approval"))

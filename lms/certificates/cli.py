"""`lms keys list|rotate|revoke` and `lms certificates verify|reissue`."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from lms.certificates import files
from lms.certificates import keys as key_service
from lms.certificates.models import Certificate
from lms.db import db

MAX_JWKS_BYTES = 1024 * 1024
_MARKS = {True: "✓", False: "✗", None: "–"}


@click.group("keys")
def keys() -> None:
    """Manage the keys that sign certificates."""


@keys.command("list")
@with_appcontext
def list_keys() -> None:
    """Show every signing key, its state and how many certificates it signed."""
    counts = dict(
        db.session.execute(
            sa.select(Certificate.key_id, sa.func.count()).group_by(Certificate.key_id)
        ).all()
    )
    rows = key_service.all_keys()
    if not rows:
        click.echo("No signing keys yet: one is created when the first certificate is issued.")
    for key in rows:
        state = "revoked" if key.revoked_at else "retired" if key.retired_at else "current"
        extra = f", compromised {key.compromised_at:%Y-%m-%d %H:%M}" if key.compromised_at else ""
        click.echo(
            f"{key.kid}  {state:<8} created {key.created_at:%Y-%m-%d}{extra}  "
            f"{counts.get(key.kid, 0)} certificate(s)  {key_service.kid_url(key.kid)}"
        )


@keys.command("rotate")
@with_appcontext
def rotate() -> None:
    """Make a new current key; the old one retires but still verifies what it signed."""
    new, retired = key_service.rotate()
    db.session.commit()
    old = ", ".join(k.kid for k in retired) or "none"
    click.echo(f"New signing key {new.kid} is current. Retired (still verifying): {old}.")


@keys.command("revoke")
@click.argument("kid")
@click.option(
    "--compromised-at",
    default=None,
    help="ISO 8601 time (UTC if no offset) from which the key was in wrong hands.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def revoke(kid: str, compromised_at: str | None, yes: bool) -> None:
    """Withdraw a key: it leaves the JWKS and what it signed fails verification."""
    moment = _parse_time(compromised_at) if compromised_at else None
    key = key_service.get_key(kid)
    if key is None:
        raise click.ClickException(f"No signing key {kid!r}. See 'lms keys list'.")
    signed = db.session.scalar(
        sa.select(sa.func.count()).select_from(Certificate).filter_by(key_id=kid)
    )
    scope = f"signed after {moment:%Y-%m-%d %H:%M} UTC" if moment else "signed by it"
    if not yes:
        click.confirm(
            f"Revoke key {kid}? The {signed} certificate(s) {scope} will fail verification "
            "until re-issued.",
            abort=True,
        )
    try:
        _, replacement = key_service.revoke(kid, compromised_at=moment)
    except key_service.SigningKeyError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Revoked signing key {kid}; it is no longer published.")
    if replacement is not None:
        click.echo(f"New current signing key: {replacement.kid}.")
    if signed:
        click.echo(f"Next: lms certificates reissue --key {kid}  ({signed} certificate(s))")


def _parse_time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 time, e.g. 2026-03-01T09:30Z",
            param_hint="--compromised-at",
        ) from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@click.group("certificates")
def certificates() -> None:
    """Verify and re-issue signed certificates."""


@certificates.command("verify")
@click.argument("file_or_token")
@click.option(
    "--jwks",
    "jwks_source",
    default=None,
    help="Verify offline against this JWKS file or URL (instead of this issuer's database).",
)
@with_appcontext
def verify(file_or_token: str, jwks_source: str | None) -> None:
    """Verify a credential (.jwt, .json, PDF or the token itself); exit 0 only if valid."""
    from lms.certificates.verification import verify_token

    token = read_credential(file_or_token)
    jwks = load_jwks(jwks_source) if jwks_source else None
    result = verify_token(token, jwks=jwks, check_status=jwks is None)
    for check in result.checks:
        click.echo(f"{_MARKS[check.passed]} {check.name}: {check.detail}")
    certificate = f" ({result.certificate_id})" if result.certificate_id else ""
    if result.valid:
        note = "" if result.status == "valid" else " - status not checked (offline)"
        click.echo(f"VALID{certificate}{note}")
        return
    failed = ", ".join(check.name for check in result.failed)
    click.echo(f"NOT VALID{certificate}: {result.status} (failed: {failed})")
    raise click.exceptions.Exit(1)


def read_credential(argument: str) -> str:
    """The compact JWS given directly, or found in a .jwt, .json or PDF file."""
    if files.JWS.fullmatch(argument.strip().encode("ascii", "replace")):
        return argument.strip()
    path = Path(argument)
    try:
        if not path.is_file():
            raise click.ClickException(
                "Give a file (.jwt, .json or .pdf) or the signed credential itself."
            )
        if path.stat().st_size > files.MAX_BYTES:
            raise click.ClickException(f"{path} is larger than 50 MB: not a certificate file.")
        data = path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"Cannot read {argument}: {error.strerror}") from None
    try:
        return files.credential_from_bytes(data, path.name)
    except files.NotACredential as error:
        raise click.ClickException(f"{path}: {error}") from None


def load_jwks(source: str) -> dict[str, Any]:
    """A JWKS from a file, or from an http(s) URL with a 5 s timeout."""
    try:
        if source.startswith(("https://", "http://")):
            request = urllib.request.Request(source, headers={"Accept": "application/json"})  # noqa: S310 (scheme checked above)
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (same)
                data = response.read(MAX_JWKS_BYTES + 1)
        else:
            data = Path(source).read_bytes()[: MAX_JWKS_BYTES + 1]
        if len(data) > MAX_JWKS_BYTES:
            raise click.ClickException(f"{source} is larger than 1 MB: not a JWKS.")
        jwks = json.loads(data)
    except (OSError, urllib.error.URLError) as error:
        raise click.ClickException(f"Cannot read the key set {source}: {error}") from None
    except ValueError:
        raise click.ClickException(f"{source} is not JSON.") from None
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise click.ClickException(f'{source} is not a JWKS ({{"keys": [...]}}).')
    return jwks


@certificates.command("reissue")
@click.option(
    "--key", "kid", required=True, help="Re-sign what this (retired or revoked) key signed."
)
@with_appcontext
def reissue(kid: str) -> None:
    """Re-sign, with the current key, every credential a key signed."""
    from lms.certificates import services

    started = time.perf_counter()
    total = len(services.certificates_signed_by(kid))
    try:
        with click.progressbar(length=max(total, 1), label="Re-issuing credentials") as bar:
            summary = services.reissue_for_key(kid, on_certificate=lambda _c: bar.update(1))
    except services.CertificateError as error:
        db.session.rollback()
        raise click.ClickException(f"{error}.") from None
    db.session.commit()
    click.echo(
        f"Re-issued {summary.certificates} certificate(s) signed by {kid} with key "
        f"{summary.new_kid} ({summary.status_lists} status list(s) re-signed) in "
        f"{time.perf_counter() - started:.1f} s."
    )

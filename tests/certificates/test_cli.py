"""`lms keys ...` and `lms certificates verify|reissue`, as an admin and an employer use them."""

import json

import pytest
import sqlalchemy as sa
from fpdf import FPDF

from lms.certificates import keys
from lms.certificates.models import SigningKey
from lms.db import db
from tests.certificates.conftest import b64json, parts


@pytest.fixture
def jwks_file(app, issued, tmp_path):  # type: ignore[no-untyped-def]
    with app.app_context():
        path = tmp_path / "jwks.json"
        path.write_text(json.dumps(keys.jwks()))
    return path


def _pdf_with(token: str, path) -> None:  # type: ignore[no-untyped-def]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Accredited Cooperation Coach")
    pdf.embed_file(bytes=token.encode(), basename="credential.jwt", compress=True)
    pdf.output(str(path))


def test_verify_offline_with_a_jwks_file(runner, issued, jwks_file, tmp_path):
    token_file = tmp_path / "certificate.jwt"
    token_file.write_text(issued.credential + "\n")
    result = runner.invoke(
        args=["certificates", "verify", str(token_file), "--jwks", str(jwks_file)]
    )
    assert result.exit_code == 0, result.output
    for check in ("format", "signature", "issuer", "dates"):
        assert f"✓ {check}:" in result.output
    assert "– status: not checked offline" in result.output
    assert "VALID" in result.output
    assert issued.public_id in result.output
    assert "NOT VALID" not in result.output


def test_verify_reads_json_and_pdf_files_and_the_token_itself(runner, issued, jwks_file, tmp_path):
    as_json = tmp_path / "certificate.json"
    as_json.write_text(json.dumps({"credential": issued.credential}))
    as_pdf = tmp_path / "certificate.pdf"
    _pdf_with(issued.credential, as_pdf)
    assert issued.credential.encode() not in as_pdf.read_bytes()  # compressed inside the PDF
    for source in (str(as_json), str(as_pdf), issued.credential):
        result = runner.invoke(args=["certificates", "verify", source, "--jwks", str(jwks_file)])
        assert result.exit_code == 0, (source[:40], result.output)


def test_verify_online_checks_status_and_record(runner, issued):
    result = runner.invoke(args=["certificates", "verify", issued.credential])
    assert result.exit_code == 0, result.output
    assert "✓ status:" in result.output
    assert "✓ record:" in result.output


def test_a_tampered_token_fails_with_a_non_zero_exit(runner, issued, jwks_file, tmp_path):
    header, _, signature = issued.credential.split(".")
    payload = parts(issued.credential)[1]
    payload["credentialSubject"]["name"] = "Somebody Else"
    tampered = tmp_path / "tampered.jwt"
    tampered.write_text(f"{header}.{b64json(payload)}.{signature}")
    result = runner.invoke(args=["certificates", "verify", str(tampered), "--jwks", str(jwks_file)])
    assert result.exit_code == 1
    assert "✗ signature:" in result.output
    assert "NOT VALID" in result.output
    assert "failed: signature" in result.output
    assert "Traceback" not in result.output


def test_verify_explains_unreadable_input(runner, issued, tmp_path):
    missing = runner.invoke(args=["certificates", "verify", str(tmp_path / "nothing.jwt")])
    assert missing.exit_code != 0
    assert "Give a file" in missing.output
    empty_pdf = tmp_path / "empty.pdf"
    empty_pdf.write_bytes(b"%PDF-1.7\n%%EOF\n")
    no_token = runner.invoke(args=["certificates", "verify", str(empty_pdf)])
    assert no_token.exit_code != 0
    assert "does not carry a signed credential" in no_token.output
    bad_jwks = tmp_path / "bad.json"
    bad_jwks.write_text("[]")
    result = runner.invoke(
        args=["certificates", "verify", issued.credential, "--jwks", str(bad_jwks)]
    )
    assert result.exit_code != 0
    assert "not a JWKS" in result.output


def test_keys_rotate_and_list(runner, app, issued):
    rotated = runner.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert f"Retired (still verifying): {issued.kid}" in rotated.output
    listed = runner.invoke(args=["keys", "list"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert any(
        issued.kid in line and "retired" in line and "1 certificate" in line for line in lines
    )
    assert any("current" in line for line in lines)


def test_keys_revoke_asks_first_then_reissue_fixes_the_certificates(runner, app, issued):
    declined = runner.invoke(args=["keys", "revoke", issued.kid], input="n\n")
    assert declined.exit_code != 0
    assert "Aborted" in declined.output
    with app.app_context():
        assert db.session.get(SigningKey, issued.kid).revoked_at is None

    revoked = runner.invoke(
        args=["keys", "revoke", issued.kid, "--compromised-at", "2020-01-01T00:00Z", "--yes"]
    )
    assert revoked.exit_code == 0, revoked.output
    assert f"Revoked signing key {issued.kid}" in revoked.output
    assert f"lms certificates reissue --key {issued.kid}" in revoked.output
    broken = runner.invoke(args=["certificates", "verify", issued.credential])
    assert broken.exit_code == 1
    assert "was revoked on" in broken.output

    reissued = runner.invoke(args=["certificates", "reissue", "--key", issued.kid])
    assert reissued.exit_code == 0, reissued.output
    assert f"Re-issued 1 certificate(s) signed by {issued.kid}" in reissued.output
    with app.app_context():
        current = db.session.scalar(
            sa.select(SigningKey).where(SigningKey.revoked_at.is_(None))
        ).kid
        from lms.certificates.verification import lookup

        fresh = lookup(issued.public_id).credential
    assert current in reissued.output
    fixed = runner.invoke(args=["certificates", "verify", fresh])
    assert fixed.exit_code == 0, fixed.output


def test_revoke_refuses_unknown_keys_and_bad_dates(runner, issued):
    unknown = runner.invoke(args=["keys", "revoke", "NoSuchKey123", "--yes"])
    assert unknown.exit_code != 0
    assert "No signing key" in unknown.output
    bad_date = runner.invoke(args=["keys", "revoke", issued.kid, "--compromised-at", "yesterday"])
    assert bad_date.exit_code != 0
    assert "ISO 8601" in bad_date.output
    current = runner.invoke(args=["certificates", "reissue", "--key", issued.kid])
    assert current.exit_code != 0
    assert "rotate or revoke it first" in current.output

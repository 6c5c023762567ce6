"""The printable certificate: readable by a person, verifiable from the file alone."""

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lms.certificates.pdf import render_certificate_pdf
from lms.courses.models import LEVEL_NAMES

PUBLIC_ID = "CC-7KQ2-M9XD-4TRB-H8PZ-W3NF"
VERIFY_URL = f"https://lms.example.test/verify/{PUBLIC_ID}"
ISSUER = "Cooperation Coach Accreditation Board"
# Header {"alg":"EdDSA","kid":"k3Q9ZP2M7XW4RT8N"}, a payload, a 64-byte signature.
JWS = (
    "eyJhbGciOiJFZERTQSIsImtpZCI6ImszUTlaUDJNN1hXNFJUOE4ifQ"
    ".eyJqdGkiOiJodHRwczovL2xtcy5leGFtcGxlLnRlc3QvdmVyaWZ5L0NDLTdLUTIifQ"
    ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtMTI"
)
ACTIVITIES = (
    ("KA1", "Raise awareness of partnering for business innovation", "IV", 2),
    ("KA2", "Build the basis for a strategic partnership", "I", 4),
    ("KA3", "Support project engineering", "II", 3),
    ("KA4", "Guide contract negotiation", "III", 2),
    ("KA5", "Accompany the project implementation", "II", 1),
    ("KA6", "Evaluate the cooperation and embed lessons learned", "IV", 0),
)
JWS_IN_FILE = re.compile(rb"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def certificate(**overrides: Any) -> SimpleNamespace:
    """A certificate as the PDF reads it: attributes only, no database."""
    values: dict[str, Any] = {
        "public_id": PUBLIC_ID,
        "user": SimpleNamespace(name="Łukasz Dvořák-Ærø"),
        "course": SimpleNamespace(
            title="Accredited Cooperation Coach", profile=SimpleNamespace(title="Cooperation Coach")
        ),
        "results": [
            {"code": code, "title": title, "priority": priority, "level": level}
            | ({"level_name": LEVEL_NAMES[level]} if level % 2 else {})
            for code, title, priority, level in ACTIVITIES
        ],
        "issued_at": dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC),
        "expires_at": dt.datetime(2028, 3, 14, 9, 30, tzinfo=dt.UTC),
        "status": "valid",
        "key_id": "k3Q9ZP2M7XW4RT8N",
        "credential": JWS,
    }
    return SimpleNamespace(**(values | overrides))


def render(**overrides: Any) -> bytes:
    return render_certificate_pdf(
        certificate(**overrides), issuer_name=ISSUER, verify_url=VERIFY_URL
    )


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed (apt-get install poppler-utils) to read the PDF back")
    return path


def text_of(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(
        [poppler("pdftotext"), "-layout", str(source), "-"], capture_output=True, check=True
    )
    return done.stdout.decode()


def test_the_file_is_a_pdf_that_carries_its_signed_credential_verbatim():
    pdf = render()
    assert pdf.startswith(b"%PDF-")
    assert JWS.encode() in pdf
    # What a simple offline verifier does: find three base64url parts starting with "eyJ".
    assert [m.group().decode() for m in JWS_IN_FILE.finditer(pdf)] == [JWS]


def test_the_credential_is_attached_as_a_named_jwt_file():
    pdf = render()
    assert f"({PUBLIC_ID}.jwt)".encode() in pdf
    assert b"/Subtype /application#2Fjwt" in pdf


def test_the_metadata_names_the_issuer_and_the_certificate():
    pdf = render()
    assert f"/Author ({ISSUER})".encode() in pdf
    assert re.search(rb"/Keywords \([^)]*" + PUBLIC_ID.encode(), pdf)
    assert b"/Title " in pdf
    assert b"/Subject " in pdf


def test_european_names_and_six_key_activities_are_printed(tmp_path):
    text = text_of(render(), tmp_path)
    assert "Łukasz Dvořák-Ærø" in text
    assert "Accredited Cooperation Coach" in text
    assert "Cooperation Coach" in text
    for code, title, priority, level in ACTIVITIES:
        assert re.search(rf"{code}\s+{title}\s+{priority}\s+{level} {LEVEL_NAMES[level]}", text)
    for expected in ("2025-03-14", "14 March 2025", "2028-03-14", PUBLIC_ID, "k3Q9ZP2M7XW4RT8N"):
        assert expected in text
    assert f"Verify at {VERIFY_URL} — this file carries its signed credential" in text


@pytest.mark.parametrize("status", ["revoked", "expired", "suspended", "superseded"])
def test_a_certificate_not_in_force_still_renders_with_a_visible_note(tmp_path, status):
    text = text_of(render(status=status), tmp_path)
    assert status.upper() in text
    assert "VALID" not in text.replace("VALID UNTIL", "")


def test_a_valid_certificate_has_no_status_note(tmp_path):
    text = text_of(render(), tmp_path)
    assert not any(word in text for word in ("REVOKED", "EXPIRED", "SUSPENDED", "SUPERSEDED"))


def test_the_page_renders_to_an_image(tmp_path):
    source = tmp_path / "certificate.pdf"
    source.write_bytes(render(user=SimpleNamespace(name="Ğülşen Ærøskøbing-Łukasiewicz")))
    subprocess.run(
        [poppler("pdftoppm"), "-png", "-r", "60", "-singlefile", str(source), str(tmp_path / "p")],
        check=True,
        capture_output=True,
    )
    png = (tmp_path / "p.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_long_profile_continues_on_a_second_page_instead_of_overlapping(tmp_path):
    results = [
        {"code": f"KA{i}", "title": f"Activity {i}", "priority": "II", "level": 3}
        for i in range(1, 19)
    ]
    pdf = render(results=results, status="revoked")
    assert re.search(rb"/Count 2\b", pdf)
    text = text_of(pdf, tmp_path)
    for i in range(1, 19):
        assert len(re.findall(rf"\bKA{i}\s+Activity {i}\b", text)) == 1
    assert f"{PUBLIC_ID} — key activities, continued" in text


def test_a_certificate_without_a_signed_credential_is_refused():
    with pytest.raises(ValueError, match="no signed credential"):
        render(credential=None)

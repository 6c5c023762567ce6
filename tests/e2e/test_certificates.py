"""The holder downloads the PDF; an employer verifies it by link and by file, sees an altered
file fail, and sees REVOKED after an admin revokes."""

import re

from tests.e2e.conftest import log_in, screenshot


def test_download_verify_tamper_and_revoke(page, tmp_path):
    log_in(page, "ingrid@demo.example", "demo-extra-pass-2026")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My certificates").click()
    assert page.get_by_text("Valid", exact=True).first.is_visible()
    screenshot(page, "certificates-mine")
    verify_url = page.locator("input.copy-source").first.input_value()
    public_id = re.search(r"CC-[0-9A-Z-]+", verify_url).group(0)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").first.click()
    pdf_path = tmp_path / f"{public_id}.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    page.get_by_role("button", name="Log out").click()

    # The employer scans the QR code: the verify URL.
    page.goto(verify_url)
    assert page.get_by_text("VALID", exact=True).is_visible() or page.locator(
        ".verdict-word"
    ).inner_text().strip().endswith("VALID")
    assert page.get_by_text("Ingrid Hansen").first.is_visible()
    screenshot(page, "verify-valid")

    page.goto("/verify")
    page.get_by_label("Certificate PDF, .jwt or .json file").set_input_files(str(pdf_path))
    page.get_by_role("button", name="Verify the file").click()
    assert page.locator(".verdict-word").inner_text().strip().endswith("VALID")
    screenshot(page, "verify-uploaded-pdf")

    altered = tmp_path / "altered.pdf"
    data = pdf_path.read_bytes()
    token = re.search(rb"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", data).group(0)
    head, body, signature = token.split(b".")
    flipped = signature[:10] + (b"A" if signature[10:11] != b"A" else b"B") + signature[11:]
    altered.write_bytes(data.replace(token, b".".join([head, body, flipped])))
    page.goto("/verify")
    page.get_by_label("Certificate PDF, .jwt or .json file").set_input_files(str(altered))
    page.get_by_role("button", name="Verify the file").click()
    assert "NOT VALID" in page.locator(".verdict-word").inner_text()
    assert page.get_by_text("Failed check:").is_visible()
    assert "signature" in page.locator(".verdict").inner_text()
    screenshot(page, "verify-altered")

    log_in(page, "admin@demo.example", "demo-admin-pass-2026")
    page.goto(f"/admin/certificates/{public_id}")
    page.get_by_label("Reason").fill("Certificate withdrawn after an appeal review.")
    page.get_by_role("button", name="Revoke").click()
    assert page.get_by_text("is now revoked").is_visible()
    page.get_by_role("button", name="Log out").click()

    page.goto(verify_url)
    assert "REVOKED" in page.locator(".verdict-word").inner_text()
    assert "Certificate withdrawn after an appeal review." in page.locator(".verdict").inner_text()
    screenshot(page, "verify-revoked")

"""The printable accreditation certificate: an A4 PDF that carries its own signed credential.

The page shows what the credential says and a QR code of the verify page; the compact JWS is
embedded uncompressed as `<public_id>.jwt`, so the file alone can be verified offline.
The certificate speaks the holder's language (their saved preference, else English), whoever
downloads it.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import segno
from babel.dates import format_date
from flask import has_app_context
from flask_babel import force_locale, gettext
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableBordersLayout, TableCellFillMode, XPos, YPos

from lms.courses.models import LEVEL_NAMES
from lms.i18n import LANGUAGES, formatting_locale

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DejaVu"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (31, 78, 121)
WARNING = (176, 0, 32)
#: Page geometry in mm (A4 landscape): content margin, right column for QR code and ids.
MARGIN = 20.0
RIGHT_X = 212.0
RIGHT_W = 297.0 - MARGIN - RIGHT_X
LEFT_W = RIGHT_X - MARGIN - 10.0
QR_SIZE = 42.0
#: Top of the bottom row (dates, issuer, certificate id) and of the footer line.
DATES_Y = 160.0
FOOTER_Y = 183.0


def _(message: str, **values: Any) -> str:
    """Translate into the holder's language; untranslated when drawn without an application."""
    if has_app_context():
        return gettext(message, **values)
    return message % values if values else message


STATUS_NOTES = {
    "revoked": lambda: _("REVOKED — this certificate has been withdrawn by the issuer."),
    "expired": lambda: _("EXPIRED — this certificate is no longer in force."),
    "suspended": lambda: _("SUSPENDED — this certificate is not in force while suspended."),
    "superseded": lambda: _("SUPERSEDED — a renewed certificate replaces this one."),
}


def render_certificate_pdf(certificate: Any, *, issuer_name: str, verify_url: str) -> bytes:
    """Render the certificate as PDF bytes, with its signed credential attached."""
    language = getattr(certificate.user, "locale", None)
    language = language if language in LANGUAGES else "en"
    with force_locale(language):
        return _render(certificate, issuer_name, verify_url, language)


def _render(certificate: Any, issuer_name: str, verify_url: str, language: str) -> bytes:
    credential = certificate.credential
    if not credential:
        raise ValueError(f"certificate {certificate.public_id} has no signed credential yet")
    holder = certificate.user.name
    course = certificate.course
    status = str(getattr(certificate.status, "value", certificate.status))

    pdf = _CertificatePDF(orientation="landscape", unit="mm", format="A4")
    pdf.public_id = certificate.public_id
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_lang(language)
    pdf.set_title(
        _(
            "Accreditation certificate %(id)s — %(holder)s",
            id=certificate.public_id,
            holder=holder,
        )
    )
    pdf.set_subject(f"{course.title} ({course.profile.title})")
    pdf.set_author(issuer_name)
    pdf.set_creator(issuer_name)
    pdf.set_keywords(["accreditation", "Open Badges 3.0", certificate.public_id])
    if certificate.issued_at is not None:
        pdf.set_creation_date(_utc(certificate.issued_at))
    pdf.add_page()

    y = _heading(pdf, holder, course.title, course.profile.title, issuer_name)
    _side_column(pdf, verify_url, certificate.public_id, certificate.key_id)
    if note := STATUS_NOTES.get(status):
        _status_note(pdf, note())
    _dates(pdf, certificate.issued_at, certificate.expires_at, issuer_name, language)
    _footer(pdf, verify_url)
    # Last, so that an unusually long profile continues on a second page, not over the dates.
    pdf.set_auto_page_break(auto=True, margin=pdf.h - DATES_Y + 6)
    _results_table(pdf, y + 4, certificate.results)

    pdf.embed_file(
        bytes=credential.encode("ascii"),
        basename=f"{certificate.public_id}.jwt",
        mime_type="application/jwt",
        desc="Signed Open Badges 3.0 credential (compact JWS)",
        modification_date=_utc(certificate.issued_at) if certificate.issued_at else None,
        compress=False,  # the JWS must stay verbatim in the file bytes for offline verifiers
    )
    return bytes(pdf.output())


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _text(pdf: FPDF, size: float, style: str = "", color: tuple[int, int, int] = INK) -> None:
    pdf.set_font(FONT, style, size)
    pdf.set_text_color(*color)


class _CertificatePDF(FPDF):
    public_id = ""

    def header(self) -> None:
        """Draw the double frame; on a continuation page, say whose certificate it is."""
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.8)
        self.rect(8, 8, self.w - 16, self.h - 16)
        self.set_line_width(0.2)
        self.rect(10, 10, self.w - 20, self.h - 20)
        if self.page > 1:
            self.set_xy(MARGIN, 12)
            _text(self, 8, "", MUTED)
            self.cell(
                text=_(
                    "Accreditation certificate %(id)s — key activities, continued",
                    id=self.public_id,
                )
            )


def _heading(pdf: FPDF, holder: str, qualification: str, profile: str, issuer: str) -> float:
    """Draw issuer, title, holder and qualification; return the y below them."""
    pdf.set_xy(MARGIN, MARGIN)
    _fitted_cell(pdf, issuer.upper(), 9, 5, ACCENT)
    _text(pdf, 24, "B")
    pdf.cell(LEFT_W, 12, _("Accreditation certificate"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _text(pdf, 10, "", MUTED)
    pdf.cell(LEFT_W, 5, _("This certifies that"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _fitted_cell(pdf, holder, 28, 13)
    _text(pdf, 10, "", MUTED)
    pdf.cell(
        LEFT_W,
        6,
        _("is accredited in the qualification"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    _fitted_cell(pdf, qualification, 15, 8)
    _text(pdf, 10, "", MUTED)
    label = _("Job profile:")
    width = pdf.get_string_width(label) + 2
    pdf.cell(width, 6, label)
    _text(pdf, 10, "B")
    pdf.cell(LEFT_W - width, 6, profile, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf.get_y()


def _fitted_cell(
    pdf: FPDF, text: str, size: float, height: float, color: tuple[int, int, int] = INK
) -> None:
    """A bold line of at most `size` points, smaller if needed to fit the left column."""
    _text(pdf, size, "B", color)
    while size > 6 and pdf.get_string_width(text) > LEFT_W:
        size -= 1
        pdf.set_font_size(size)
    pdf.cell(LEFT_W, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _status_note(pdf: FPDF, note: str) -> None:
    """A red box under the QR code: the file may outlive the certificate's validity."""
    pdf.set_xy(RIGHT_X, MARGIN + QR_SIZE + 16)
    pdf.set_draw_color(*WARNING)
    pdf.set_line_width(0.5)
    _text(pdf, 9.5, "B", WARNING)
    text = _("%(note)s Check its current status on the verify page.", note=note)
    pdf.multi_cell(RIGHT_W, 5, text, border=1, padding=(1.5, 2), align=Align.L)


def _results_table(pdf: FPDF, y: float, results: list[dict[str, Any]]) -> None:
    """The key activities, packed tighter when many rows must fit above the dates."""
    pdf.set_xy(MARGIN, y)
    _text(pdf, 9, "B", ACCENT)
    pdf.cell(LEFT_W, 6, _("Key activities assessed").upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    room = (DATES_Y - 9 - pdf.get_y()) / (len(results) + 1)
    row_height = max(5.6, min(8.4, room))
    _text(pdf, 9.5 if row_height >= 6.4 else 8.5)
    line_height = min(5.2, row_height - 1.2)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    with pdf.table(
        width=LEFT_W,
        col_widths=(16, 103, 20, 38),
        align=Align.L,
        text_align=(Align.L, Align.L, Align.C, Align.L),
        line_height=line_height,
        padding=((row_height - line_height) / 2, 1.5),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        cell_fill_mode=TableCellFillMode.EVEN_ROWS,
        cell_fill_color=(243, 246, 249),
        headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=ACCENT),
    ) as table:
        table.row((_("Code"), _("Key activity"), _("Priority"), _("Level reached")))
        for row in results:
            level = int(row["level"])
            name = _(LEVEL_NAMES[level])  # the level's name in the holder's language
            table.row(
                (str(row["code"]), str(row["title"]), str(row["priority"]), f"{level} {name}")
            )


def _date_lines(value: dt.datetime | None, language: str) -> tuple[str, str]:
    if value is None:
        return "—", ""
    value = _utc(value)
    return value.strftime("%Y-%m-%d"), format_date(
        value, "long", locale=formatting_locale(language)
    )


def _dates(
    pdf: FPDF,
    issued_at: dt.datetime | None,
    expires_at: dt.datetime | None,
    issuer: str,
    language: str,
) -> None:
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, DATES_Y - 3, pdf.w - MARGIN, DATES_Y - 3)
    columns = (
        (_("Issued on"), *_date_lines(issued_at, language), 40.0),
        (_("Valid until"), *_date_lines(expires_at, language), 40.0),
        (_("Issued by"), issuer, "", LEFT_W - 80.0),
    )
    x = MARGIN
    for label, main, sub, width in columns:
        _label(pdf, x, DATES_Y, width, label)
        _text(pdf, 11, "B")
        pdf.multi_cell(width - 4, 6, main, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
        _text(pdf, 9, "", MUTED)
        pdf.cell(width, 5, sub)
        x += width


def _label(pdf: FPDF, x: float, y: float, width: float, label: str) -> None:
    """A small upper-case caption; leaves the cursor at x on the next line."""
    pdf.set_xy(x, y)
    _text(pdf, 8, "B", MUTED)
    pdf.cell(width, 5, label.upper(), new_x=XPos.LEFT, new_y=YPos.NEXT)


def _side_column(pdf: FPDF, url: str, public_id: str, key_id: str | None) -> None:
    """QR code of the verify URL with the URL under it; the ids in the bottom row."""
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=10, border=0)
    qr_x = RIGHT_X + (RIGHT_W - QR_SIZE) / 2
    alt_text = _("QR code: %(url)s", url=url)
    pdf.image(png, x=qr_x, y=MARGIN, w=QR_SIZE, h=QR_SIZE, alt_text=alt_text)
    _text(pdf, 7.5, "", MUTED)
    head, _slash, tail = url.rpartition("/")
    lines = [url] if pdf.get_string_width(url) <= RIGHT_W - 2 else [f"{head}/", tail]
    pdf.set_xy(RIGHT_X, MARGIN + QR_SIZE + 2)
    for line in lines:
        pdf.cell(RIGHT_W, 3.8, line, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)

    _label(pdf, RIGHT_X, DATES_Y, RIGHT_W, _("Certificate ID"))
    _text(pdf, 10.5, "B")
    pdf.set_char_spacing(0.4)  # easier to read out and type back
    while pdf.get_string_width(public_id) > RIGHT_W - 2 and pdf.font_size_pt > 7:
        pdf.set_font_size(pdf.font_size_pt - 0.5)
    pdf.cell(RIGHT_W, 6, public_id, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_char_spacing(0)
    _text(pdf, 8.5, "", MUTED)
    pdf.cell(RIGHT_W, 5, _("Signing key %(kid)s", kid=key_id or "—"))


def _footer(pdf: FPDF, url: str) -> None:
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, FOOTER_Y, pdf.w - MARGIN, FOOTER_Y)
    pdf.set_xy(MARGIN, FOOTER_Y + 2)
    _text(pdf, 8.5, "", MUTED)
    line = _("Verify at %(url)s — this file carries its signed credential", url=url)
    pdf.cell(pdf.w - 2 * MARGIN, 5, line, align=Align.C)

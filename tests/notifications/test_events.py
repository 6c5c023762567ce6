"""Events send their e-mail after the commit, with a working link back."""

from __future__ import annotations

from lms.certificates import services as certificates
from lms.db import db
from lms.grading import services as grading
from tests.certificates.conftest import issue
from tests.conftest import links_in
from tests.grading.conftest import submitted


def test_submitting_and_returning_a_case_study_mail_the_trainee(app, setup, mail_outbox):
    submission = submitted(app, setup)
    assert [m.to for m in mail_outbox] == [setup.trainee.email]
    assert "received" in mail_outbox[0].subject
    with app.test_request_context():
        grading.claim(setup.trainer, submission)
        grading.return_for_resubmission(setup.trainer, submission, "Add the partner search.")
        assert len(mail_outbox) == 1  # not before the commit
        db.session.commit()
    assert len(mail_outbox) == 2
    assert "returned" in mail_outbox[1].subject
    assert "Add the partner search." in mail_outbox[1].text
    link = links_in(mail_outbox[1].text)[0]
    assert link == f"https://lms.example.test/assessments/submissions/{submission.id}"


def test_revoking_a_certificate_mails_the_holder(app_ctx, setup, mail_outbox):
    certificate = issue(setup.trainee)
    db.session.commit()
    mail_outbox.clear()
    certificates.revoke(certificate, "Issued by mistake", setup.admin)
    db.session.commit()
    [mail] = mail_outbox
    assert mail.to == setup.trainee.email
    assert certificate.public_id in mail.subject
    assert "Issued by mistake" in mail.text


def test_text_from_people_is_escaped_in_html_mail(app_ctx, setup, mail_outbox):
    from tests.conftest import assert_inert_html

    certificate = issue(setup.trainee)
    db.session.commit()
    mail_outbox.clear()
    certificates.revoke(certificate, "<script>alert(1)</script> copied", setup.admin)
    db.session.commit()
    [mail] = mail_outbox
    assert mail.html is not None
    assert "<script>" not in mail.html
    assert_inert_html(mail.html)

"""Enrolment from a CSV file: everyone or nobody, with every problem named by its line."""

import io

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.accounts.models import Role, User
from lms.audit.models import AuditEvent
from lms.cohorts import services
from lms.cohorts.models import CohortMember, MemberRole
from lms.db import db
from tests.conftest import login
from tests.factories import admin, trainee, trainer


def upload(client, cohort, content, filename="people.csv"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    # Encoded here, in memory: the test client would spool a large body to a temporary file
    # that it never closes (a ResourceWarning, an error under filterwarnings=error).
    boundary, body = encode_multipart(
        {"csv-file": FileStorage(io.BytesIO(content), filename, content_type="text/csv")}
    )
    return client.post(
        f"/admin/cohorts/{cohort.id}/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def members_of(cohort):
    rows = db.session.query(CohortMember).filter_by(cohort_id=cohort.id).all()
    return {(row.user.email, row.role) for row in rows}


def test_a_good_file_enrols_everyone_and_invites_people_without_an_account(
    client, course_cohort, mail_outbox
):
    known = trainee(email="ana@agency.example")
    coach = trainer(email="bernd@agency.example")
    login(client, admin().email)
    mail_outbox.clear()
    response = upload(
        client,
        course_cohort,
        "email,role,name\n"
        "ANA@agency.example,,\n"
        "bernd@agency.example,Trainer,Bernd\n"
        "\n"
        "chloe@agency.example,trainee,Chloé Dubois\n",
    )
    assert response.status_code == 302
    assert members_of(course_cohort) == {
        (known.email, MemberRole.TRAINEE),
        (coach.email, MemberRole.TRAINER),
        ("chloe@agency.example", MemberRole.TRAINEE),
    }
    new = db.session.query(User).filter_by(email="chloe@agency.example").one()
    assert new.name == "Chloé Dubois"
    assert new.roles == {Role.TRAINEE}
    assert not new.has_password
    assert [mail.to for mail in mail_outbox] == ["chloe@agency.example"]
    assert "/auth/invitation/" in mail_outbox[0].text or "http" in mail_outbox[0].text
    entry = db.session.query(AuditEvent).filter_by(action="cohort.csv_imported").one()
    assert entry.data["invited"] == [new.id]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 people enrolled. 1 of them was invited to create an account." in page


def test_a_file_with_bad_rows_reports_each_line_and_changes_nothing(
    client, course_cohort, mail_outbox
):
    already = trainee(email="already@agency.example")
    course_cohort.members.append(CohortMember(user=already, role=MemberRole.TRAINEE))
    trainee(email="notatrainer@agency.example")
    trainee(email="gone@agency.example", active=False)
    db.session.flush()
    login(client, admin().email)
    users_before = db.session.query(User).count()
    audit_before = db.session.query(AuditEvent).count()
    mail_outbox.clear()
    response = upload(
        client,
        course_cohort,
        "email,role,name\n"
        "fine@agency.example,trainee,Fine Person\n"  # line 2: would be fine
        "not-an-address,trainee,X\n"  # line 3
        "dup@agency.example,trainee,Dup\n"  # line 4
        "dup@agency.example,trainer,Dup\n"  # line 5
        "already@agency.example,trainee,\n"  # line 6
        "notatrainer@agency.example,trainer,\n"  # line 7
        "stranger@agency.example,trainee,\n"  # line 8
        "other@agency.example,coach,Other\n"  # line 9
        "gone@agency.example,trainee,\n"  # line 10
        ",trainee,Nobody\n"  # line 11
        "comma@agency.example,trainee,Doe, Jane\n",  # line 12
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported." in page
    expected = [
        "line 3: “not-an-address” is not a valid e-mail address.",
        "line 5: This person is already listed on line 4.",
        "line 6: already@agency.example is already enrolled in this cohort.",
        "line 7: notatrainer@agency.example does not have the trainer role.",
        "line 8: Nobody has an account with stranger@agency.example; give their name",
        "line 9: Unknown role “coach”: write trainee or trainer.",
        "line 10: The account of gone@agency.example is deactivated.",
        "line 11: The e-mail address is missing.",
        "line 12: This line has more values than the header has columns.",
    ]
    for message in expected:
        assert message in page, message
    assert "line 2:" not in page
    assert members_of(course_cohort) == {(already.email, MemberRole.TRAINEE)}
    assert db.session.query(User).count() == users_before
    assert db.session.query(AuditEvent).count() == audit_before
    assert mail_outbox == []


def test_a_byte_order_mark_and_semicolons_are_accepted(client, course_cohort, mail_outbox):
    person = trainee(email="ana@agency.example")
    login(client, admin().email)
    content = (
        "\ufeffEmail;Role;Name\r\n"
        "ana@agency.example;trainee;\r\n"
        "neu@agentur.example;trainee;Jörg Müller, Dr.\r\n"
    )
    response = upload(client, course_cohort, content)
    assert response.status_code == 302
    assert members_of(course_cohort) == {
        (person.email, MemberRole.TRAINEE),
        ("neu@agentur.example", MemberRole.TRAINEE),
    }
    assert db.session.query(User).filter_by(email="neu@agentur.example").one().name == (
        "Jörg Müller, Dr."
    )
    assert [mail.to for mail in mail_outbox] == ["neu@agentur.example"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "line 1: The file is empty."),
        ("\ufeff  \n\n", "line 1: The file is empty."),
        ("name,role\nAna,trainee\n", "line 1: The first line must name the columns"),
        ("email,role,name\n", "line 1: The file lists nobody under its header line."),
        ('email,name\n"unterminated@agency.example,Ana\n', "This line is not valid CSV."),
    ],
)
def test_files_without_people_are_refused(client, course_cohort, content, message):
    login(client, admin().email)
    response = upload(client, course_cohort, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert members_of(course_cohort) == set()


def test_more_than_2000_rows_are_refused(app_ctx, course_cohort, mail_outbox):
    lines = "".join(f"person{n}@agency.example,trainee,Person {n}\n" for n in range(2001))
    result = services.enrol_from_csv(course_cohort, "email,role,name\n" + lines, actor=admin())
    assert result.errors == [(2002, "The file lists more than 2,000 people; split it.")]
    assert db.session.query(User).filter(User.email.like("person%@agency.example")).count() == 0


def test_a_file_at_the_row_limit_is_accepted(app_ctx, course_cohort, monkeypatch):
    monkeypatch.setattr(services, "MAX_CSV_ROWS", 3)  # the limit itself, without 2,000 invitations
    lines = "".join(f"p{n}@agency.example,trainee,P {n}\n" for n in range(4))
    boss = admin()
    refused = services.enrol_from_csv(course_cohort, "email,role,name\n" + lines, actor=boss)
    assert [line for line, _ in refused.errors] == [5]
    lines = "".join(f"p{n}@agency.example,trainee,P {n}\n" for n in range(3))
    result = services.enrol_from_csv(course_cohort, "email,role,name\n" + lines, actor=boss)
    assert result.ok
    assert len(result.enrolled) == len(result.invited) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00binary spreadsheet\xff\xfe", "This is not a CSV text file."),
        (b"email\x00\nx@agency.example\n", "This is not a CSV text file."),
        (b"email\n" + b"a" * (1024 * 1024), "The file must be 1 MB or smaller."),
    ],
)
def test_uploads_that_are_not_small_csv_text_are_refused(client, course_cohort, content, message):
    login(client, admin().email)
    response = upload(client, course_cohort, content, filename="people.csv")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert members_of(course_cohort) == set()


def test_a_missing_file_is_refused(client, course_cohort):
    login(client, admin().email)
    response = client.post(f"/admin/cohorts/{course_cohort.id}/import", data={})
    assert response.status_code == 422
    assert "Choose a CSV file." in response.get_data(as_text=True)


def test_excel_separator_hint_and_tabs_are_understood(app_ctx, course_cohort):
    first, second = trainee(), trainee()
    boss = admin()
    result = services.enrol_from_csv(
        course_cohort, f"sep=;\nemail;role\n{first.email};trainee\n", actor=boss
    )
    assert result.ok, result.errors
    result = services.enrol_from_csv(course_cohort, f"email\trole\n{second.email}\t\n", actor=boss)
    assert result.ok, result.errors
    assert {m.user for m in course_cohort.members} == {first, second}


def test_line_numbers_count_the_excel_hint_and_blank_lines(app_ctx, course_cohort):
    result = services.enrol_from_csv(
        course_cohort, "sep=,\nemail\n\nnot-an-address\n", actor=admin()
    )
    assert result.errors == [(4, "“not-an-address” is not a valid e-mail address.")]

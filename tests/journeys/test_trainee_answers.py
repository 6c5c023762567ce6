"""Journeys 3 and 4: a trainee writes an answer over several sittings and submits it, then fails
a case study and makes the next attempt.

Played through the pages, as a browser without JavaScript sends them: every step reads the
form the page shows and posts it back with what the trainee typed.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.assessments.models import Submission
from lms.db import db
from tests.grading.conftest import PDF, levels_form
from tests.journeys.person import Page, Person

DOCX_LIKE_PDF = PDF + b"% the budget table\n"


def _case_study(person: Person, setup) -> Page:  # type: ignore[no-untyped-def]
    person.open(f"/courses/{setup.course.slug}/")
    return person.click("Case study: " + setup.module.case_study.title)


def _answer_box(page: Page) -> str:
    return page.form(button="Save draft").value("answer") or ""


def _grade(trainer: Person, submission_id: int, level: int, codes: list[str]) -> Page:
    """The trainer claims the attempt and marks every criterion at `level`."""
    page = trainer.open(f"/grading/submissions/{submission_id}")
    page = trainer.submit(page.form(action="/claim"))
    fill = {k: str(v) for k, v in levels_form(codes, level).items()}
    return trainer.submit(page.form(button="Finish and release"), fill, button="Finish and release")


def test_an_answer_written_over_several_sittings_loses_nothing(app, setup):  # type: ignore[no-untyped-def]
    tina = Person(app, setup.trainee.email)
    tina.log_in()
    page = _case_study(tina, setup)
    assert "What it takes to pass" in page
    assert "at least 70 out of 100" in page

    # First sitting: a first paragraph, saved; the message stands beside the answer.
    page = tina.submit(
        page.form(button="Save draft"), {"answer": "Partners first."}, button="Save draft"
    )
    assert "Draft saved at" in page
    assert page.url.endswith("#your-answer")
    assert _answer_box(page) == "Partners first."

    # Second sitting, days later, on another computer: the text is there; more is typed and
    # a file chosen in the same go. Both are kept.
    later = Person(app, setup.trainee.email)
    later.log_in()
    page = _case_study(later, setup)
    assert _answer_box(page) == "Partners first."
    page = later.submit(
        page.form(button="Save draft"),
        {"answer": "Partners first. Then the goals."},
        button="Save draft",
        files={"files": (PDF, "plan.pdf")},
    )
    assert "“plan.pdf” attached" in page
    assert _answer_box(page) == "Partners first. Then the goals."

    # A refused file (a web page renamed) costs no text, and says why.
    page = later.submit(
        page.form(button="Save draft"),
        {"answer": "Partners first. Then the goals. Then the money."},
        button="Save draft",
        files={"files": (b"<html></html>", "budget.pdf")},
    )
    assert "“budget.pdf” was not attached" in page
    assert _answer_box(page) == "Partners first. Then the goals. Then the money."
    # The same file once more is refused too.
    page = later.submit(
        page.form(button="Save draft"), button="Save draft", files={"files": (PDF, "copy.pdf")}
    )
    assert "already attached as “plan.pdf”" in page

    # The first computer still shows the old page: its save meets the newer text, and the
    # trainee gets both to merge rather than losing either.
    stale = tina.page
    assert stale is not None
    page = tina.submit(
        stale.form(button="Save draft"),
        {"answer": "Partners first. A note from the train."},
        button="Save draft",
        allow={409},
    )
    assert "changed in another window" in page
    assert _answer_box(page) == "Partners first. A note from the train."
    assert "Then the money." in page.text  # the other window's text, shown to merge
    merged = "Partners first. Then the goals. Then the money. A note from the train."
    page = tina.submit(page.form(button="Save draft"), {"answer": merged}, button="Save draft")
    assert "Draft saved at" in page
    assert _answer_box(page) == merged

    # A second file, a last change, and "Review and submit…": the review page counts the
    # last text and both files, and going back shows the last text.
    page = tina.submit(
        page.form(button="Save draft"),
        {"answer": merged + " Signed."},
        button="Review and submit",
        files={"files": (DOCX_LIKE_PDF, "budget.pdf")},
    )
    assert "Submit your answer?" in page
    assert "plan.pdf, budget.pdf" in page
    assert "14 words" in page
    page = tina.click("Back to editing")
    assert _answer_box(page) == merged + " Signed."
    page = tina.submit(page.form(button="Save draft"), button="Review and submit")
    page = tina.submit(page.form(button="Submit for grading"), button="Submit for grading")
    assert "Your answer was submitted" in page
    assert "submitted" in page.text
    assert "Signed." in page.text


def test_a_failed_trainee_starts_the_next_attempt_and_passes(app, setup):  # type: ignore[no-untyped-def]
    tina = Person(app, setup.trainee.email)
    tina.log_in()
    page = _case_study(tina, setup)
    page = tina.submit(
        page.form(button="Save draft"), {"answer": "A thin first try."}, button="Review and submit"
    )
    page = tina.submit(page.form(button="Submit for grading"), button="Submit for grading")
    submission_id = db.session.scalar(sa.select(Submission.id).filter_by(user_id=setup.trainee.id))

    trainer = Person(app, setup.trainer.email)
    trainer.log_in()
    _grade(trainer, submission_id, 1, setup.codes)

    # The trainee reads why, then comes back to the case study for attempt 2.
    page = _case_study(tina, setup)
    assert "1 used, 2 left of 3" in page
    page = tina.click("details")
    assert "Result: not passed" in page
    assert "Why" in page
    assert "emerging" in page.text  # the level's name beside "1 / 4"
    page = _case_study(tina, setup)
    assert "Attempt 2 starts when you save." in page
    assert _answer_box(page) == ""
    page = tina.submit(
        page.form(button="Start from my previous answer"), button="Start from my previous answer"
    )
    assert _answer_box(page) == "A thin first try."
    page = tina.submit(
        page.form(button="Save draft"),
        {"answer": "A thorough second try."},
        button="Save draft",
        files={"files": (PDF, "plan.pdf")},
    )
    assert "Draft saved at" in page, page.text
    assert "“plan.pdf” attached" in page
    page = tina.submit(page.form(button="Save draft"), button="Review and submit")
    assert "attempt 2" in page.text
    page = tina.submit(page.form(button="Submit for grading"), button="Submit for grading")
    assert "Your answer was submitted" in page
    page = _case_study(tina, setup)
    assert "1 used, 1 left of 3" in page  # the attempt in review is spoken for

    second = db.session.scalar(sa.select(Submission).filter_by(user_id=setup.trainee.id, attempt=2))
    _grade(trainer, second.id, 4, setup.codes)
    page = _case_study(tina, setup)
    assert "You passed this case study" in page

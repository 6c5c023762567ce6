"""Search ranks lessons, tools and case studies of a person's courses, safely, on both engines."""

import re

import pytest
import sqlalchemy as sa

from lms.cohorts.models import MemberRole
from lms.courses.models import Course
from lms.courses.services import import_path
from lms.db import db
from tests.conftest import login
from tests.courses.conftest import enrol, lesson, write
from tests.factories import admin, trainee, trainer

COACH = "accredited-cooperation-coach"
OI = "open-innovation-for-smes"
RESULT = re.compile(
    r'<li>\s*<span class="badge search-kind">([^<]+)</span>\s*<a href="([^"]+)">(.*?)</a>', re.S
)


def _course(slug):
    return db.session.scalar(sa.select(Course).filter_by(slug=slug))


def _search(client, q):
    response = client.get("/courses/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _results(page):
    """(kind, link, title without highlights) of each result, in the order shown."""
    return [
        (kind, link, re.sub(r"</?mark>", "", title)) for kind, link, title in RESULT.findall(page)
    ]


def _import(app, root):
    with app.app_context():
        import_path(root)
        db.session.commit()  # a savepoint of the test's transaction, rolled back after


@pytest.fixture
def coach_trainee(client, shipped_courses):
    learner = trainee()
    enrol(_course(COACH).id, (learner, MemberRole.TRAINEE))
    login(client, learner.email)
    return learner


def test_consortium_agreement_brings_the_contract_lessons_and_checklist_first(
    client, coach_trainee
):
    page = _search(client, "consortium agreement")
    titles = [title for _kind, _link, title in _results(page)]
    assert "Consortium agreement checklist" in titles[:3]
    assert "The contract landscape: who signs what, and when" in titles[:3]
    first_lesson = next(t for kind, _l, t in _results(page) if kind == "Lesson")
    assert first_lesson in {
        "The contract landscape: who signs what, and when",
        "Working with public co-funders",
    }
    assert "<mark>" in page
    assert re.search(r'role="status">\d+ results for “consortium agreement”', page)


def test_results_say_their_kind_course_module_and_link_to_the_item(client, coach_trainee):
    results = _results(_search(client, "consortium agreement"))
    kinds = {kind for kind, _link, _title in results}
    assert kinds == {"Lesson", "Tool", "Case study"}
    links = {kind: link for kind, link, _title in reversed(results)}
    assert links["Lesson"].startswith(f"/courses/{COACH}/lessons/")
    assert links["Tool"].startswith(f"/courses/{COACH}/toolbox/")
    assert re.fullmatch(rf"/courses/{COACH}/modules/[a-z0-9-]+/case-study", links["Case study"])
    for link in links.values():
        assert client.get(link).status_code == 200
    page = _search(client, "consortium agreement checklist")
    assert "— Accredited Cooperation Coach › Guiding contract negotiation</span>" in page


def test_a_person_finds_only_content_of_courses_they_may_open(app, db_session, shipped_courses):
    learner, teacher = trainee(), trainer()
    enrol(_course(COACH).id, (learner, MemberRole.TRAINEE))
    enrol(_course(OI).id, (teacher, MemberRole.TRAINER))
    query = "open innovation"
    seen = {}
    for name, person in (("trainee", learner), ("trainer", teacher), ("admin", admin())):
        client = app.test_client()
        login(client, person.email)
        seen[name] = {link.split("/")[2] for _k, link, _t in _results(_search(client, query))}
    assert seen["trainee"] <= {COACH}
    assert seen["trainer"] == {OI}
    assert seen["admin"] == {COACH, OI}


def test_nobody_finds_or_sees_a_case_studys_marking_notes(app, db_session, mini_courses):
    course = mini_courses / "mini-course"
    write(course / "01-ka1" / "marking-notes.md", "Reward the zwieback argument.\n")
    _import(app, mini_courses)
    mini = _course("mini-course")
    learner, teacher = trainee(), trainer()
    enrol(mini.id, (learner, MemberRole.TRAINEE), (teacher, MemberRole.TRAINER))
    for person in (learner, teacher):
        client = app.test_client()
        login(client, person.email)
        page = _search(client, "zwieback")
        assert _results(page) == []
        assert "Nothing found for “zwieback”." in page
        assert "Case study" in _search(client, "case ka1")


def test_stop_words_and_one_letter_words_ask_for_a_longer_word(client, coach_trainee):
    for q in ["a", "the", "a I of", "' OR 1=1 --", "x y z"]:
        page = _search(client, q)
        assert _results(page) == []
        assert "Type at least one word of two letters or more" in page
    assert _results(_search(client, "the consortium agreement"))


@pytest.mark.parametrize(
    "q",
    [
        '"consortium',
        'consortium"',
        "(agreement",
        "agreement)",
        "NEAR(consortium agreement)",
        "consortium NEAR agreement",
        "agree*",
        "*",
        "-consortium",
        "consortium -agreement",
        "consortium OR agreement",
        "title:consortium",
        "^consortium",
        "AND OR NOT",
        "'; DROP TABLE lessons; --",
        "a" * 500,
        "ü" * 300,
        "\u202e\u200b",
        "\ue000mark\ue001",
    ],
)
def test_hostile_queries_never_break_the_page(client, coach_trainee, q):
    _search(client, q)


def test_snippets_and_titles_are_escaped_except_the_highlights(app, db_session, mini_courses):
    course = mini_courses / "mini-course"
    write(
        course / "00-intro" / "lessons" / "02-next.md",
        lesson(
            "Next",
            "Beware `<script>alert('xss')</script>` and &lt;img src=x onerror=alert(1)&gt; "
            "in the quokka notes.",
        ),
    )
    _import(app, mini_courses)
    person = admin()
    client = app.test_client()
    login(client, person.email)
    # The query is shown back too: what it has beside its words must come out as text.
    for q in ["quokka", "quokka <b>", '"><i>quokka</i><img src=x onerror=alert(1)>']:
        page = _search(client, q)
        assert _results(page), q
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        listed = page[page.index('<ol class="search-results">') + 4 : page.index("</ol>")]
        assert "&lt;img src=x onerror=" in re.sub(r"</?mark>", "", listed)  # shown, as text
        assert set(re.findall(r"<(/?[a-z]+)", listed)) <= {
            "li",
            "/li",
            "span",
            "/span",
            "a",
            "/a",
            "p",
            "/p",
            "mark",
            "/mark",
        }
        assert "<mark>quokka</mark>" in listed


def test_the_index_follows_a_reimport(app, db_session, mini_courses):
    _import(app, mini_courses)
    person = admin()
    client = app.test_client()
    login(client, person.email)
    assert _results(_search(client, "welcome"))
    assert not _results(_search(client, "platypus"))
    course = mini_courses / "mini-course"
    (course / "00-intro" / "lessons" / "01-welcome.md").unlink()
    write(course / "00-intro" / "lessons" / "03-platypus.md", lesson("Platypus", "Eggs."))
    write(
        course / "00-intro" / "toolbox" / "a-tool.md",
        "---\ntitle: A tool\npurpose: Count wombats.\nwhen_to_use: Early.\n---\n\nGo.\n",
    )
    _import(app, mini_courses)
    assert not [r for r in _results(_search(client, "welcome")) if "mini-course" in r[1]]
    assert [kind for kind, *_ in _results(_search(client, "platypus"))] == ["Lesson"]
    assert [kind for kind, *_ in _results(_search(client, "wombats"))] == ["Tool"]

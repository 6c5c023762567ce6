"""Trainees read lessons, mark them complete, search, and see only their own courses."""

import sqlalchemy as sa

from lms.cohorts.models import MemberRole
from lms.courses.models import Course, LessonCompletion
from lms.db import db
from tests.access import FORBIDDEN, LOGIN, NOT_FOUND, OK, check_access
from tests.conftest import login
from tests.courses.conftest import enrol
from tests.factories import admin, trainee, trainer

COACH = "accredited-cooperation-coach"
OI = "open-innovation-for-smes"


def _course(slug):
    return db.session.scalar(sa.select(Course).filter_by(slug=slug))


def test_catalogue_shows_only_my_courses(client, shipped_courses):
    learner = trainee()
    enrol(_course(COACH).id, (learner, MemberRole.TRAINEE))
    login(client, learner.email)
    page = client.get("/courses/").get_data(as_text=True)
    assert "Accredited Cooperation Coach" in page
    assert "Open Innovation Management" not in page
    assert client.get(f"/courses/{OI}/").status_code == 404
    assert client.get(f"/courses/{OI}/lessons/what-open-innovation-is").status_code == 404


def test_course_page_shows_modules_in_order_with_priorities(client, shipped_courses):
    learner = trainee()
    enrol(_course(COACH).id, (learner, MemberRole.TRAINEE))
    login(client, learner.email)
    page = client.get(f"/courses/{COACH}/").get_data(as_text=True)
    positions = [page.index(f"KA{n} · priority") for n in (1, 2, 3, 4)]
    assert positions == sorted(positions)
    assert "KA2 · priority I<" in page
    assert "Start:" in page


def test_marking_a_lesson_complete_moves_the_progress(client, shipped_courses):
    learner = trainee()
    course = _course(COACH)
    enrol(course.id, (learner, MemberRole.TRAINEE))
    first = course.modules[0].lessons[0]
    login(client, learner.email)
    url = f"/courses/{COACH}/lessons/{first.slug}"
    before = client.get(url).get_data(as_text=True)
    assert "Mark as complete" in before
    assert 'value="0"' in before  # progress bar at zero
    assert client.post(url + "/complete", data={"completed": "1"}).status_code == 302
    after = client.get(url).get_data(as_text=True)
    assert "Completed" in after
    assert 'value="1"' in after
    assert client.post(url + "/complete", data={"completed": "1"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonCompletion)) == 1
    course_page = client.get(f"/courses/{COACH}/").get_data(as_text=True)
    assert "Continue:" in course_page


def test_marking_a_lesson_complete_comes_back_to_the_form_with_the_message_and_the_way_on(
    client, shipped_courses
):
    learner = trainee()
    course = _course(COACH)
    enrol(course.id, (learner, MemberRole.TRAINEE))
    first, second = course.modules[0].lessons[:2]
    login(client, learner.email)
    url = f"/courses/{COACH}/lessons/{first.slug}"
    response = client.post(url + "/complete", data={"completed": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url}#completion")
    page = client.get(url).get_data(as_text=True)
    section = page[page.index('id="completion"') :]
    section = section[: section.index("</section>")]
    assert "Lesson marked as complete." in section
    assert page.count("Lesson marked as complete.") == 1  # not at the top as well
    assert page.index('id="completion"') < page.index("Lesson marked as complete.")
    assert "Next lesson:" in section
    assert f'href="/courses/{COACH}/lessons/{second.slug}"' in section
    # Taking it back is said in the same place, and "Next lesson" goes with the completion.
    client.post(url + "/complete", data={"completed": "0"})
    page = client.get(url).get_data(as_text=True)
    section = page[page.index('id="completion"') :]
    assert "Lesson marked as not complete." in section[: section.index("</section>")]
    assert "Next lesson:" not in page


def test_the_last_lesson_of_a_module_once_complete_leads_to_its_case_study(client, shipped_courses):
    learner = trainee()
    course = _course(COACH)
    enrol(course.id, (learner, MemberRole.TRAINEE))
    module = course.modules[-1]
    last = module.lessons[-1]
    login(client, learner.email)
    url = f"/courses/{COACH}/lessons/{last.slug}"
    client.post(url + "/complete", data={"completed": "1"})
    page = client.get(url).get_data(as_text=True)
    section = page[page.index('id="completion"') :]
    section = section[: section.index("</section>")]
    assert "Next lesson:" not in section
    assert f'href="/courses/{COACH}/modules/{module.slug}/case-study">Case study:' in section


def test_a_trainer_cannot_mark_lessons_and_a_get_changes_nothing(client, shipped_courses):
    teacher = trainer()
    course = _course(COACH)
    enrol(course.id, (teacher, MemberRole.TRAINER))
    slug = course.modules[0].lessons[0].slug
    login(client, teacher.email)
    assert client.get(f"/courses/{COACH}/lessons/{slug}").status_code == 200
    assert client.post(f"/courses/{COACH}/lessons/{slug}/complete").status_code == FORBIDDEN
    assert client.get(f"/courses/{COACH}/lessons/{slug}/complete").status_code == 405


def test_search_finds_lessons_of_my_courses_only(client, shipped_courses):
    learner = trainee()
    enrol(_course(COACH).id, (learner, MemberRole.TRAINEE))
    login(client, learner.email)
    page = client.get("/courses/search", query_string={"q": "strategic interest group"})
    text = page.get_data(as_text=True)
    assert "Mobilising the Strategic Interest Group" in text or "Strategic Interest Group" in text
    assert "Open Innovation Management" not in text
    for q in ["%", "_", "' OR 1=1 --", "a" * 500]:
        assert client.get("/courses/search", query_string={"q": q}).status_code == 200


def test_marking_notes_are_for_trainers_only(app, db_session, shipped_courses):
    course = _course(COACH)
    learner, teacher, outsider = trainee(), trainer(), trainer()
    enrol(course.id, (learner, MemberRole.TRAINEE), (teacher, MemberRole.TRAINER))
    url = f"/courses/{COACH}/modules/strategic-partnership/case-study"
    for person, visible in ((learner, False), (teacher, True)):
        client = app.test_client()
        login(client, person.email)
        page = client.get(url).get_data(as_text=True)
        assert ("Marking notes (trainers only)" in page) is visible
        assert "How your answer is assessed" in page
    check_access(app, "GET", url, {"outsider": NOT_FOUND}, {"outsider": lambda: outsider})


def test_access_matrix_for_course_pages(app, db_session, shipped_courses):
    course = _course(COACH)
    learner, teacher = trainee(), trainer()
    enrol(course.id, (learner, MemberRole.TRAINEE), (teacher, MemberRole.TRAINER))
    other_learner = trainee()
    enrol(_course(OI).id, (other_learner, MemberRole.TRAINEE), name="OI cohort")
    people = {
        "anonymous": lambda: None,
        "trainee": lambda: learner,
        "trainer": lambda: teacher,
        "other trainee": lambda: other_learner,
        "admin": admin,
    }
    lesson_slug = course.modules[1].lessons[0].slug
    for url in (
        f"/courses/{COACH}/",
        f"/courses/{COACH}/lessons/{lesson_slug}",
        f"/courses/{COACH}/toolbox",
        f"/courses/{COACH}/toolbox/sig-charter",
        f"/courses/{COACH}/toolbox/sig-charter/template.md",
        f"/courses/{COACH}/derivation",
    ):
        check_access(
            app,
            "GET",
            url,
            {
                "anonymous": LOGIN,
                "trainee": OK,
                "trainer": OK,
                "other trainee": NOT_FOUND,
                "admin": OK,
            },
            people,
        )
    check_access(
        app,
        "GET",
        f"/courses/{COACH}/progress",
        {
            "anonymous": LOGIN,
            "trainee": FORBIDDEN,
            "trainer": OK,
            "other trainee": NOT_FOUND,
            "admin": OK,
        },
        people,
    )


def test_trainer_sees_who_has_reached_where(app, client, shipped_courses):
    from lms.courses.services import set_lesson_completed

    course = _course(COACH)
    learner, teacher = trainee(name="Rita Reader"), trainer()
    enrol(course.id, (learner, MemberRole.TRAINEE), (teacher, MemberRole.TRAINER))
    with app.app_context():
        for lesson_row in course.modules[1].lessons:
            set_lesson_completed(learner.id, lesson_row, True)
        db.session.commit()
    login(client, teacher.email)
    page = client.get(f"/courses/{COACH}/progress").get_data(as_text=True)
    assert "Rita Reader" in page
    done = len([lesson_row for lesson_row in course.modules[1].lessons if lesson_row.required])
    assert f"✓ {done}/{done}" in page


def test_derivation_page_shows_the_coverage_matrix(client, shipped_courses):
    boss = admin()
    login(client, boss.email)
    page = client.get(f"/courses/{COACH}/derivation").get_data(as_text=True)
    for code in ("KA1", "KA2", "KA3", "KA4"):
        assert code in page
    assert "missing" not in page
    assert "CC BY-SA 3.0" in page

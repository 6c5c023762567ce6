"""Toolbox items: task lists shown as checkboxes, and the template to copy or download."""

import re

import sqlalchemy as sa

from lms.cohorts.models import MemberRole
from lms.courses.models import Course
from lms.courses.toolbox import template_markdown
from lms.db import db
from lms.markdown import render, render_user_text
from tests.access import LOGIN, NOT_FOUND, OK, check_access
from tests.conftest import assert_inert_html, login
from tests.courses.conftest import enrol
from tests.factories import admin, trainee, trainer

COACH = "accredited-cooperation-coach"
OI = "open-innovation-for-smes"
CHECKLIST = f"/courses/{COACH}/toolbox/coaching-process-checklist"


def _course(slug):
    return db.session.scalar(sa.select(Course).filter_by(slug=slug))


def _signed_in_trainee(client):
    learner = trainee()
    enrol(_course(COACH).id, (learner, MemberRole.TRAINEE))
    login(client, learner.email)
    return learner


def test_a_task_list_becomes_disabled_checkboxes_each_labelled_by_its_text():
    html = render("- [ ] Source of contact recorded\n- [x] Owner *agreed*\n- A plain item\n").html
    assert "[ ]" not in html
    assert "[x]" not in html
    items = re.findall(r'<li class="task-list-item">(.*?)</li>', html)
    assert len(items) == 2
    for item in items:
        # The checkbox sits inside the label with its text: announced as "Source of ..., checkbox".
        assert item.startswith("<label><input ")
        assert item.endswith("</label>")
        assert '<input type="checkbox" class="task-list-item-checkbox" disabled' in item
    assert "Source of contact recorded</label>" in items[0]
    assert "checked" not in items[0]
    assert "checked" in items[1]
    assert "<li>A plain item</li>" in html
    assert '<ul class="contains-task-list">' in html


def test_the_only_inputs_left_by_the_sanitiser_are_disabled_checkboxes():
    from lms.markdown import clean

    html = clean(
        '<input type="text" name="q" value="secret" form="f" onfocus="x()" autofocus>'
        '<input type="submit" formaction="https://evil.test/">'
        '<label for="q">Name</label><ul class="contains-task-list evil">'
    )
    for tag in re.findall(r"<input[^>]*>", html):
        assert tag == '<input type="checkbox" disabled>'
    assert "for=" not in html
    assert "evil" not in html
    assert "secret" not in html
    assert_inert_html(html)
    # What a trainee types is escaped before the sanitiser sees it; a task list still works.
    typed = render_user_text('- [ ] <input type="text">\n- [x] done')
    assert "&lt;input" in typed
    assert typed.count('type="checkbox"') == 2


def test_a_toolbox_page_shows_its_checklists_as_checkboxes(client, shipped_courses):
    _signed_in_trainee(client)
    page = client.get(CHECKLIST).get_data(as_text=True)
    shown = re.sub(r"<textarea.*?</textarea>", "", page, flags=re.S)  # the text to copy
    assert "[ ]" not in shown
    assert page.count('type="checkbox" class="task-list-item-checkbox" disabled') >= 20
    assert "> Source of contact recorded (event, referral, database)</label>" in page


def test_the_template_is_the_markdown_under_its_heading():
    body = (
        "## Steps\n1. Fill it in.\n\n## Template\n\n| A | B |\n| --- | --- |\n| | |\n\n"
        "```\n## not a heading\n```\n\n## Notes\nAfter the template.\n"
    )
    assert template_markdown(body) == (
        "| A | B |\n| --- | --- |\n| | |\n\n```\n## not a heading\n```\n"
    )
    assert template_markdown("## Steps\n1. Go.\n") is None
    assert template_markdown("## Template\n\n") is None


def test_every_shipped_toolbox_item_has_a_template(shipped_courses):
    from lms.courses.models import ToolboxItem

    items = db.session.scalars(sa.select(ToolboxItem)).all()
    assert items
    for item in items:
        assert template_markdown(item.body_markdown), item.slug


def test_the_template_downloads_as_a_markdown_file_named_after_the_tool(client, shipped_courses):
    _signed_in_trainee(client)
    response = client.get(CHECKLIST + "/template.md")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="coaching-process-checklist-template.md"'
    )
    text = response.get_data(as_text=True)
    assert text.startswith("# Coaching process checklist\n\n**Header**\n")
    assert "- [ ] Source of contact recorded (event, referral, database)" in text
    assert "## Steps" not in text
    assert "Open one checklist per SME" not in text
    assert client.get(f"/courses/{COACH}/toolbox/no-such-tool/template.md").status_code == 404


def test_the_page_offers_copy_and_download_under_the_template_heading(client, shipped_courses):
    _signed_in_trainee(client)
    page = client.get(CHECKLIST).get_data(as_text=True)
    heading = page.index('<h2 id="sec-template">')
    tools = page.index('class="template-tools"')
    assert heading < tools < page.index("<strong>Header</strong>")
    assert f'href="{CHECKLIST}/template.md" download>Download template (.md)</a>' in page
    # The Copy button needs script (copy.js, a file, as the CSP allows no inline script): it
    # is hidden until the script shows it, and its confirmation goes to a status region.
    assert '<button type="button" class="button" hidden data-copy-target="template-text"' in page
    assert 'id="template-copy-status" class="copy-status" role="status"' in page
    assert re.search(r'<script src="/static/js/copy\.js\?v=\w+" nonce="[^"]+" defer>', page)
    textarea = re.search(r'<textarea id="template-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert textarea is not None
    assert "- [ ] Source of contact recorded" in textarea.group(1)


def test_who_may_download_a_template(app, db_session, shipped_courses):
    course = _course(COACH)
    learner, teacher = trainee(), trainer()
    enrol(course.id, (learner, MemberRole.TRAINEE), (teacher, MemberRole.TRAINER))
    other_learner = trainee()
    enrol(_course(OI).id, (other_learner, MemberRole.TRAINEE), name="OI cohort")
    check_access(
        app,
        "GET",
        CHECKLIST + "/template.md",
        {"anonymous": LOGIN, "trainee": OK, "trainer": OK, "other trainee": NOT_FOUND, "admin": OK},
        {
            "anonymous": lambda: None,
            "trainee": lambda: learner,
            "trainer": lambda: teacher,
            "other trainee": lambda: other_learner,
            "admin": admin,
        },
    )

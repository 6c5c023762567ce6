"""Tables in Markdown scroll sideways inside a labelled, focusable frame; nothing else gets in."""

import sqlalchemy as sa

from lms.courses.models import Lesson
from lms.courses.services import import_path
from lms.db import db
from lms.markdown import clean, render, render_user_text
from tests.conftest import assert_inert_html
from tests.courses.conftest import lesson, write

TABLE = "| Phase | Outcome |\n|---|---|\n| Awareness | A shared idea |\n"
FRAME = '<div class="table-scroll" role="region" tabindex="0" aria-label="{}"><table>'


def test_each_table_is_framed_and_the_frames_close():
    html = render(f"{TABLE}\ntext\n\n{TABLE}", table_label="Table").html
    assert html.count(FRAME.format("Table")) == 2
    assert html.count("</table></div>") == 2
    assert html.count("<div") == html.count("</div>")


def test_the_label_is_escaped():
    html = render(TABLE, table_label='"><script>alert(1)</script>').html
    assert "<script" not in html
    assert 'aria-label="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_a_frame_written_by_hand_is_still_removed():
    typed = '<div class="table-scroll" role="region" tabindex="0" onfocus="alert(1)">x</div>'
    html = render_user_text(f"{typed}\n\n{TABLE}", table_label="Table")
    assert html.count("<div") == 1  # only the frame the renderer adds; the typed one is text
    assert_inert_html(html)
    assert clean(typed) == "x"  # the sanitiser itself still allows no frame


def test_course_tables_are_labelled_in_the_language_of_the_course(app_ctx, mini_courses):
    write(
        mini_courses / "mini-course" / "00-intro" / "lessons" / "02-next.md",
        lesson("Next", TABLE, required=False),
    )
    import_path(mini_courses)
    html = db.session.scalar(sa.select(Lesson).filter_by(slug="next")).body_html
    assert FRAME.format("Table (scrolls sideways)") in html


def test_typed_tables_are_labelled_in_the_readers_language(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        html = app.jinja_env.from_string("{{ text|markdown }}").render(text=TABLE)
    assert 'role="region" tabindex="0" aria-label="' in html
    assert "<table>" in html

"""Keeping a course's search documents in step with its content."""

from __future__ import annotations

import sqlalchemy as sa

from lms.courses.models import CaseStudy, Course, Lesson, Module, ToolboxItem
from lms.db import db
from lms.search.models import DocumentKind, SearchDocument
from lms.search.text import plain_text


def refresh_course(course: Course) -> int:
    """Rebuild the documents of `course` from the items it uses now; return how many.

    Called by the course import after every change, so retired items leave the index and new
    ones enter it in the same transaction. A case study's marking notes are never indexed:
    they are for trainers only.
    """
    db.session.execute(sa.delete(SearchDocument).where(SearchDocument.course_id == course.id))
    in_use = (Module.course_id == course.id, Module.retired_at.is_(None))
    documents = [
        SearchDocument(
            kind=DocumentKind.LESSON,
            item_id=lesson.id,
            course_id=course.id,
            module_id=lesson.module_id,
            slug=lesson.slug,
            title=lesson.title,
            body=plain_text(html=lesson.body_html),
        )
        for lesson in db.session.scalars(
            sa.select(Lesson).join(Module).where(*in_use, Lesson.retired_at.is_(None))
        )
    ]
    documents += [
        SearchDocument(
            kind=DocumentKind.TOOL,
            item_id=item.id,
            course_id=course.id,
            module_id=item.module_id,
            slug=item.slug,
            title=item.title,
            body=plain_text(item.purpose, item.when_to_use, html=item.body_html),
        )
        for item in db.session.scalars(
            sa.select(ToolboxItem).join(Module).where(*in_use, ToolboxItem.retired_at.is_(None))
        )
    ]
    documents += [
        SearchDocument(
            kind=DocumentKind.CASE_STUDY,
            item_id=case.id,
            course_id=course.id,
            module_id=module.id,
            slug=module.slug,
            title=case.title,
            body=plain_text(html=case.body_html),
        )
        for case, module in db.session.execute(
            sa.select(CaseStudy, Module).join(Module).where(*in_use, CaseStudy.retired_at.is_(None))
        )
    ]
    db.session.add_all(documents)
    db.session.flush()
    return len(documents)

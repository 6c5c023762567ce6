"""A person's search over the lessons, tools and case studies of the courses they may open."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy import orm

from lms.accounts.models import User
from lms.courses.queries import visible_course_ids
from lms.db import db
from lms.search import engines
from lms.search.models import DocumentKind, SearchDocument
from lms.search.terms import search_terms
from lms.urls import path_for

#: Results shown on one page; the count says how many there are in all.
PAGE_SIZE = 50


@dataclass(frozen=True)
class SearchResult:
    document: SearchDocument
    title_html: Markup
    snippet_html: Markup

    @property
    def url(self) -> str:
        course_slug = self.document.course.slug
        if self.document.kind is DocumentKind.LESSON:
            return path_for(
                "courses.lesson", course_slug=course_slug, lesson_slug=self.document.slug
            )
        if self.document.kind is DocumentKind.TOOL:
            return path_for(
                "courses.toolbox_item", course_slug=course_slug, item_slug=self.document.slug
            )
        return path_for(
            "courses.case_study", course_slug=course_slug, module_slug=self.document.slug
        )


@dataclass
class SearchOutcome:
    #: The words searched for (none when every word typed was too short or too common).
    terms: list[str]
    results: list[SearchResult] = field(default_factory=list)
    total: int = 0


def search(user: User, text: str, limit: int = PAGE_SIZE) -> SearchOutcome:
    """The items of `user`'s courses containing every meaningful word of `text`, best first."""
    terms = search_terms(text)
    if not terms:
        return SearchOutcome(terms=[])
    course_ids = list(db.session.scalars(visible_course_ids(user)))
    matches, total = engines.find(terms, course_ids, limit)
    documents = {
        document.id: document
        for document in db.session.scalars(
            sa.select(SearchDocument)
            .where(SearchDocument.id.in_([match.document_id for match in matches]))
            .options(
                orm.selectinload(SearchDocument.course), orm.selectinload(SearchDocument.module)
            )
        )
    }
    results = [
        SearchResult(documents[match.document_id], match.title_html, match.snippet_html)
        for match in matches
    ]
    return SearchOutcome(terms=terms, results=results, total=total)

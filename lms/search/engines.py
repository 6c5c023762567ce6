"""The one place with engine-specific search SQL: SQLite FTS5 or PostgreSQL full-text search.

Both get only words from `lms.search.terms` (letters and digits), each quoted, so nothing a
person types is read as query syntax: "NEAR", "OR", '"', '(' or '-' are words or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup, escape

from lms.db import db
from lms.search.text import HIGHLIGHT_END, HIGHLIGHT_START

#: bm25 weights of the FTS5 columns (title, body): a word in the title says far more about
#: what the item is about than the same word once in a long body.
SQLITE_TITLE_WEIGHT, SQLITE_BODY_WEIGHT = 10.0, 1.0
#: Words of body text around the matches in a snippet.
SNIPPET_WORDS = 30


_NEIGHBOUR_MARKS = re.compile(f"{HIGHLIGHT_END}[ \\t]+{HIGHLIGHT_START}")


@dataclass(frozen=True)
class Match:
    document_id: int
    #: The title and a passage of the body, HTML-escaped, the matched words in <mark>.
    title_html: Markup
    snippet_html: Markup


def find(terms: Sequence[str], course_ids: Sequence[int], limit: int) -> tuple[list[Match], int]:
    """Documents of these courses containing every term, most relevant first (at most
    `limit`), and how many there are in all."""
    if not terms or not course_ids:
        return [], 0
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        rows = _sqlite_fts5(terms, course_ids, limit)
    elif dialect == "postgresql":
        rows = _postgresql(terms, course_ids, limit)
    else:  # pragma: no cover - the app runs on these two only
        raise NotImplementedError(f"no full-text search for {dialect}")
    total = int(rows[0].total) if rows else 0
    return [Match(row.id, _marked(row.title), _marked(row.snippet)) for row in rows], total


def _quoted(terms: Sequence[str]) -> str:
    """Every term as a quoted string, implicitly ANDed (both engines read this the same)."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _fts5_query(terms: Sequence[str]) -> str:
    """Every term, and the terms side by side as typed scored once more.

    bm25 knows nothing of how close the words are; matching the phrase too adds its score to
    documents that hold "consortium agreement" as such, above those with "agreement" here and
    "consortium" there. (PostgreSQL's ts_rank_cd rewards closeness by itself.)
    """
    if len(terms) == 1:
        return _quoted(terms)
    return f"{_quoted([' '.join(terms)])} OR ({_quoted(terms)})"


def _sqlite_fts5(
    terms: Sequence[str], course_ids: Sequence[int], limit: int
) -> Sequence[sa.Row[tuple[int, str, str, int]]]:
    # FTS5's functions (bm25, snippet) refuse to run next to a window function, so the
    # count is taken over them from outside. Snippets are made for every match this way; a
    # course has a few hundred documents at most, so that costs little.
    statement = sa.text(
        """
        SELECT id, title, snippet, count(*) OVER () AS total
        FROM (
            SELECT d.id,
                   highlight(search_index, 0, :start, :end) AS title,
                   snippet(search_index, 1, :start, :end, '…', :words) AS snippet,
                   bm25(search_index, :title_weight, :body_weight) AS rank
            FROM search_index JOIN search_documents AS d ON d.id = search_index.rowid
            WHERE search_index MATCH :query AND d.course_id IN :course_ids
        )
        ORDER BY rank, id
        LIMIT :limit
        """
    ).bindparams(sa.bindparam("course_ids", expanding=True))
    return db.session.execute(
        statement,
        {
            "query": _fts5_query(terms),
            "course_ids": list(course_ids),
            "start": HIGHLIGHT_START,
            "end": HIGHLIGHT_END,
            "words": SNIPPET_WORDS,
            "title_weight": SQLITE_TITLE_WEIGHT,
            "body_weight": SQLITE_BODY_WEIGHT,
            "limit": limit,
        },
    ).all()


def _postgresql(
    terms: Sequence[str], course_ids: Sequence[int], limit: int
) -> Sequence[sa.Row[tuple[int, str, str, int]]]:
    # Rank over the GIN-indexed column first; ts_headline reads the whole text, so it runs
    # only for the page of results. ts_rank_cd's normalisation 1 (divide by 1 + log length)
    # keeps long lessons that mention a word often from burying the item named after it.
    statement = sa.text(
        """
        WITH query AS (SELECT websearch_to_tsquery('english', :query) AS q),
        best AS (
            SELECT d.id, d.title, d.body,
                   ts_rank_cd(d.document, query.q, 1) AS rank,
                   count(*) OVER () AS total
            FROM search_documents AS d, query
            WHERE d.document @@ query.q AND d.course_id IN :course_ids
            ORDER BY rank DESC, d.id
            LIMIT :limit
        )
        SELECT best.id,
               ts_headline('english', best.title, query.q, :title_options) AS title,
               ts_headline('english', best.body, query.q, :snippet_options) AS snippet,
               best.total
        FROM best, query
        ORDER BY best.rank DESC, best.id
        """
    ).bindparams(sa.bindparam("course_ids", expanding=True))
    marks = f'StartSel="{HIGHLIGHT_START}", StopSel="{HIGHLIGHT_END}"'
    return db.session.execute(
        statement,
        {
            "query": _quoted(terms),
            "course_ids": list(course_ids),
            "title_options": f"HighlightAll=true, {marks}",
            "snippet_options": (
                f"{marks}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, "
                'MaxFragments=2, FragmentDelimiter=" … "'
            ),
            "limit": limit,
        },
    ).all()


def _marked(text: str) -> Markup:
    """`text` escaped for HTML, with the engine's highlight marks as <mark> elements."""
    escaped = str(escape(text or ""))
    # Words matched side by side read as one highlight ("Strategic Interest Group"), as FTS5
    # marks a matched phrase; ts_headline marks each word.
    escaped = _NEIGHBOUR_MARKS.sub(" ", escaped)
    return Markup(  # noqa: S704 - escaped above; only our own marks become tags
        escaped.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_END, "</mark>")
    )

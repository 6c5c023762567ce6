"""full-text search over lessons, toolbox items and case studies

One plain-text document per item in search_documents, and the engine's index over it: an
FTS5 table kept in step by triggers on SQLite, a generated tsvector column with a GIN index on
PostgreSQL (see lms/search/index.py). The documents of the courses already imported are made
here from their rendered HTML, so search works without importing the courses again.

Revision ID: 0009_search
Revises: 0008
Create Date: 2026-12-07 09:20:00

"""
from html.parser import HTMLParser

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_search'
down_revision = '0008'
branch_labels = None
depends_on = None

# The index as lms/search/index.py made it when this migration was written (kept here as it
# was, so that later changes there do not change what this migration did).
SQLITE_CREATE = (
    """CREATE VIRTUAL TABLE search_index USING fts5(
        title, body, content='search_documents', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER search_documents_after_insert AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_index(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER search_documents_after_delete AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_index(search_index, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER search_documents_after_update AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_index(search_index, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_index(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
)
POSTGRESQL_CREATE = (
    """ALTER TABLE search_documents ADD COLUMN document tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('english', title), 'A')
            || setweight(to_tsvector('english', body), 'B')
        ) STORED""",
    "CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)",
)
_BREAKS = {"p", "li", "td", "th", "br", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "div"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_endtag(self, tag):
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        self.handle_endtag(tag)


def _plain_text(*parts, html=""):
    parser = _Text()
    parser.feed(html or "")
    parser.close()
    text = " ".join([*parts, "".join(parser.parts)])
    return " ".join(text.replace("\ue000", "").replace("\ue001", "").split())


def upgrade():
    documents = op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('lesson', 'tool', 'case_study', name='documentkind', native_enum=False, length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_search_documents_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_search_documents_module_id_modules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('kind', 'item_id', name=op.f('uq_search_documents_kind_item_id'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_documents_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_documents_module_id'), ['module_id'], unique=False)

    bind = op.get_bind()
    for statement in SQLITE_CREATE if bind.dialect.name == 'sqlite' else POSTGRESQL_CREATE:
        op.execute(statement)
    op.bulk_insert(documents, list(_existing_documents(bind)))


def _existing_documents(bind):
    """The items in use of every course, as lms/search/services.py makes them on import."""
    in_use = "m.retired_at IS NULL AND i.retired_at IS NULL"
    queries = (
        ('lesson', "SELECT i.id, i.course_id, i.module_id, i.slug, i.title, '', '', i.body_html"
                   f" FROM lessons i JOIN modules m ON m.id = i.module_id WHERE {in_use}"),
        ('tool', "SELECT i.id, i.course_id, i.module_id, i.slug, i.title, i.purpose,"
                 " i.when_to_use, i.body_html"
                 f" FROM toolbox_items i JOIN modules m ON m.id = i.module_id WHERE {in_use}"),
        # Never the marking notes: they are for trainers only.
        ('case_study', "SELECT i.id, m.course_id, m.id, m.slug, i.title, '', '', i.body_html"
                       f" FROM case_studies i JOIN modules m ON m.id = i.module_id WHERE {in_use}"),
    )
    for kind, query in queries:
        for item_id, course_id, module_id, slug, title, purpose, when, html in bind.execute(
            sa.text(query)
        ):
            yield {
                'kind': kind, 'item_id': item_id, 'course_id': course_id,
                'module_id': module_id, 'slug': slug, 'title': title,
                'body': _plain_text(*(part for part in (purpose, when) if part), html=html),
            }


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE IF EXISTS search_index")
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_documents_module_id'))
        batch_op.drop_index(batch_op.f('ix_search_documents_course_id'))

    op.drop_table('search_documents')

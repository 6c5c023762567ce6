"""`upgrade head` on an empty database leaves nothing for autogenerate to add."""

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from lms import create_app
from lms.db import db
from tests.conftest import ON_POSTGRES, POSTGRES_URL, WORKER, base_test_config

SCHEMA = f"migration_check_{WORKER}"


def _fresh_database_url(tmp_path: Path) -> str:
    if ON_POSTGRES:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
        engine.dispose()
        separator = "&" if "?" in POSTGRES_URL else "?"
        return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{SCHEMA}"
    return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"


def test_upgrade_head_matches_the_models(tmp_path):
    app = create_app(base_test_config(tmp_path, _fresh_database_url(tmp_path)))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(connection).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables

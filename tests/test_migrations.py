"""`upgrade head` on an empty database leaves nothing for autogenerate to add."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from lms import create_app
from lms.db import db
from lms.search.index import include_name
from tests.conftest import ON_POSTGRES, WORKER, base_test_config, fresh_postgres_schema

SCHEMA = f"migration_check_{WORKER}"


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    if ON_POSTGRES:
        with fresh_postgres_schema(SCHEMA) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"


def test_upgrade_head_matches_the_models(tmp_path, fresh_database_url):
    app = create_app(base_test_config(tmp_path, fresh_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            # include_name: as `lms db migrate` does, leave the full-text index (which the
            # models cannot describe) to lms/search/index.py.
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "render_as_batch": True, "include_name": include_name},
            )
            differences = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(connection).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables

"""Trigram GIN indexes for the property list's `search` and `location` filters (PostgreSQL only).

Both filter with `icontains`, which Django compiles on PostgreSQL to
`UPPER("column"::text) LIKE UPPER('%term%')`: a leading wildcard no B-tree
serves, and an expression an index on the bare column never matches. So
each index is on exactly that expression, with pg_trgm's operator class,
which serves LIKE with any wildcards. `search` ORs title, description and
location: PostgreSQL combines the three indexes in a BitmapOr.

The SQL is written out: Django's GinIndex(OpClass(...)) needs
django.contrib.postgres installed to render, and in the model's Meta
Django would also create it on SQLite (when it rebuilds the table for an
altered column). On SQLite (the embedded stack) there is no pg_trgm: the
migration does nothing there, and the filters scan as before.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCHED_COLUMNS = ["title", "description", "location"]


def index_name(column: str) -> str:
    return f"property_{column}_trgm"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX {index_name(column)} ON properties_property USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(f"DROP INDEX {index_name(column)}")


class TrigramExtensionOnPostgreSQL(TrigramExtension):
    """pg_trgm; a no-op on other databases both ways (Django's checks the vendor only forwards)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("properties", "0001_initial")]

    operations = [
        TrigramExtensionOnPostgreSQL(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]

from django.db.models import BigIntegerField, Func


class EpochMicroseconds(Func):
    """A datetime column as whole microseconds since the Unix epoch, computed exactly by the database
    (the recommendation lists' score)."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        # EXTRACT answers an exact numeric on PostgreSQL 14+.
        return self.as_sql(
            compiler, connection, template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Stored as text "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC: whole seconds, then the fraction's digits.
        # strftime's %s doubled twice: once for this template, once for the backend's %s placeholders.
        return self.as_sql(
            compiler,
            connection,
            template="(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) * 1000000"
            " + CAST(substr(%(expressions)s, 21, 6) AS INTEGER))",
            **extra_context,
        )

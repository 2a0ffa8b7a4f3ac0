"""Drop the property indexes no query uses: the single-column one of `category` (the first column of
(category, status, is_available)) and the b-tree ones of `location` (its filter is a substring match,
served by its trigram index). A booking changes `is_available`, an indexed column, so its update is
never HOT and writes every index of the row: two fewer per booking, expiry and cancel."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("properties", "0003_search_document"),
    ]

    operations = [
        migrations.AlterField(
            model_name="property",
            name="category",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="properties",
                to="properties.category",
            ),
        ),
        migrations.AlterField(
            model_name="property",
            name="location",
            field=models.CharField(max_length=200),
        ),
    ]

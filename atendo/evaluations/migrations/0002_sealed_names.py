"""A clinical title or file name is sealed at rest (clinical.crypto): a token longer than the name."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="evaluation",
            name="title",
            field=models.TextField(blank=True, verbose_name="title"),
        ),
    ]

"""A clinical title or file name is sealed at rest (clinical.crypto): a token longer than the name."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="attachment",
            name="original_name",
            field=models.TextField(verbose_name="original name"),
        ),
    ]

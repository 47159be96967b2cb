# Issue 15: a notification keeps its text as a language-neutral phrase too, written in the reader's language.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0010_document_text_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="message",
            field=models.JSONField(
                blank=True,
                help_text="The text as a language-neutral phrase, written in the reader's language when shown.",
                null=True,
            ),
        ),
    ]

# Export jobs (metrics/export_jobs): files built by a worker, kept in PostgreSQL for 24 h.

import django.db.models.deletion
import django.utils.timezone
import metrics.export_jobs.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0008_current_score'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ExportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('portfolio_xlsx', 'Portfolio report (Excel)'), ('portfolio_pdf', 'Portfolio report (PDF)'), ('audit_pdf', 'Audit trail report (PDF)')], max_length=20)),
                ('access_scope', models.CharField(help_text="The requester's role and client when asked: the file is built and served only while they are the same (a changed role or client would read another scope's file).", max_length=60)),
                ('parameters', models.JSONField(blank=True, default=dict, help_text="The report's filters, as validated.")),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=10)),
                ('progress_done', models.PositiveIntegerField(default=0, help_text='Rows read so far.')),
                ('progress_total', models.PositiveIntegerField(default=0, help_text='Rows to read (0: not known yet).')),
                ('content', models.BinaryField(null=True)),
                ('size_bytes', models.PositiveIntegerField(default=0)),
                ('rows', models.PositiveIntegerField(default=0, help_text='Rows in the built file.')),
                ('filename', models.CharField(blank=True, max_length=120)),
                ('content_type', models.CharField(blank=True, max_length=120)),
                ('error', models.CharField(blank=True, help_text='Why it failed, in words for the user.', max_length=300)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('expires_at', models.DateTimeField(db_index=True, default=metrics.export_jobs.models._expiry)),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['requested_by', 'status'], name='export_job_owner_status')],
                'constraints': [models.CheckConstraint(condition=models.Q(('progress_done__lte', models.F('progress_total')), ('progress_total', 0), _connector='OR'), name='export_job_progress_within_total'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'done'), _negated=True), ('content__isnull', False), _connector='OR'), name='export_job_done_has_file')],
            },
        ),
    ]

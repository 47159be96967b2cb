"""Exports that are export jobs (XLSX, PDF): ask as the page does, build as the worker does, download."""

from django.urls import resolve, reverse

from metrics.export_jobs.services import export_job_build


def job_id_of(response) -> int:
    """The job a create POST answered with (303 to its page)."""
    assert response.status_code == 303, (response.status_code, response.content[:300])
    return resolve(response["Location"]).kwargs["pk"]


def export_through_job(client, url: str, data: dict | None = None):
    """POST ``url`` (an export button), build the job in this process (the worker's service), GET the download."""
    job_id = job_id_of(client.post(url, data or {}))
    assert export_job_build(job_id=job_id) == "done"
    return client.get(reverse("export-job-download", kwargs={"pk": job_id}))


def portfolio_export_url(fmt: str) -> str:
    return reverse("portfolio-export", kwargs={"fmt": fmt})

"""The worker builds reports (rendering a PDF takes seconds; a page never waits for it)."""

from django.tasks import task

from . import services


@task()
def build_report_task(report_id: int) -> str:
    return services.build_report(report_id)

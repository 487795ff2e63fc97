"""Background retry of 出证 when issuing right after the case concluded failed."""

from django.tasks import task


@task()
def issue_case_certificates(case_id: int) -> int:
    from tongban.cases.models import Case

    from .services import issue_for_case

    return len(issue_for_case(Case.objects.get(pk=case_id)))

"""Background work of cards: the cheap triggers of one case after one of its events."""

from django.tasks import task


@task()
def check_case(case_id: int) -> int:
    """Idempotent: a card exists once per case and trigger, so a second run finds it."""
    from .services import check_cases

    return check_cases([case_id])

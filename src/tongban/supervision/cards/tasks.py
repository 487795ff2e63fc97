"""Background work of cards: the cheap triggers of one case after one of its events (or of the
cases of one step taken together, a 一件事 split's children)."""

from django.tasks import task


@task()
def check_case(case_id: int) -> int:
    """Idempotent: a card exists once per case and trigger, so a second run finds it."""
    from .services import check_cases

    return check_cases([case_id])


@task()
def check_cases_together(case_ids: list[int]) -> int:
    """``check_case`` of the cases of one step taken together, in one task."""
    from .services import check_cases

    return check_cases(list(case_ids))

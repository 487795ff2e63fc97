"""Background work of payments: the receipt of a paid order and webhook deliveries, both
idempotent; ``tongban tick`` sweeps up whatever a lost task left."""

from django.tasks import task


@task()
def issue_receipt(order_id: int) -> bool:
    from .receipts import issue_for_order

    return issue_for_order(order_id) is not None


@task()
def deliver_webhook(delivery_id: int) -> str:
    from .webhooks import attempt

    return attempt(delivery_id)


@task()
def import_statements(day: str) -> int:
    import datetime as dt

    from .reconciliation import fetch_and_import

    return fetch_and_import(dt.date.fromisoformat(day))

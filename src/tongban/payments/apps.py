from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "tongban.payments"
    verbose_name = "统一支付"

    def ready(self) -> None:
        from tongban.cases import panels, steps
        from tongban.core import periodic

        from . import panels as payment_panels
        from . import receipts, reconciliation, services, webhooks

        steps.waiting_steps.register(services.PAYMENT_STEP)
        panels.register(payment_panels.PANEL)
        periodic.register("payments.expire_due", services.expire_due)
        periodic.register("payments.deliver_webhooks", webhooks.deliver_due)
        periodic.register("payments.issue_receipts", receipts.issue_missing)
        periodic.register("payments.reconcile", reconciliation.daily)

"""Entry points run in separate Python processes by test_refunds.py (the refund race)."""

import json
import os
import sys
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()


def prepare() -> dict:
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from tests.cases.conftest import citizen, staff
    from tests.factories import DepartmentFactory, FeeItemFactory, PublishedItemFactory
    from tongban.payments import services

    department = DepartmentFactory(name="区市场监督管理局")
    item = PublishedItemFactory(department=department, is_charged=True, fee_basis="《收费标准》")
    FeeItemFactory(item=item, standard="100 元/件")
    finance = [staff(department, "finance").pk, staff(department, "finance").pk]
    window = staff(department, "intake")
    order = services.create_order(actor=window, item=item, payer=citizen("张三"), idempotency_key="race")
    services.pay_at_window(actor=window, order=order, voucher="POS-1")
    return {"order": order.pk, "finance": finance}


def refund(user_id: int, order_id: int, amount: str, start_at: float) -> dict:
    from tongban.core.errors import ServiceError
    from tongban.identity.models import User
    from tongban.payments import services
    from tongban.payments.models import PaymentOrder

    user, order = User.objects.get(pk=user_id), PaymentOrder.objects.get(pk=order_id)
    time.sleep(max(0.0, start_at - time.time()))
    try:
        services.refund(actor=user, order=order, amount=amount, reason="多收退还")
    except ServiceError as exc:
        return {"ok": False, "code": exc.code, "message": exc.message}
    return {"ok": True}


if __name__ == "__main__":
    _setup()
    command, args = sys.argv[1], [json.loads(a) for a in sys.argv[2:]]
    print(json.dumps(globals()[command](*args), ensure_ascii=False))

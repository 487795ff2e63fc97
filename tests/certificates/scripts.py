"""Entry points run in separate Python processes by test_processes.py (a fresh interpreter each)."""

import json
import os
import sys
import time


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()


def prepare() -> dict:
    from tests.certificates.conftest import make_type
    from tests.factories import DepartmentFactory

    department = DepartmentFactory(name="区行政审批局")
    return {"type": make_type(department).pk}


def issue(type_pk: int, count: int, start_at: float) -> dict:
    """Wait for the common start, then issue ``count`` certificates, each in its own transaction."""
    from django.db import transaction
    from django.utils import timezone

    from tongban.certificates import services
    from tongban.certificates.models import CertificateType

    ctype = CertificateType.objects.select_related("department").get(pk=type_pk)
    holder = services.Holder("person", "张三", "511602199001011234")
    time.sleep(max(0.0, start_at - time.time()))
    made = []
    for _ in range(count):
        with transaction.atomic():
            certificate = services._issue(
                ctype=ctype,
                holder=holder,
                fields={"scope": "餐饮服务"},
                valid_from=timezone.localdate(),
                valid_until=None,
                origin="proof",
            )
        made.append([certificate.serial, certificate.identifier, certificate.seal_key.kid])
    return {"made": made}


if __name__ == "__main__":
    _setup_django()
    command, *raw = sys.argv[1:]
    print(json.dumps(globals()[command](*[json.loads(a) for a in raw])))

"""Entry points run in separate Python processes by test_processes.py.

Each call starts a fresh interpreter against the shared external database, exactly like a
new web or worker process (or the server after a restart).
"""

import json
import os
import sys
import time


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()


def prepare() -> dict:
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from tests.cases.conftest import citizen, fill, pdf_upload, staff
    from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory
    from tongban.cases import services

    department = DepartmentFactory(name="区行政审批局")
    item = PublishedItemFactory(name="食品经营许可", department=department)
    material = MaterialRequirementFactory(item=item, name="营业执照")
    applicant = citizen("张三")
    application = services.start_application(user=applicant, item=item)
    services.save_draft(user=applicant, application=application, data=fill(application))
    services.attach_file(user=applicant, application=application, requirement=material, upload=pdf_upload())
    case = services.submit_application(user=applicant, application=application)
    roles = {role: staff(department, role).pk for role in ("intake", "review", "decide", "issue")}
    second = staff(department, "intake").pk
    return {"case": case.number, "roles": roles, "second_intake": second}


def claim(user_id: int, number: str, start_at: float) -> dict:
    from django.contrib.auth import get_user_model

    from tongban.cases import services
    from tongban.cases.models import Case
    from tongban.core.errors import ServiceError

    user = get_user_model().objects.get(pk=user_id)
    case = Case.objects.get(number=number)
    while time.time() < start_at:
        time.sleep(0.001)
    try:
        services.claim_case(actor=user, case=case)
        return {"won": True}
    except ServiceError as exc:
        return {"won": False, "code": exc.code, "message": exc.message}


def act(user_id: int, number: str, action: str) -> dict:
    from django.contrib.auth import get_user_model

    from tongban.cases import services
    from tongban.cases.models import Case

    user = get_user_model().objects.get(pk=user_id)
    case = Case.objects.get(number=number)
    if action == "accept":
        services.accept_case(actor=user, case=case)
    elif action == "review":
        services.review_case(actor=user, case=case, opinion="材料齐全。")
    elif action == "decide":
        services.decide_case(actor=user, case=case, grant=True, reason="符合法定条件。")
    elif action == "conclude":
        services.conclude_case(actor=user, case=case, result="issued")
    case.refresh_from_db()
    return {"status": case.status, "step": case.current_step, "version": case.version}


if __name__ == "__main__":
    _setup_django()
    command, *args = sys.argv[1:]
    parsed = [json.loads(a) for a in args]
    result = {"prepare": prepare, "claim": claim, "act": act}[command](*parsed)
    print(json.dumps(result, ensure_ascii=False))

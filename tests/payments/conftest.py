"""Payments tests run against the sandbox provider Tongban ships, started once per session
on a free local port with keys generated into a temporary folder (nothing leaves the machine)."""

import json
from urllib.parse import parse_qsl, urlsplit
from urllib.request import Request, urlopen

import pytest

from tests.cases.conftest import citizen, fill, pdf_upload, staff
from tests.factories import (
    DepartmentFactory,
    FeeItemFactory,
    MaterialRequirementFactory,
    PublishedItemFactory,
)
from tongban.cases import services as case_services
from tongban.payments import conf, sandbox


@pytest.fixture(scope="session")
def sandbox_app(tmp_path_factory):
    import os

    folder = tmp_path_factory.mktemp("payments-sandbox")
    previous = os.environ.get("TONGBAN_PAYMENTS_SANDBOX_DIR")
    os.environ["TONGBAN_PAYMENTS_SANDBOX_DIR"] = str(folder)
    conf.ensure_sandbox_keys(folder)
    server, app = sandbox.serve(folder, deliver=False)
    yield app
    server.shutdown()
    if previous is None:
        os.environ.pop("TONGBAN_PAYMENTS_SANDBOX_DIR", None)
    else:
        os.environ["TONGBAN_PAYMENTS_SANDBOX_DIR"] = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture
def pay_world(db, sandbox_app):
    """A department, a charging promised item (工本费 20 元, 证书费 5.50 元) and its people."""
    department = DepartmentFactory(name="区市场监督管理局")
    item = PublishedItemFactory(
        name="药品零售许可", department=department, is_charged=True, fee_basis="《药品管理法》"
    )
    FeeItemFactory(item=item, name="工本费", standard="每证 20 元", basis="《行政事业性收费标准》")
    FeeItemFactory(item=item, name="证书费", standard="5.50元/本", basis="《证书收费办法》")
    material = MaterialRequirementFactory(item=item, name="营业执照复印件")
    return {
        "department": department,
        "item": item,
        "material": material,
        "applicant": citizen("张三"),
        "other": citizen("李四"),
        "intake": staff(department, "intake", name="受理员"),
        "reviewer": staff(department, "review", name="审查员"),
        "finance": staff(department, "finance", name="财务"),
        "outsider_finance": staff(DepartmentFactory(name="区民政局"), "finance", name="外局财务"),
        "sandbox": sandbox_app,
    }


def submit(world, item=None):
    item = item or world["item"]
    material = world["material"] if item == world["item"] else None
    application = case_services.start_application(user=world["applicant"], item=item)
    case_services.save_draft(user=world["applicant"], application=application, data=fill(application), step=1)
    if material is not None:
        case_services.attach_file(
            user=world["applicant"], application=application, requirement=material, upload=pdf_upload()
        )
    return case_services.submit_application(user=world["applicant"], application=application)


def accepted(world, item=None):
    case = submit(world, item)
    return case_services.accept_case(actor=world["intake"], case=case)


def sandbox_get(url: str) -> str:
    with urlopen(url, timeout=10) as response:
        return response.read().decode()


def sandbox_pay(app, channel: str, out_trade_no: str) -> dict:
    """The payer confirms on the sandbox cashier; returns the notification it produced."""
    request = Request(
        f"{app.base}/{channel}/pay", data=f"out_trade_no={out_trade_no}".encode(), method="POST"
    )

    class NoRedirect(__import__("urllib.request").request.HTTPErrorProcessor):
        def http_response(self, request, response):
            return response

    opener = __import__("urllib.request").request.build_opener(NoRedirect)
    with opener.open(request, timeout=10) as response:
        location = response.headers.get("Location", "")
    notices = json.loads(sandbox_get(f"{app.base}/_sandbox/outbox?out_trade_no={out_trade_no}"))
    notice = notices[-1]
    notice["return_params"] = dict(parse_qsl(urlsplit(location).query)) if location else {}
    return notice


def post_notice(client, notice: dict, *, body: str | None = None, headers: dict | None = None):
    channel = notice["channel"]
    url = f"/payments/notify/{channel}/"
    body = notice["body"] if body is None else body
    headers = {**notice["headers"], **(headers or {})}
    content_type = headers.pop("Content-Type")
    return client.post(url, data=body.encode(), content_type=content_type, headers=headers)

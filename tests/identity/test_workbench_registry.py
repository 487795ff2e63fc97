"""identity owns /staff/ but the workbench comes from the top layer through a registry."""

from django.urls import reverse

from tests.factories import DepartmentFactory, login_verified
from tests.identity.factories import staff_in
from tongban.identity import workbench


def test_staff_home_renders_the_registered_workbench(client, db):
    assert workbench.registered_home() is not None  # web registers it in AppConfig.ready()
    login_verified(client, staff_in(DepartmentFactory(name="区审批局"), "intake"))
    body = client.get(reverse("identity:staff_home")).content.decode()
    assert "常用功能" in body and "本部门数据 · 区审批局" in body


def test_without_a_registration_the_roles_are_listed(client, db, monkeypatch):
    monkeypatch.setattr(workbench, "_HOME", [])
    login_verified(client, staff_in(DepartmentFactory(name="区审批局"), "intake"))
    body = client.get(reverse("identity:staff_home")).content.decode()
    assert "我的部门与角色" in body and "常用功能" not in body


def test_registering_replaces_the_previous_home(monkeypatch):
    monkeypatch.setattr(workbench, "_HOME", [])

    def first(request):
        return None

    def second(request):
        return None

    workbench.register_home(first)
    workbench.register_home(second)
    assert workbench.registered_home() is second

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import region_chain
from tongban.demo import identity as demo
from tongban.identity.actors import check_agent_scope
from tongban.identity.models import AgentAuthorization, EnterpriseAccount, StaffMembership, StaffRole, User
from tongban.registries.generator import GUANGAN_COUNTIES
from tongban.registries.models import EnterpriseRecord, PopulationRecord
from tongban.registries.validators import parse_id_number

pytestmark = pytest.mark.django_db


def test_demo_accounts_are_consistent_and_idempotent():
    for code in GUANGAN_COUNTIES:
        region_chain(code)
    lines = []
    demo.load(out=lines.append)
    text = "\n".join(lines)
    assert demo.DEMO_TOTP_SECRET in text and demo.DEMO_PASSWORD in text

    citizen = User.objects.get(username="13800000001")
    record = PopulationRecord.objects.get(id_number=citizen.id_number)
    assert citizen.real_name_level == 2 and record.name == citizen.real_name == "张晓明"
    assert parse_id_number(record.id_number).region_code == record.region.code
    assert citizen.check_password(demo.DEMO_PASSWORD)

    rep = User.objects.get(username="13800000002")
    enterprise = EnterpriseAccount.objects.get(legal_rep=rep)
    assert enterprise.record.legal_rep_id_number == rep.id_number
    agent = User.objects.get(username="13800000003")
    assert check_agent_scope(agent, enterprise) is not None

    roles_by_department: dict[int, set[str]] = {}
    for membership in StaffMembership.objects.all():
        roles_by_department.setdefault(membership.department_id, set()).add(membership.role)
    full = [d for d, roles in roles_by_department.items() if roles == set(StaffRole.values)]
    assert len(full) >= 2  # two departments with every role
    assert StaffMembership.objects.filter(role=StaffRole.SUPERVISOR, department__region__code="5116").exists()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.kind == "staff"
    device = TOTPDevice.objects.get(user=admin)
    assert device.verify_token(f"{totp(device.bin_key):06d}")
    assert PopulationRecord.objects.filter(name="赵德明", status="deceased").exists()

    counts = (User.objects.count(), PopulationRecord.objects.count(), EnterpriseRecord.objects.count())
    demo.load()
    assert counts == (
        User.objects.count(),
        PopulationRecord.objects.count(),
        EnterpriseRecord.objects.count(),
    )
    assert AgentAuthorization.objects.count() == 1

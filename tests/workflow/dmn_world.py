"""Fixtures for 秒批 and 免申即享 tests: an item with a published table and a licence type."""

import datetime as dt

import pytest

from tests.cases import conftest as case_fixtures
from tests.cases.conftest import fill, pdf_upload
from tests.certificates.conftest import make_type
from tests.factories import region_chain
from tongban.cases import services as case_services
from tongban.decisions.inputs import KNOWN
from tongban.decisions.models import InstantApproval
from tongban.registries.models import PopulationRecord
from tongban.workflow.dmn import services as dmn

from .dmn_builder import table_xml

world = case_fixtures.world

ADULT_TABLE = table_xml(
    name="秒批",
    inputs=[("申请人.年龄", "number"), ("申请人.实名等级", "number")],
    outputs=[("决定", "string", ""), ("理由", "string", "")],
    rules=[
        (["<18", "-"], ['"不予"', '"申请人未满 18 周岁"']),
        ([">=18", ">=2"], ['"准予"', '"年满 18 周岁且已实名核验"']),
        ([">=18", "<2"], ['"不予"', '"未完成实名核验"']),
    ],
)


def publish(key, xml, department=None, name="食品经营许可秒批"):
    table = dmn.upload_table(actor=None, key=key, name=name, dmn=xml, department=department, known=KNOWN)
    return dmn.publish_table(actor=None, table=table)


def grant_population(department):
    """The population registry in the sharing catalogue and a grant in force for ``department``."""
    from tests.factories import DepartmentFactory
    from tongban.sharing import catalogue
    from tongban.sharing.models import DataResource, Grant

    if not DataResource.objects.filter(kind=DataResource.Kind.POPULATION).exists():
        police = DepartmentFactory(name="区公安分局")
        catalogue.publish_standard(population=police, enterprise=police, case_results=police)
    resource = DataResource.objects.get(kind=DataResource.Kind.POPULATION)
    return Grant.objects.create(
        code=f"SQTEST{department.pk}",
        resource=resource,
        consumer=department,
        fields=["birth_date", "status", "region_code", "sex"],
        purpose="秒批与免申即享",
        valid_from=dt.date(2020, 1, 1),
        valid_until=dt.date(2099, 1, 1),
    )


@pytest.fixture
def instant(world):
    """The world's item marked 秒批 with ADULT_TABLE published, and a licence it issues."""
    grant_population(world["department"])
    table = publish("item:food", ADULT_TABLE, world["department"])
    InstantApproval.objects.create(item=world["item"], table_key="item:food")
    make_type(world["department"], world["item"])
    return {**world, "table": table}


def submit(w, user=None):
    user = user or w["applicant"]
    application = case_services.start_application(user=user, item=w["item"])
    case_services.save_draft(user=user, application=application, data=fill(application), step=1)
    case_services.attach_file(
        user=user, application=application, requirement=w["material"], upload=pdf_upload()
    )
    return case_services.submit_application(user=user, application=application)


def person(id_number, name="王大爷", birth=dt.date(1946, 5, 1), status="alive"):
    region = region_chain("511602")
    return PopulationRecord.objects.create(
        name=name,
        id_number=id_number,
        birth_date=birth,
        sex="M",
        region=region,
        status=status,
        address="建设路 1 号",
    )

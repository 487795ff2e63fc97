"""Every person and enterprise `tongban demo` loads passes the checks the application forms run.

The forms validate an ID number with the ``id_number`` widget of ``forms.schema``; a demo person
it refuses cannot apply (issue 10: 544 of 605 demo people were locked out).
"""

import datetime

import pytest

from tongban.demo import identity, steps
from tongban.forms.schema import validate_data
from tongban.registries.generator import RegistryGenerator
from tongban.registries.models import EnterpriseRecord, PopulationRecord

SCHEMA = {
    "type": "object",
    "properties": {
        "id_number": {"type": "string", "x-widget": "id_number", "title": "身份证号码"},
        "uscc": {"type": "string", "x-widget": "uscc", "title": "统一社会信用代码"},
    },
}


@pytest.mark.django_db
def test_every_demo_person_and_enterprise_passes_the_form_validation():
    steps.regions()
    identity.load()
    people = list(PopulationRecord.objects.values_list("id_number", flat=True))
    assert len(people) == identity.PEOPLE + len(identity.NAMED_PEOPLE)
    refused = {n: validate_data(SCHEMA, None, {"id_number": n}).fields for n in people}
    assert {n: e for n, e in refused.items() if e} == {}
    enterprises = list(EnterpriseRecord.objects.values_list("uscc", "legal_rep_id_number"))
    assert len(enterprises) > 1
    for uscc, rep in enterprises:
        assert not validate_data(SCHEMA, None, {"id_number": rep, "uscc": uscc})


@pytest.mark.django_db
def test_the_readme_accounts_numbers_pass_the_form_validation():
    steps.regions()
    identity.load()
    for name, *_ in identity.NAMED_PEOPLE.values():
        number = PopulationRecord.objects.get(name=name, region__code="511602").id_number
        assert number.startswith("511602")  # an area code created in 1998, all born earlier or later
        assert not validate_data(SCHEMA, None, {"id_number": number})


def test_the_generator_refuses_an_area_code_that_never_existed():
    with pytest.raises(ValueError, match="地区码"):
        RegistryGenerator(seed=1).person(region_code="511699", birth_date=datetime.date(1990, 1, 1))

from stdnum.cn import ric, uscc

from tongban.registries.generator import GUANGAN_COUNTIES, RegistryGenerator, organisation_code
from tongban.registries.validators import is_valid_id_number, parse_id_number


def test_people_are_consistent_with_their_id_numbers():
    gen = RegistryGenerator(seed=7)
    people = gen.people(300)
    assert len({p.id_number for p in people}) == 300
    for person in people:
        assert ric.calc_check_digit(person.id_number) == person.id_number[-1]
        assert is_valid_id_number(person.id_number)
        facts = parse_id_number(person.id_number)
        assert facts.birth_date == person.birth_date
        assert facts.sex == person.sex
        assert facts.region_code == person.region_code
        assert person.region_code in GUANGAN_COUNTIES
        assert GUANGAN_COUNTIES[person.region_code] in person.address


def test_enterprises_have_valid_uscc_and_living_legal_reps_from_the_people():
    gen = RegistryGenerator(seed=7)
    people = gen.people(50)
    by_id = {p.id_number: p for p in people}
    enterprises = gen.enterprises(people, 40)
    assert len({e.uscc for e in enterprises}) == 40
    for ent in enterprises:
        assert uscc.is_valid(ent.uscc)
        assert ent.uscc[2:8] == ent.region_code
        rep = by_id[ent.legal_rep_id_number]
        assert rep.name == ent.legal_rep_name and rep.status == "alive"


def test_same_seed_gives_same_data():
    assert RegistryGenerator(seed=3).people(5) == RegistryGenerator(seed=3).people(5)
    assert RegistryGenerator(seed=3).people(5) != RegistryGenerator(seed=4).people(5)


def test_organisation_code_check_character():
    import random

    code = organisation_code(random.Random(1))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(d) * w for d, w in zip(code[:8], weights, strict=True)) % 11
    assert code[8] == {10: "X", 11: "0"}.get(check, str(check))

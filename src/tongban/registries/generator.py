"""Consistent synthetic registry data for the demo and for tests.

Every ID number carries a valid GB 11643 check digit, and its region code, birth date and
sex digit agree with the row; every enterprise has a valid USCC registered in one of the
same counties, and its legal representative is one of the generated (living) people.
"""

import datetime
import random
from dataclasses import dataclass

from .validators import id_number_error, make_id_number, make_uscc

# 广安市 counties (GB/T 2260): 广安区, 前锋区, 岳池县, 武胜县, 邻水县, 华蓥市.
GUANGAN_COUNTIES = {
    "511602": "广安区",
    "511603": "前锋区",
    "511621": "岳池县",
    "511622": "武胜县",
    "511623": "邻水县",
    "511681": "华蓥市",
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩婷雪琳欣怡子涵梓轩"
STREETS = (
    "建设路",
    "人民路",
    "滨河路",
    "幸福街",
    "广宁大道",
    "金安大道",
    "朝阳街",
    "迎宾路",
    "新华街",
    "五福路",
)
TRADES = (
    ("商贸", "有限公司"),
    ("餐饮管理", "有限公司"),
    ("建筑工程", "有限公司"),
    ("农业科技", "有限公司"),
    ("物流", "有限公司"),
    ("信息技术", "有限公司"),
    ("食品", "股份有限公司"),
    ("家政服务", "有限公司"),
)
WORDS = "华蓥渠江协兴邓园思源嘉陵川东宝箴金城锦程恒泰鑫源宏达启航青禾"


@dataclass
class PersonRow:
    name: str
    id_number: str
    sex: str
    birth_date: datetime.date
    address: str
    region_code: str
    status: str = "alive"

    def as_csv(self) -> dict[str, str]:
        return {
            "name": self.name,
            "id_number": self.id_number,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat(),
            "ethnicity": "汉族",
            "address": self.address,
            "region_code": self.region_code,
            "status": self.status,
        }


@dataclass
class EnterpriseRow:
    name: str
    uscc: str
    legal_rep_name: str
    legal_rep_id_number: str
    kind: str
    address: str
    region_code: str
    established_on: datetime.date
    status: str = "active"

    def as_csv(self) -> dict[str, str]:
        return {
            "name": self.name,
            "uscc": self.uscc,
            "legal_rep_name": self.legal_rep_name,
            "legal_rep_id_number": self.legal_rep_id_number,
            "kind": self.kind,
            "address": self.address,
            "region_code": self.region_code,
            "established_on": self.established_on.isoformat(),
            "status": self.status,
        }


def organisation_code(rng: random.Random) -> str:
    """A 9-character 组织机构代码 (GB 11714) with its own check character."""
    body = f"{rng.randrange(10**7, 10**8)}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


class RegistryGenerator:
    """Deterministic for a given seed, so `tongban demo` gives every developer the same people."""

    def __init__(self, seed: int = 2026, counties: dict[str, str] | None = None):
        self.rng = random.Random(seed)
        self.counties = counties or GUANGAN_COUNTIES
        self._used_ids: set[str] = set()
        self._used_uscc: set[str] = set()

    def person(
        self,
        *,
        name: str | None = None,
        region_code: str | None = None,
        birth_date: datetime.date | None = None,
        sex: str | None = None,
        status: str = "alive",
    ) -> PersonRow:
        rng = self.rng
        region_code = region_code or rng.choice(sorted(self.counties))
        sex = sex or rng.choice("MF")
        birth_date = birth_date or datetime.date(1950, 1, 1) + datetime.timedelta(
            days=rng.randrange(0, 365 * 55)
        )
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            number = make_id_number(region_code, birth_date, sequence)
            if error := id_number_error(number):  # the demo must only hold numbers the forms accept
                raise ValueError(f"{number}: {error}")
            if number not in self._used_ids:
                break
        self._used_ids.add(number)
        name = name or rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        county = self.counties.get(region_code, "")
        address = f"四川省广安市{county}{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
        return PersonRow(name, number, sex, birth_date, address, region_code, status)

    def people(self, count: int) -> list[PersonRow]:
        return [self.person() for _ in range(count)]

    def enterprise(
        self,
        legal_rep: PersonRow,
        *,
        name: str | None = None,
        region_code: str | None = None,
        kind: str = "limited",
        status: str = "active",
    ) -> EnterpriseRow:
        rng = self.rng
        region_code = region_code or legal_rep.region_code
        while True:
            code = make_uscc(region_code, organisation_code(rng))
            if code not in self._used_uscc:
                break
        self._used_uscc.add(code)
        if name is None:
            trade, suffix = rng.choice(TRADES)
            words = "".join(rng.choice(WORDS) for _ in range(2))
            name = f"广安市{words}{trade}{suffix}"
        county = self.counties.get(region_code, "")
        established = datetime.date(2005, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 20))
        return EnterpriseRow(
            name=name,
            uscc=code,
            legal_rep_name=legal_rep.name,
            legal_rep_id_number=legal_rep.id_number,
            kind=kind,
            address=f"四川省广安市{county}{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
            region_code=region_code,
            established_on=established,
            status=status,
        )

    def enterprises(self, people: list[PersonRow], count: int) -> list[EnterpriseRow]:
        living = [p for p in people if p.status == "alive" and p.birth_date.year < 2000]
        return [self.enterprise(self.rng.choice(living)) for _ in range(count)]

"""Demo departments: real-style names per county and valid 统一社会信用代码.

The 广安区 catalogue names departments by their local short form ("区人社局"); a county gets
the full official name built from its own name ("岳池县人力资源和社会保障局").
"""

import zlib

from stdnum.cn import uscc as stdnum_uscc

from tongban.regions.models import Region

# short name in the 广安区 catalogue → (full name after the county name, registration kind)
# Registration kind: the first two characters of the USCC (11 机关, 12 事业单位, 13 群团).
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "区行政审批局": ("行政审批局", "11"),
    "区人社局": ("人力资源和社会保障局", "11"),
    "区交通运输局": ("交通运输局", "11"),
    "广安区税务局": ("税务局", "11"),
    "区住建局": ("住房和城乡建设局", "11"),
    "区自然资源和规划局": ("自然资源和规划局", "11"),
    "区公安分局": ("公安局", "11"),
    "区医疗保障局": ("医疗保障局", "11"),
    "区文广旅局": ("文化广播电视和旅游局", "11"),
    "区教科体局": ("教育科技和体育局", "11"),
    "区农业农村局": ("农业农村局", "11"),
    "区司法局": ("司法局", "11"),
    "区卫健局": ("卫生健康局", "11"),
    "区民政局": ("民政局", "11"),
    "区市监局": ("市场监督管理局", "11"),
    "区林业局": ("林业局", "11"),
    "区生态环境局": ("生态环境局", "11"),
    "区残联": ("残疾人联合会", "13"),
    "区水务局": ("水务局", "11"),
    "区应急管理局": ("应急管理局", "11"),
    "区政府办": ("人民政府办公室", "11"),
    "区烟草专卖局": ("烟草专卖局", "11"),
    "区气象局": ("气象局", "11"),
    "区退役军人事务局": ("退役军人事务局", "11"),
    "区财政局": ("财政局", "11"),
    "区委办": ("委办公室", "11"),
    "区综合执法局": ("综合行政执法局", "11"),
    "区发改局": ("发展和改革局", "11"),
    "区公管办": ("公共资源交易服务中心", "12"),
    "区商务局": ("商务局", "11"),
    "区委统战部": ("委统战部", "11"),
    "区经信局": ("经济和信息化局", "11"),
    "区消防大队": ("消防救援大队", "11"),
    "区统计局": ("统计局", "11"),
}

# Telephone area codes of Sichuan's cities (眉山 and 资阳 share Chengdu's 028).
AREA_CODES = {
    "5101": "028",
    "5103": "0813",
    "5104": "0812",
    "5105": "0830",
    "5106": "0838",
    "5107": "0816",
    "5108": "0839",
    "5109": "0825",
    "5110": "0832",
    "5111": "0833",
    "5113": "0817",
    "5114": "028",
    "5115": "0831",
    "5116": "0826",
    "5117": "0818",
    "5118": "0835",
    "5119": "0827",
    "5120": "028",
    "5132": "0837",
    "5133": "0836",
    "5134": "0834",
}

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def area_code(region_code: str) -> str:
    return AREA_CODES.get(region_code[:4], "028")


def organization_code(body: str) -> str:
    """An 8-digit body plus its GB 11714 check character."""
    total = sum(int(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def make_uscc(kind: str, region_code: str, key: str, taken: set[str]) -> str:
    """A deterministic USCC: registration kind, the 6-digit region code, an organisation code."""
    region6 = region_code.ljust(6, "0")[:6]
    seed = zlib.crc32(f"{region6}:{key}".encode()) % 1_000_000
    while True:
        body = f"{kind}{region6}{organization_code(f'00{seed:06d}')}"
        code = body + stdnum_uscc.calc_check_digit(body)
        if code not in taken:
            taken.add(code)
            return code
        seed = (seed + 1) % 1_000_000


def full_name(short: str, county: Region, city: Region | None) -> str:
    """The official name of a county department named ``short`` in the 广安区 catalogue."""
    place = county.name
    suffix = DEPARTMENTS.get(short, (short.removeprefix("区"), "11"))[0]
    if short == "广安区税务局":
        return f"国家税务总局{city.name if city else ''}{place}税务局"
    if short == "区公安分局" and place.endswith("区") and city is not None:
        return f"{city.name}公安局{place}分局"
    if short in ("区委办", "区委统战部"):
        return f"中共{place}{suffix}"
    if short == "区生态环境局" and city is not None and len(place) > 2:
        return f"{city.name}{place[:-1]}生态环境局"
    return f"{place}{suffix}"


def short_name(short: str, county: Region) -> str:
    """The local short form, with the county's own kind: 区 / 县 / 市."""
    if short == "广安区税务局":
        return f"{county.name}税务局"
    kind = county.name[-1] if county.name[-1] in "区县市旗" else "县"
    return kind + short.removeprefix("区") if short.startswith("区") else short


def registration_kind(short: str) -> str:
    return DEPARTMENTS.get(short, ("", "11"))[1]

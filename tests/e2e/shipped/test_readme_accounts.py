"""Every account the README lists signs in on the shipped demo, where the README says."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_accounts() -> list[tuple[str, str]]:
    """(entry point, account) for each account in the README's table of demo accounts; `sj_shouli`
    … `sj_guanli` stands for the same roles as the rs_ accounts."""
    accounts: list[tuple[str, str]] = []
    rs_roles: list[str] = []
    for line in README.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[1] not in ("`/account/login/`", "`/staff/login/`"):
            continue
        names = re.findall(r"`([^`]+)`", cells[2])
        if "…" in cells[2] and names and names[0].startswith("sj_"):
            names = [f"sj_{role}" for role in rs_roles]
        if names and names[0].startswith("rs_"):
            rs_roles = [name.removeprefix("rs_") for name in names]
        accounts += [(cells[1].strip("`"), name) for name in names]
    return accounts


def test_readme_lists_the_demo_accounts():
    accounts = readme_accounts()
    assert ("/account/login/", "13800000001") in accounts
    assert ("/staff/login/", "sj_guanli") in accounts
    assert ("/staff/login/", "shi_jiancha") in accounts


@pytest.mark.parametrize(("entry", "account"), readme_accounts())
def test_readme_account_signs_in(open_as, entry, account):
    page = open_as(account)
    if entry == "/staff/login/":
        expect(page).to_have_url(re.compile(r"/staff/"))
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    if account in ("13800000001", "rs_shouli"):
        look(page, f"signed-in-{account}")

"""缴费统计 (/staff/payments/figures/): sums by item and department, refunds, open and expired
orders, reconciliation mismatches; supervisors see their region, 财务 their own department."""

import datetime as dt
import itertools
from decimal import Decimal

import factory
import pytest
from django.utils import timezone

from tests.cases.conftest import citizen, staff
from tests.factories import DepartmentFactory, PublishedItemFactory, login_verified, region_chain
from tongban.core.errors import NotFound
from tongban.payments import figures, selectors
from tongban.payments.models import Mismatch, PaymentOrder, Refund, Statement

URL = "/staff/payments/figures/"
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
_serial = itertools.count(1)


def at(day: int, month: int = 3) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, 10, 0))


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentOrder

    number = factory.LazyFunction(lambda: f"FIG{next(_serial):08d}")
    payment_code = factory.LazyFunction(lambda: f"{next(_serial):020d}")
    item = factory.SubFactory(PublishedItemFactory)
    department = factory.LazyAttribute(lambda o: o.item.department)
    payer_name = "张三"
    subject = factory.LazyAttribute(lambda o: o.item.name)
    amount = Decimal("20.00")
    status = PaymentOrder.Status.PAID
    paid_at = factory.LazyFunction(lambda: at(10))
    expires_at = factory.LazyFunction(lambda: at(20))


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    order = factory.SubFactory(OrderFactory)
    number = factory.LazyFunction(lambda: f"RF{next(_serial):08d}")
    amount = Decimal("5.00")
    reason = "多收工本费"
    requested_by = factory.LazyFunction(lambda: citizen("退款经办"))


def refund(on: dt.datetime, **kwargs) -> Refund:
    made = RefundFactory(**kwargs)
    Refund.objects.filter(pk=made.pk).update(created_at=on)
    return made


@pytest.fixture
def fig(db):
    """Two departments in one county (市场监管, 民政), one in another province, their orders in March."""
    market = DepartmentFactory(name="区市场监督管理局")
    civil = DepartmentFactory(name="区民政局")
    far = DepartmentFactory(name="远方局", region=region_chain("110101"))
    licence = PublishedItemFactory(name="药品零售许可", department=market)
    food = PublishedItemFactory(name="食品经营许可", department=market)
    marriage = PublishedItemFactory(name="婚姻登记", department=civil)
    far_item = PublishedItemFactory(name="远方事项", department=far)
    OrderFactory(item=licence, amount=Decimal("25.50"))
    OrderFactory(item=licence, amount=Decimal("20.00"), paid_at=at(31))
    OrderFactory(item=food, amount=Decimal("10.00"))
    paid_civil = OrderFactory(item=marriage, amount=Decimal("9.00"))
    OrderFactory(item=licence, amount=Decimal("99.00"), paid_at=at(1, month=4))  # outside the period
    OrderFactory(item=far_item, amount=Decimal("500.00"))
    OrderFactory(item=licence, status=PaymentOrder.Status.EXPIRED, paid_at=None, expires_at=at(12))
    open_order = OrderFactory(item=food, status=PaymentOrder.Status.CREATED, paid_at=None)
    PaymentOrder.objects.filter(pk=open_order.pk).update(created_at=at(15))
    refund(at(20), order=paid_civil, amount=Decimal("4.00"))
    refund(at(20), order=paid_civil, amount=Decimal("1.00"), status=Refund.Status.FAILED)
    statement = Statement.objects.create(channel="alipay", bill_date=dt.date(2026, 3, 11), digest="x")
    Mismatch.objects.create(statement=statement, kind=Mismatch.Kind.AMOUNT, order=paid_civil)
    Mismatch.objects.create(
        statement=statement, kind=Mismatch.Kind.MISSING_THERE, order=paid_civil, resolved_at=at(12)
    )
    Mismatch.objects.create(statement=statement, kind=Mismatch.Kind.MISSING_HERE, out_trade_no="UNKNOWN1")
    supervisor_department = DepartmentFactory(name="区政务服务管理局")
    return {
        "market": market,
        "civil": civil,
        "supervisor": staff(supervisor_department, "supervisor", name="监察"),
        "far_supervisor": staff(far, "supervisor", name="外省监察"),
        "market_finance": staff(market, "finance", name="市场监管财务"),
        "market_intake": staff(market, "intake", name="受理"),
        "citizen": citizen("王五"),
    }


def test_supervisor_sees_sums_by_item_and_department_for_the_period(fig):
    result = figures.payment_figures(fig["supervisor"], dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert (result.paid.count, result.paid.amount) == (4, Decimal("64.50"))
    assert [(line.label, line.count, line.amount) for line in result.by_item] == [
        ("药品零售许可", 2, Decimal("45.50")),
        ("食品经营许可", 1, Decimal("10.00")),
        ("婚姻登记", 1, Decimal("9.00")),
    ]
    assert [(line.label, line.count, line.amount) for line in result.by_department] == [
        ("区市场监督管理局", 3, Decimal("55.50")),
        ("区民政局", 1, Decimal("9.00")),
    ]
    assert (result.outstanding, result.expired) == (1, 1)
    assert (result.mismatches_open, result.mismatches_resolved) == (1, 1)
    assert result.unattributed_open == 0  # only finance staff handle payments nobody here knows


def test_refunds_are_counted_listed_and_subtracted(fig):
    result = figures.payment_figures(fig["supervisor"], dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert (result.refunds.count, result.refunds.amount) == (
        1,
        Decimal("4.00"),
    )  # the failed one is not money
    assert result.net == Decimal("60.50")
    assert [r.amount for r in result.refund_list] == [Decimal("4.00")]


def test_the_page_shows_the_figures_and_the_home_links_to_it(fig, client):
    login_verified(client, fig["supervisor"])
    page = client.get(URL, MARCH)
    assert page.status_code == 200
    html = page.content.decode()
    assert "缴费统计" in html and "药品零售许可" in html and "45.50" in html and "64.50" in html
    assert "60.50" in html and "多收工本费" in html and "远方事项" not in html and "500.00" not in html
    assert URL in client.get("/staff/").content.decode()


def test_the_default_period_is_this_month(fig, client):
    today = timezone.localdate()
    OrderFactory(item=PublishedItemFactory(name="本月事项", department=fig["market"]), paid_at=timezone.now())
    login_verified(client, fig["supervisor"])
    html = client.get(URL).content.decode()
    assert "本月事项" in html and today.replace(day=1).isoformat() in html


def test_finance_sees_only_their_own_department(fig, client):
    result = figures.payment_figures(fig["market_finance"], dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert [d.name for d in result.departments] == ["区市场监督管理局"]
    assert (result.paid.count, result.paid.amount) == (3, Decimal("55.50"))
    assert result.refunds.count == 0 and result.mismatches_open == 0
    assert result.unattributed_open == 1
    login_verified(client, fig["market_finance"])
    html = client.get(URL, MARCH).content.decode()
    assert "药品零售许可" in html and "婚姻登记" not in html and "区民政局" not in html


def test_a_supervisor_of_another_region_sees_none_of_this_region(fig, client):
    result = figures.payment_figures(fig["far_supervisor"], dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert [d.name for d in result.departments] == ["远方局"]
    assert (result.paid.count, result.paid.amount) == (1, Decimal("500.00"))
    login_verified(client, fig["far_supervisor"])
    html = client.get(URL, MARCH).content.decode()
    assert "药品零售许可" not in html and "区市场监督管理局" not in html


@pytest.mark.parametrize("who", ["citizen", "market_intake"])
def test_others_are_refused(fig, client, who):
    with pytest.raises(NotFound):
        figures.payment_figures(fig[who], dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    login_verified(client, fig[who])
    assert client.get(URL, MARCH).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(fig, client):
    answer = client.get(URL)
    assert answer.status_code == 302 and "login" in answer["Location"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-13-01"}, "开始日期格式不正确"),
        ({"end": "昨天"}, "结束日期格式不正确"),
        ({"start": "2026-03-31", "end": "2026-03-01"}, "开始日期不能晚于结束日期"),
        ({"start": "2024-01-01", "end": "2026-03-01"}, "统计期间最长 366 天"),
    ],
)
def test_bad_dates_are_refused_in_chinese(fig, client, query, message):
    login_verified(client, fig["supervisor"])
    answer = client.get(URL, query)
    assert answer.status_code == 400
    html = answer.content.decode()
    assert message in html and "药品零售许可" not in html


def test_the_supervision_dashboard_reads_the_paid_refunded_and_open_mismatches_of_a_scope(fig):
    march = {
        "since": timezone.make_aware(dt.datetime(2026, 3, 1)),
        "until": timezone.make_aware(dt.datetime(2026, 4, 1)),
    }
    county = selectors.region_figures(region_code="511602", **march)
    assert county == {
        "paid_orders": 4,
        "paid_amount": Decimal("64.50"),
        "refunded_amount": Decimal("4.00"),  # the failed refund is not money
        "open_mismatches": 1,  # resolved ones and payments nobody here knows are not the region's
    }
    market = selectors.region_figures(department_id=fig["market"].pk, **march)
    assert market == {
        "paid_orders": 3,
        "paid_amount": Decimal("55.50"),
        "refunded_amount": Decimal("0"),
        "open_mismatches": 0,
    }
    assert selectors.region_figures(region_code="110101", **march)["paid_amount"] == Decimal("500.00")

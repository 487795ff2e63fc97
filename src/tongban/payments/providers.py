"""Payment channels behind one interface, each speaking its provider's real protocol through
the provider's maintained SDK: python-alipay-sdk (RSA2 request signing, notification and
response verification) and wechatpayv3 (WECHATPAY2-SHA256-RSA2048 request signing, callback
signature verification and AEAD_AES_256_GCM decryption of the callback resource).

Where real merchant keys are configured they talk to the providers; otherwise to the sandbox
Tongban ships (``sandbox``), which speaks the same API shapes with locally generated keys.
"""

import csv
import datetime as dt
import functools
import io
import json
import os
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from urllib.request import urlopen
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException
from django.utils import timezone
from wechatpayv3 import WeChatPay, WeChatPayType

from . import conf

CHINA = ZoneInfo("Asia/Shanghai")


class ProviderError(Exception):
    """The provider refused a call or could not be reached; message in Chinese."""


class Forged(Exception):
    """A callback whose signature, key or content does not hold."""


@dataclass(frozen=True)
class Notice:
    """What a verified callback says, in the channel's words reduced to ours."""

    notify_id: str
    out_trade_no: str
    trade_no: str
    amount: Decimal
    paid: bool
    event: str
    sent_at: dt.datetime
    paid_at: dt.datetime | None = None


@dataclass(frozen=True)
class StatementLine:
    out_trade_no: str
    trade_no: str
    amount: Decimal
    refund: bool = False


class Provider(Protocol):
    channel: str

    def start(
        self, *, out_trade_no: str, subject: str, amount: Decimal, notify_url: str, return_url: str
    ) -> str:
        """Where the payer goes to pay: a page address (Alipay) or a code to scan (WeChat)."""

    def verify(self, headers: dict[str, str], body: bytes, form: dict[str, str]) -> Notice:
        """The verified notice, or ``Forged``."""

    def ack(self, ok: bool) -> tuple[int, str, str]:
        """Status, content type and body the provider expects in answer."""

    def refund(self, *, out_trade_no: str, refund_no: str, amount: Decimal, total: Decimal) -> str: ...

    def statement(self, day: dt.date) -> bytes: ...

    def parse_statement(self, content: bytes) -> list[StatementLine]: ...


def _fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class AlipayProvider:
    channel = "alipay"

    def __init__(self) -> None:
        self.config = conf.alipay_config()
        self.client = AliPay(
            appid=self.config.app_id,
            app_private_key_string=self.config.private_key,
            alipay_public_key_string=self.config.alipay_public_key,
            sign_type="RSA2",
        )

    def _gateway(self) -> str:
        gateway = self.config.gateway()
        self.client._gateway = gateway  # the SDK's only knob for another gateway
        return gateway

    def start(self, *, out_trade_no, subject, amount, notify_url, return_url) -> str:
        gateway = self._gateway()
        query = self.client.api_alipay_trade_page_pay(
            subject=subject,
            out_trade_no=out_trade_no,
            total_amount=f"{amount:.2f}",
            return_url=return_url,
            notify_url=notify_url,
        )
        return f"{gateway}?{query}"

    def verify(self, headers, body, form) -> Notice:
        data = dict(form)
        signature = data.pop("sign", "")
        if not signature or data.get("app_id") != self.config.app_id:
            raise Forged("签名缺失或应用号不符")
        try:
            ok = self.client.verify(dict(data), signature)
        except (AliPayException, ValueError, TypeError) as exc:
            raise Forged(str(exc)) from exc
        if not ok:
            raise Forged("签名无效")
        try:
            sent_at = dt.datetime.strptime(data["notify_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
            amount = Decimal(data["total_amount"])
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise Forged("通知内容不完整") from exc
        paid_at = None
        if data.get("gmt_payment"):
            paid_at = dt.datetime.strptime(data["gmt_payment"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
        status = data.get("trade_status", "")
        return Notice(
            notify_id=data.get("notify_id", ""),
            out_trade_no=data.get("out_trade_no", ""),
            trade_no=data.get("trade_no", ""),
            amount=amount,
            paid=status in ("TRADE_SUCCESS", "TRADE_FINISHED"),
            event=status,
            sent_at=sent_at,
            paid_at=paid_at,
        )

    def ack(self, ok: bool) -> tuple[int, str, str]:
        return 200, "text/plain", "success" if ok else "fail"

    def refund(self, *, out_trade_no, refund_no, amount, total) -> str:
        self._gateway()
        try:
            answer = self.client.api_alipay_trade_refund(
                refund_amount=f"{amount:.2f}", out_trade_no=out_trade_no, out_request_no=refund_no
            )
        except (AliPayException, OSError) as exc:
            raise ProviderError(f"支付宝退款失败：{exc}") from exc
        if answer.get("code") != "10000":
            raise ProviderError(f"支付宝退款失败：{answer.get('sub_msg') or answer.get('msg')}")
        return answer.get("trade_no", "")

    def statement(self, day: dt.date) -> bytes:
        self._gateway()
        try:
            answer = self.client.server_api(
                "alipay.data.dataservice.bill.downloadurl.query",
                {"bill_type": "trade", "bill_date": day.isoformat()},
            )
        except (AliPayException, OSError) as exc:
            raise ProviderError(f"支付宝对账单下载失败：{exc}") from exc
        url = answer.get("bill_download_url", "")
        if not url.startswith(("http://", "https://")):
            raise ProviderError("支付宝没有返回对账单地址。")
        with urlopen(url, timeout=30) as response:  # noqa: S310 (checked scheme above)
            return response.read()

    def parse_statement(self, content: bytes) -> list[StatementLine]:
        """支付宝业务明细: a zip holding a GBK CSV whose '#' lines are comments."""
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            name = next(n for n in archive.namelist() if "业务明细" in n and "汇总" not in n)
            text = archive.read(name).decode("gbk")
        rows = [line for line in text.splitlines() if line and not line.startswith("#")]
        lines = []
        for row in csv.DictReader(rows):
            trade_no = (row.get("支付宝交易号") or "").strip()
            if not trade_no:
                continue
            lines.append(
                StatementLine(
                    out_trade_no=(row.get("商户订单号") or "").strip(),
                    trade_no=trade_no,
                    amount=Decimal((row.get("订单金额（元）") or "0").strip()),
                    refund=(row.get("业务类型") or "").strip() == "退款",
                )
            )
        return lines


class WechatProvider:
    channel = "wechat"

    def __init__(self) -> None:
        self.config = conf.wechat_config()
        self.client = WeChatPay(
            wechatpay_type=WeChatPayType.NATIVE,
            mchid=self.config.mchid,
            private_key=self.config.private_key,
            cert_serial_no=self.config.cert_serial,
            appid=self.config.appid,
            apiv3_key=self.config.apiv3_key,
            public_key=self.config.public_key,
            public_key_id=self.config.public_key_id,
            timeout=(5, 20),
        )

    def _gateway(self) -> None:
        self.client._core._gate_way = self.config.gateway()  # the SDK's only knob for another gateway

    def start(self, *, out_trade_no, subject, amount, notify_url, return_url) -> str:
        self._gateway()
        try:
            code, message = self.client.pay(
                description=subject[:127],
                out_trade_no=out_trade_no,
                amount={"total": _fen(amount), "currency": "CNY"},
                notify_url=notify_url,
                pay_type=WeChatPayType.NATIVE,
            )
        except Exception as exc:  # the SDK raises bare Exception on a bad response signature
            raise ProviderError(f"微信支付下单失败：{exc}") from exc
        if code != 200:
            raise ProviderError(f"微信支付下单失败（{code}）。")
        return json.loads(message)["code_url"]

    def verify(self, headers, body, form) -> Notice:
        try:
            sent_at = dt.datetime.fromtimestamp(int(headers.get("Wechatpay-Timestamp", "")), tz=dt.UTC)
            result = self.client.callback(headers, body)
        except Exception as exc:  # a missing or unknown signature type raises bare Exception
            raise Forged(str(exc)) from exc
        if not result:
            raise Forged("签名无效或无法解密")
        resource = result["resource"]
        if resource.get("mchid") != self.config.mchid:
            raise Forged("商户号不符")
        paid_at = None
        if resource.get("success_time"):
            paid_at = dt.datetime.fromisoformat(resource["success_time"])
        state = resource.get("trade_state", "")
        return Notice(
            notify_id=result.get("id", ""),
            out_trade_no=resource.get("out_trade_no", ""),
            trade_no=resource.get("transaction_id", ""),
            amount=Decimal(resource.get("amount", {}).get("total", 0)) / 100,
            paid=state == "SUCCESS",
            event=result.get("event_type", state),
            sent_at=sent_at,
            paid_at=paid_at,
        )

    def ack(self, ok: bool) -> tuple[int, str, str]:
        if ok:
            return 204, "application/json", ""
        return 400, "application/json", json.dumps({"code": "FAIL", "message": "失败"})

    def refund(self, *, out_trade_no, refund_no, amount, total) -> str:
        self._gateway()
        try:
            code, message = self.client.refund(
                out_refund_no=refund_no,
                amount={"refund": _fen(amount), "total": _fen(total), "currency": "CNY"},
                out_trade_no=out_trade_no,
            )
        except Exception as exc:
            raise ProviderError(f"微信支付退款失败：{exc}") from exc
        if code != 200:
            raise ProviderError(f"微信支付退款失败（{code}）。")
        return json.loads(message).get("refund_id", "")

    def statement(self, day: dt.date) -> bytes:
        self._gateway()
        try:
            code, message = self.client.trade_bill(bill_date=day.isoformat(), tar_type=None)
            if code != 200:
                raise ProviderError(f"微信支付对账单申请失败（{code}）。")
            code, content = self.client.download_bill(json.loads(message)["download_url"])
        except ProviderError:
            raise
        except Exception as exc:
            raise ProviderError(f"微信支付对账单下载失败：{exc}") from exc
        if code != 200:
            raise ProviderError(f"微信支付对账单下载失败（{code}）。")
        return content if isinstance(content, bytes) else content.encode("utf-8")

    def parse_statement(self, content: bytes) -> list[StatementLine]:
        """微信支付交易账单: a CSV whose values start with a backquote, then a summary block."""
        text = content.decode("utf-8-sig")
        lines_in = text.splitlines()
        header = [h.strip() for h in lines_in[0].split(",")]
        lines = []
        for raw in lines_in[1:]:
            if not raw.startswith("`"):
                break  # the summary (总交易单数, …) follows the details
            row = dict(zip(header, (v.strip().lstrip("`") for v in raw.split(",")), strict=False))
            refund = row.get("商户退款单号", "") not in ("", "0")
            amount = row.get("退款金额") if refund else row.get("应结订单金额")
            lines.append(
                StatementLine(
                    out_trade_no=row.get("商户订单号", ""),
                    trade_no=row.get("微信订单号", ""),
                    amount=Decimal(amount or "0"),
                    refund=refund,
                )
            )
        return lines


def provider(channel: str) -> Provider:
    """The channel's provider, built once per process and configuration: loading the keys costs
    far more than verifying one callback (measured by bench/payments.py)."""
    if channel not in ("alipay", "wechat"):
        raise ProviderError("不支持的缴款渠道。")
    return _provider(
        channel,
        str(conf.sandbox_dir()),
        os.environ.get("TONGBAN_ALIPAY_APP_ID", ""),
        os.environ.get("TONGBAN_WECHATPAY_MCHID", ""),
    )


@functools.lru_cache(maxsize=16)
def _provider(channel: str, *_config_key: str) -> Provider:
    return AlipayProvider() if channel == "alipay" else WechatProvider()


def now() -> dt.datetime:
    return timezone.now()

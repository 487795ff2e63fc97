"""The sandbox payment provider Tongban ships: a small local HTTP service that speaks the
Alipay open-API and WeChat Pay v3 shapes closely enough for their SDKs, so every payment
path runs offline (tests, the demo, a developer's machine).

It plays the provider's side with the test keys of ``conf.ensure_sandbox_keys``: it checks the
merchant's request signatures, shows a cashier page where the "payer" confirms, signs its
answers and its payment notifications with the provider keys, encrypts WeChat Pay's callback
resource with the APIv3 key, and serves each day's statement in the providers' bill formats.
Notifications are posted to the merchant's notify address (a few tries, like the providers)
and kept in an outbox that tests read (``/_sandbox/outbox``). Its trades live in its own
memory: it is a stand-in for someone else's system, not a part of Tongban's data.

Tongban starts it when a channel first needs it (``conf.sandbox_url``) as
``python -m tongban.payments.sandbox FOLDER`` (no Django: it starts in a moment) and it stops
after an hour without requests; ``tongban payments_sandbox`` runs it in the foreground.
"""

import base64
import csv
import datetime as dt
import html
import io
import json
import logging
import secrets
import threading
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qsl, urlencode, urlsplit
from urllib.request import Request, urlopen
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from zoneinfo import ZoneInfo

from alipay import AliPay
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

logger = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")
IDLE_SECONDS = 3600


def _now() -> dt.datetime:
    return dt.datetime.now(CHINA).replace(microsecond=0)


class Sandbox:
    def __init__(self, folder: Path, *, deliver: bool = True) -> None:
        self.folder = folder
        self.deliver = deliver
        self.base = ""
        ids = json.loads((folder / "ids.json").read_text())
        self.ids = ids
        # The provider's side of the Alipay SDK: signs with the platform key and verifies
        # what the merchant (Tongban) signed with the app key.
        self.alipay = AliPay(
            appid=ids["alipay_app_id"],
            app_private_key_string=(folder / "alipay_platform_private.pem").read_text(),
            alipay_public_key_string=(folder / "alipay_app_public.pem").read_text(),
        )
        self.wechat_key = serialization.load_pem_private_key(
            (folder / "wechat_platform_private.pem").read_bytes(), password=None
        )
        self.merchant_key = serialization.load_pem_public_key(
            (folder / "wechat_merchant_public.pem").read_bytes()
        )
        self.trades: dict[str, dict] = {}
        self.outbox: list[dict] = []
        self.lock = threading.Lock()
        self.last_request = time.monotonic()

    # ------------------------------------------------------------ WSGI

    def __call__(self, environ, start_response):
        self.last_request = time.monotonic()
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            status, headers, content = self.route(method, path, query, body, environ)
        except Exception:
            logger.exception("sandbox error")
            status, headers, content = "500 Internal Server Error", [("Content-Type", "text/plain")], b"error"
        start_response(status, headers)
        return [content]

    def route(self, method, path, query, body, environ):
        if path == "/alipay/gateway.do":
            return self.alipay_gateway(query if method == "GET" else dict(parse_qsl(body.decode())))
        if path == "/alipay/pay" and method == "POST":
            return self.pay("alipay", dict(parse_qsl(body.decode()))["out_trade_no"])
        if path == "/alipay/bill":
            return self.alipay_bill(dt.date.fromisoformat(query["bill_date"]))
        if path.startswith("/wechat/v3/"):
            return self.wechat_api(method, path.removeprefix("/wechat"), environ, body)
        if path.startswith("/wechat/scan/"):
            return self.cashier("wechat", path.rsplit("/", 1)[1])
        if path == "/wechat/pay" and method == "POST":
            return self.pay("wechat", dict(parse_qsl(body.decode()))["out_trade_no"])
        if path == "/_sandbox/outbox":
            wanted = query.get("out_trade_no")
            items = [c for c in self.outbox if not wanted or c["out_trade_no"] == wanted]
            return self.json(200, items)
        return "404 Not Found", [("Content-Type", "text/plain")], b"not found"

    @staticmethod
    def json(code: int, data, headers=()):
        text = {200: "200 OK", 400: "400 Bad Request", 401: "401 Unauthorized", 404: "404 Not Found"}[code]
        return (
            text,
            [("Content-Type", "application/json"), *headers],
            json.dumps(data, ensure_ascii=False).encode(),
        )

    # ------------------------------------------------------------ Alipay

    def _alipay_answer(self, method: str, answer: dict):
        name = method.replace(".", "_") + "_response"
        inner = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        sign = self.alipay._sign(inner)
        raw = f'{{"{name}":{inner},"sign":"{sign}"}}'
        return "200 OK", [("Content-Type", "application/json; charset=utf-8")], raw.encode()

    def _alipay_verify(self, message: str, signature: str) -> bool:
        try:
            return self.alipay._verify(message, signature)
        except (ValueError, TypeError):
            return False

    def alipay_gateway(self, params: dict):
        params = dict(params)
        signature = params.pop("sign", "")
        method = params.get("method", "")
        # A request is signed over every parameter but ``sign`` (``sign_type`` included).
        message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        if params.get("app_id") != self.ids["alipay_app_id"] or not self._alipay_verify(message, signature):
            return self._alipay_answer(
                method, {"code": "40002", "msg": "Invalid Arguments", "sub_msg": "验签出错"}
            )
        biz = json.loads(params.get("biz_content") or "{}")
        if method == "alipay.trade.page.pay":
            trade = self._open_trade(
                "alipay",
                biz["out_trade_no"],
                Decimal(biz["total_amount"]),
                biz.get("subject", ""),
                params.get("notify_url", ""),
                params.get("return_url", ""),
            )
            if trade is None:
                return (
                    "400 Bad Request",
                    [("Content-Type", "text/plain; charset=utf-8")],
                    "订单金额与已有交易不符".encode(),
                )
            return self.cashier("alipay", biz["out_trade_no"])
        if method == "alipay.trade.refund":
            return self._alipay_answer(
                method,
                self._refund(
                    "alipay", biz["out_trade_no"], biz["out_request_no"], Decimal(biz["refund_amount"])
                ),
            )
        if method == "alipay.trade.query":
            trade = self.trades.get(biz.get("out_trade_no", ""))
            if trade is None:
                return self._alipay_answer(
                    method, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"}
                )
            return self._alipay_answer(
                method,
                {
                    "code": "10000",
                    "msg": "Success",
                    "out_trade_no": trade["out_trade_no"],
                    "trade_no": trade["trade_no"],
                    "trade_status": "TRADE_SUCCESS" if trade["status"] == "paid" else "WAIT_BUYER_PAY",
                    "total_amount": f"{trade['amount']:.2f}",
                },
            )
        if method == "alipay.data.dataservice.bill.downloadurl.query":
            url = f"{self.base}/alipay/bill?{urlencode({'bill_date': biz['bill_date']})}"
            return self._alipay_answer(method, {"code": "10000", "msg": "Success", "bill_download_url": url})
        return self._alipay_answer(
            method, {"code": "40004", "msg": "Business Failed", "sub_msg": "不支持的接口"}
        )

    def _alipay_notice(self, trade: dict) -> dict:
        now = _now()
        data = {
            "notify_time": now.strftime("%Y-%m-%d %H:%M:%S"),
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "app_id": self.ids["alipay_app_id"],
            "charset": "utf-8",
            "version": "1.0",
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
            "trade_status": "TRADE_SUCCESS",
            "total_amount": f"{trade['amount']:.2f}",
            "receipt_amount": f"{trade['amount']:.2f}",
            "subject": trade["subject"],
            "gmt_create": trade["created"].strftime("%Y-%m-%d %H:%M:%S"),
            "gmt_payment": trade["paid"].strftime("%Y-%m-%d %H:%M:%S"),
        }
        unsigned = "&".join(f"{k}={v}" for k, v in sorted(data.items()))
        data["sign"] = self.alipay._sign(unsigned)
        data["sign_type"] = "RSA2"
        return data

    def alipay_bill(self, day: dt.date):
        out = io.StringIO()
        out.write("#支付宝业务明细查询\n#账号：[20880000000000000156]\n")
        out.write(
            f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{day + dt.timedelta(days=1):%Y年%m月%d日} 00:00:00]\n"
        )
        out.write(
            "#-----------------------------------------业务明细列表----------------------------------------\n"
        )
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "支付宝交易号",
                "商户订单号",
                "业务类型",
                "商品名称",
                "创建时间",
                "完成时间",
                "订单金额（元）",
                "商家实收（元）",
                "退款批次号/请求号",
            ]
        )
        for trade in self._paid_on("alipay", day):
            writer.writerow(
                [
                    trade["trade_no"],
                    trade["out_trade_no"],
                    "交易",
                    trade["subject"],
                    trade["created"].strftime("%Y-%m-%d %H:%M:%S"),
                    trade["paid"].strftime("%Y-%m-%d %H:%M:%S"),
                    f"{trade['amount']:.2f}",
                    f"{trade['amount']:.2f}",
                    "",
                ]
            )
            for refund in trade["refunds"]:
                writer.writerow(
                    [
                        trade["trade_no"],
                        trade["out_trade_no"],
                        "退款",
                        trade["subject"],
                        "",
                        refund["at"].strftime("%Y-%m-%d %H:%M:%S"),
                        f"-{refund['amount']:.2f}",
                        f"-{refund['amount']:.2f}",
                        refund["no"],
                    ]
                )
        out.write(
            "#-----------------------------------------业务明细列表结束------------------------------------\n"
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"20880000000000000156_{day:%Y%m%d}_业务明细.csv", out.getvalue().encode("gbk"))
            archive.writestr(f"20880000000000000156_{day:%Y%m%d}_业务明细(汇总).csv", "#汇总\n".encode("gbk"))
        return "200 OK", [("Content-Type", "application/zip")], buffer.getvalue()

    # ------------------------------------------------------------ WeChat Pay v3

    def _wechat_sign_headers(self, body: str) -> list[tuple[str, str]]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        message = f"{timestamp}\n{nonce}\n{body}\n".encode()
        signature = base64.b64encode(
            self.wechat_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        ).decode()
        return [
            ("Wechatpay-Timestamp", timestamp),
            ("Wechatpay-Nonce", nonce),
            ("Wechatpay-Signature", signature),
            ("Wechatpay-Serial", self.ids["wechat_public_key_id"]),
            ("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"),
        ]

    def _wechat_answer(self, code: int, data: dict):
        body = json.dumps(data, ensure_ascii=False)
        text = {200: "200 OK", 400: "400 Bad Request", 401: "401 Unauthorized", 404: "404 Not Found"}[code]
        headers = [("Content-Type", "application/json; charset=utf-8"), *self._wechat_sign_headers(body)]
        return text, headers, body.encode()

    def _wechat_authorised(self, method: str, path_qs: str, environ, body: bytes) -> bool:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not auth.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return False
        parts = dict(
            p.split("=", 1) for p in auth.removeprefix("WECHATPAY2-SHA256-RSA2048 ").split(",") if "=" in p
        )
        parts = {k.strip(): v.strip().strip('"') for k, v in parts.items()}
        if (
            parts.get("mchid") != self.ids["wechat_mchid"]
            or parts.get("serial_no") != self.ids["wechat_cert_serial"]
        ):
            return False
        if abs(time.time() - int(parts.get("timestamp", "0"))) > 300:
            return False
        message = (
            f"{method}\n{path_qs}\n{parts['timestamp']}\n{parts['nonce_str']}\n{body.decode()}\n".encode()
        )
        try:
            self.merchant_key.verify(
                base64.b64decode(parts["signature"]), message, padding.PKCS1v15(), hashes.SHA256()
            )
        except Exception:
            return False
        return True

    def wechat_api(self, method: str, path: str, environ, body: bytes):
        query = environ.get("QUERY_STRING", "")
        path_qs = f"{path}?{query}" if query else path
        if path == "/v3/billdownload/file":
            return self.wechat_bill(dt.date.fromisoformat(dict(parse_qsl(query))["bill_date"]))
        if not self._wechat_authorised(method, path_qs, environ, body):
            return self._wechat_answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        data = json.loads(body or b"{}")
        if path == "/v3/pay/transactions/native":
            if data.get("mchid") != self.ids["wechat_mchid"]:
                return self._wechat_answer(400, {"code": "PARAM_ERROR", "message": "商户号不符"})
            trade = self._open_trade(
                "wechat",
                data["out_trade_no"],
                Decimal(data["amount"]["total"]) / 100,
                data.get("description", ""),
                data.get("notify_url", ""),
                data.get("attach", ""),
            )
            if trade is None:
                return self._wechat_answer(
                    400, {"code": "INVALID_REQUEST", "message": "订单金额与已有交易不符"}
                )
            return self._wechat_answer(200, {"code_url": f"{self.base}/wechat/scan/{data['out_trade_no']}"})
        if path == "/v3/refund/domestic/refunds":
            answer = self._refund(
                "wechat", data["out_trade_no"], data["out_refund_no"], Decimal(data["amount"]["refund"]) / 100
            )
            if answer.get("code") != "10000":
                return self._wechat_answer(
                    400, {"code": "INVALID_REQUEST", "message": answer.get("sub_msg", "")}
                )
            return self._wechat_answer(
                200,
                {
                    "refund_id": answer["trade_no"],
                    "out_refund_no": data["out_refund_no"],
                    "status": "SUCCESS",
                },
            )
        if path == "/v3/bill/tradebill":
            day = dict(parse_qsl(query))["bill_date"]
            return self._wechat_answer(
                200,
                {
                    "hash_type": "SHA1",
                    "download_url": f"{self.base}/wechat/v3/billdownload/file?bill_date={day}",
                },
            )
        return self._wechat_answer(404, {"code": "NOT_FOUND", "message": "不支持的接口"})

    def _wechat_notice(self, trade: dict) -> tuple[list[tuple[str, str]], str]:
        resource = {
            "mchid": self.ids["wechat_mchid"],
            "appid": self.ids["wechat_appid"],
            "out_trade_no": trade["out_trade_no"],
            "transaction_id": trade["trade_no"],
            "trade_type": "NATIVE",
            "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功",
            "success_time": trade["paid"].isoformat(),
            "amount": {
                "total": int(trade["amount"] * 100),
                "payer_total": int(trade["amount"] * 100),
                "currency": "CNY",
            },
        }
        nonce = secrets.token_hex(6)
        aesgcm = AESGCM(self.ids["wechat_apiv3_key"].encode())
        ciphertext = aesgcm.encrypt(
            nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), b"transaction"
        )
        body = json.dumps(
            {
                "id": secrets.token_hex(18),
                "create_time": _now().isoformat(),
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(ciphertext).decode(),
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        )
        return self._wechat_sign_headers(body), body

    def wechat_bill(self, day: dt.date):
        header = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率"
        rows = [header]
        count, total = 0, Decimal("0")

        def row(trade, when, refund=None):
            values = [
                when.strftime("%Y-%m-%d %H:%M:%S"),
                self.ids["wechat_appid"],
                self.ids["wechat_mchid"],
                "0",
                "",
                trade["trade_no"],
                trade["out_trade_no"],
                "o_sandbox",
                "NATIVE",
                "REFUND" if refund else "SUCCESS",
                "OTHERS",
                "CNY",
                f"{trade['amount']:.2f}" if not refund else "0.00",
                "0.00",
                refund["id"] if refund else "0",
                refund["no"] if refund else "0",
                f"{refund['amount']:.2f}" if refund else "0.00",
                "0.00",
                "ORIGINAL" if refund else "",
                "SUCCESS" if refund else "",
                trade["subject"],
                "",
                "0.00000",
                "0.60%",
            ]
            return ",".join("`" + v for v in values)

        for trade in self._paid_on("wechat", day):
            rows.append(row(trade, trade["paid"]))
            count += 1
            total += trade["amount"]
            for refund in trade["refunds"]:
                rows.append(row(trade, refund["at"], refund))
        rows.append(
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
        )
        rows.append(f"`{count},`{total:.2f},`0.00,`0.00,`0.00000,`{total:.2f},`0.00")
        return "200 OK", [("Content-Type", "text/plain; charset=utf-8")], ("\n".join(rows) + "\n").encode()

    # ------------------------------------------------------------ shared

    def _open_trade(self, channel, out_trade_no, amount, subject, notify_url, return_url):
        with self.lock:
            trade = self.trades.get(out_trade_no)
            if trade is not None:
                return trade if trade["amount"] == amount else None
            prefix = "2026" if channel == "alipay" else "4200"
            trade = {
                "channel": channel,
                "out_trade_no": out_trade_no,
                "amount": amount,
                "subject": subject,
                "notify_url": notify_url,
                "return_url": return_url,
                "status": "open",
                "trade_no": prefix + _now().strftime("%Y%m%d") + secrets.token_hex(8),
                "created": _now(),
                "paid": None,
                "refunds": [],
            }
            self.trades[out_trade_no] = trade
            return trade

    def _paid_on(self, channel: str, day: dt.date) -> list[dict]:
        return [
            t
            for t in self.trades.values()
            if t["channel"] == channel and t["paid"] and t["paid"].date() == day
        ]

    def _refund(self, channel, out_trade_no, refund_no, amount: Decimal) -> dict:
        with self.lock:
            trade = self.trades.get(out_trade_no)
            if trade is None or trade["status"] != "paid":
                return {"code": "40004", "msg": "Business Failed", "sub_msg": "交易不存在或未支付"}
            done = next((r for r in trade["refunds"] if r["no"] == refund_no), None)
            if done is None:
                refunded = sum((r["amount"] for r in trade["refunds"]), Decimal("0"))
                if refunded + amount > trade["amount"]:
                    return {"code": "40004", "msg": "Business Failed", "sub_msg": "退款金额超过可退金额"}
                done = {"no": refund_no, "id": "50" + secrets.token_hex(10), "amount": amount, "at": _now()}
                trade["refunds"].append(done)
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade["trade_no"],
            "out_trade_no": out_trade_no,
            "refund_fee": f"{sum(r['amount'] for r in trade['refunds']):.2f}",
        }

    def pay(self, channel: str, out_trade_no: str):
        with self.lock:
            trade = self.trades.get(out_trade_no)
            if trade is None or trade["channel"] != channel:
                return "404 Not Found", [("Content-Type", "text/plain; charset=utf-8")], "交易不存在".encode()
            if trade["status"] != "paid":
                trade["status"], trade["paid"] = "paid", _now()
        if channel == "alipay":
            form = self._alipay_notice(trade)
            self._post(
                trade,
                {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                urlencode(form),
                form,
            )
            back = trade["return_url"]
            if back:
                sync = {
                    k: v
                    for k, v in form.items()
                    if k not in ("notify_type", "notify_id", "trade_status", "sign", "sign_type")
                }
                sync["method"] = "alipay.trade.page.pay.return"
                sync["timestamp"] = form["notify_time"]
                sync["sign"] = self.alipay._sign("&".join(f"{k}={v}" for k, v in sorted(sync.items())))
                sync["sign_type"] = "RSA2"
                return (
                    "302 Found",
                    [("Location", f"{back}{'&' if '?' in back else '?'}{urlencode(sync)}")],
                    b"",
                )
        else:
            headers, body = self._wechat_notice(trade)
            self._post(trade, {"Content-Type": "application/json", **dict(headers)}, body, None)
        return self.page(
            "支付成功",
            f"<p>已向“{html.escape(trade['subject'])}”支付 {trade['amount']:.2f} 元。</p>"
            + (
                f'<p><a href="{html.escape(trade["return_url"])}">返回通办查看缴费结果</a></p>'
                if trade["return_url"]
                else ""
            ),
        )

    def _post(self, trade: dict, headers: dict, body: str, form: dict | None) -> None:
        item = {
            "channel": trade["channel"],
            "out_trade_no": trade["out_trade_no"],
            "url": trade["notify_url"],
            "headers": headers,
            "body": body,
            "form": form,
        }
        with self.lock:
            self.outbox.append(item)
        if self.deliver and trade["notify_url"]:
            threading.Thread(target=self._deliver, args=(item,), daemon=True).start()

    @staticmethod
    def _deliver(item: dict) -> None:
        """Post a notification; like the providers, try again a few times when it is not taken."""
        for delay in (0, 1, 3, 10):
            time.sleep(delay)
            request = Request(  # noqa: S310 (the merchant's own notify address)
                item["url"], data=item["body"].encode(), headers=item["headers"], method="POST"
            )
            try:
                with urlopen(request, timeout=10) as response:  # noqa: S310 (as above)
                    if response.status in (200, 204):
                        return
            except OSError as exc:
                logger.info("sandbox notify to %s failed: %s", item["url"], exc)

    def cashier(self, channel: str, out_trade_no: str):
        trade = self.trades.get(out_trade_no)
        if trade is None:
            return "404 Not Found", [("Content-Type", "text/plain; charset=utf-8")], "交易不存在".encode()
        name = "支付宝" if channel == "alipay" else "微信支付"
        if trade["status"] == "paid":
            return self.page(f"{name}（沙箱）", "<p>该交易已支付。</p>")
        body = (
            f"<p>收款方：{html.escape(trade['subject'])}</p>"
            f"<p>商户订单号：{html.escape(out_trade_no)}</p>"
            f'<p class="amount">应付金额：<strong>{trade["amount"]:.2f}</strong> 元</p>'
            f'<form method="post" action="/{channel}/pay">'
            f'<input type="hidden" name="out_trade_no" value="{html.escape(out_trade_no)}">'
            f'<button type="submit">确认付款</button></form>'
            "<p><small>这是通办自带的沙箱支付渠道，不会发生真实扣款。</small></p>"
        )
        return self.page(f"{name}收银台（沙箱）", body)

    @staticmethod
    def page(title: str, body: str):
        text = (
            '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>body{{font:18px/1.6 sans-serif;margin:0 auto;max-width:32rem;padding:1rem;color:#1a1a1a}}"
            "button{font-size:1.1rem;padding:.6rem 1.4rem;background:#0b5394;color:#fff;border:0;border-radius:4px}"
            "a{color:#0b5394}</style></head>"
            f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
        )
        return "200 OK", [("Content-Type", "text/html; charset=utf-8")], text.encode()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):
        logger.debug(format, *args)


def serve(folder: Path, host: str = "127.0.0.1", port: int = 0, *, deliver: bool = True):
    """Start the sandbox in a background thread; writes its address to ``folder/url``."""
    app = Sandbox(folder, deliver=deliver)
    server = make_server(host, port, app, server_class=_Server, handler_class=_Quiet)
    app.base = f"http://{host}:{server.server_port}"
    (folder / "url").write_text(app.base)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, app


def host_of(url: str) -> str:
    return urlsplit(url).netloc


def main() -> None:
    """``python -m tongban.payments.sandbox FOLDER``: serve until idle for ``IDLE_SECONDS``."""
    import sys

    folder = Path(sys.argv[1])
    server, app = serve(folder)
    print(f"sandbox payment provider at {app.base}", flush=True)
    while time.monotonic() - app.last_request < IDLE_SECONDS:
        time.sleep(5)
    server.shutdown()


if __name__ == "__main__":
    main()

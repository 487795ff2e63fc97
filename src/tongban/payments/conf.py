"""Channel configuration: real merchant keys come from the environment; without them every
channel talks to the sandbox provider Tongban ships (``sandbox``), with test keys generated
into ``VAR_DIR/payments-sandbox`` (never committed, never valid anywhere else).
"""

import fcntl
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings


def sandbox_dir() -> Path:
    return Path(os.environ.get("TONGBAN_PAYMENTS_SANDBOX_DIR") or settings.VAR_DIR / "payments-sandbox")


def _keypair(folder: Path, name: str) -> None:
    if (folder / f"{name}_private.pem").exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (folder / f"{name}_public.pem").write_bytes(public)
    path = folder / f"{name}_private.pem"
    path.write_bytes(private)
    path.chmod(0o600)


def ensure_sandbox_keys(folder: Path | None = None) -> Path:
    """Generate the sandbox's test keys once: the merchant's (Tongban's) and each provider's."""
    folder = folder or sandbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("alipay_app", "alipay_platform", "wechat_merchant", "wechat_platform"):
        _keypair(folder, name)
    ids = folder / "ids.json"
    if not ids.exists():
        ids.write_text(
            json.dumps(
                {
                    "alipay_app_id": "2021000000000001",
                    "wechat_mchid": "1900000001",
                    "wechat_appid": "wx0000000000000001",
                    "wechat_cert_serial": secrets.token_hex(20).upper(),
                    "wechat_public_key_id": "PUB_KEY_ID_" + secrets.token_hex(8).upper(),
                    "wechat_apiv3_key": secrets.token_hex(16),
                }
            )
        )
        ids.chmod(0o600)
    return folder


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=2):
            return True
    except OSError:
        return False


def sandbox_url(folder: Path | None = None) -> str:
    """The base address of the running sandbox; started on first use (a detached process that
    any web or worker process may start, one at a time under a file lock, and that stops by
    itself after ``sandbox.IDLE_SECONDS`` without requests). Tests start their own."""
    folder = folder or sandbox_dir()
    path = folder / "url"
    url = path.read_text().strip() if path.exists() else ""
    if url and _answers(url):
        return url
    with (folder / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        url = path.read_text().strip() if path.exists() else ""
        if url and _answers(url):
            return url
        path.unlink(missing_ok=True)
        with (folder / "sandbox.log").open("a") as log:
            subprocess.Popen(
                [sys.executable, "-m", "tongban.payments.sandbox", str(folder)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            url = path.read_text().strip() if path.exists() else ""
            if url and _answers(url):
                return url
            time.sleep(0.1)
    return ""


@dataclass(frozen=True)
class AlipayConfig:
    app_id: str
    private_key: str
    alipay_public_key: str
    gateway_url: str  # empty: the sandbox's, looked up (and the sandbox started) when needed

    def gateway(self) -> str:
        return self.gateway_url or sandbox_url() + "/alipay/gateway.do"


@dataclass(frozen=True)
class WechatConfig:
    mchid: str
    appid: str
    private_key: str
    cert_serial: str
    apiv3_key: str
    public_key: str
    public_key_id: str
    gateway_url: str  # empty: the sandbox's, looked up (and the sandbox started) when needed

    def gateway(self) -> str:
        return self.gateway_url or sandbox_url() + "/wechat"


def _read(name: str) -> str:
    value = os.environ.get(name, "")
    return Path(value).read_text() if value else ""


def alipay_config() -> AlipayConfig:
    if os.environ.get("TONGBAN_ALIPAY_APP_ID"):
        return AlipayConfig(
            app_id=os.environ["TONGBAN_ALIPAY_APP_ID"],
            private_key=_read("TONGBAN_ALIPAY_PRIVATE_KEY_FILE"),
            alipay_public_key=_read("TONGBAN_ALIPAY_PUBLIC_KEY_FILE"),
            gateway_url=os.environ.get("TONGBAN_ALIPAY_GATEWAY", "https://openapi.alipay.com/gateway.do"),
        )
    folder = ensure_sandbox_keys()
    ids = json.loads((folder / "ids.json").read_text())
    return AlipayConfig(
        app_id=ids["alipay_app_id"],
        private_key=(folder / "alipay_app_private.pem").read_text(),
        alipay_public_key=(folder / "alipay_platform_public.pem").read_text(),
        gateway_url="",
    )


def wechat_config() -> WechatConfig:
    if os.environ.get("TONGBAN_WECHATPAY_MCHID"):
        return WechatConfig(
            mchid=os.environ["TONGBAN_WECHATPAY_MCHID"],
            appid=os.environ.get("TONGBAN_WECHATPAY_APPID", ""),
            private_key=_read("TONGBAN_WECHATPAY_PRIVATE_KEY_FILE"),
            cert_serial=os.environ.get("TONGBAN_WECHATPAY_CERT_SERIAL", ""),
            apiv3_key=_read("TONGBAN_WECHATPAY_APIV3_KEY_FILE").strip(),
            public_key=_read("TONGBAN_WECHATPAY_PUBLIC_KEY_FILE"),
            public_key_id=os.environ.get("TONGBAN_WECHATPAY_PUBLIC_KEY_ID", ""),
            gateway_url=os.environ.get("TONGBAN_WECHATPAY_GATEWAY", "https://api.mch.weixin.qq.com"),
        )
    folder = ensure_sandbox_keys()
    ids = json.loads((folder / "ids.json").read_text())
    return WechatConfig(
        mchid=ids["wechat_mchid"],
        appid=ids["wechat_appid"],
        private_key=(folder / "wechat_merchant_private.pem").read_text(),
        cert_serial=ids["wechat_cert_serial"],
        apiv3_key=ids["wechat_apiv3_key"],
        public_key=(folder / "wechat_platform_public.pem").read_text(),
        public_key_id=ids["wechat_public_key_id"],
        gateway_url="",
    )


def callback_max_age(channel: str) -> int:
    """Seconds a signed callback stays acceptable: WeChat Pay signs every push anew (its docs
    say 5 minutes); Alipay keeps retrying one notification for 25 hours."""
    default = "300" if channel == "wechat" else str(25 * 3600)
    return int(os.environ.get(f"TONGBAN_{channel.upper()}_CALLBACK_MAX_AGE", default))

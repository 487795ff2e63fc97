"""Reads the web pages share that belong to no single app."""

from dataclasses import dataclass

from django.apps import apps
from django.utils.translation import gettext_lazy as _

# Guide flags and the app that provides each function on this platform. A guide says 支持 only
# when the item's department offers the function AND the platform has it: the 预约 and 支付
# flags come from the catalogue (often imported), the functions from the apps installed here.
FLAG_FUNCTIONS = (
    ("supports_appointment", _("预约办理"), "tongban.appointments"),
    ("supports_online_payment", _("网上支付"), "tongban.payments"),
    ("supports_delivery", _("物流快递"), "tongban.delivery"),
)


@dataclass(frozen=True)
class ServiceFlag:
    label: str
    supported: bool


def available_functions() -> set[str]:
    """The item flags whose function this platform provides."""
    return {flag for flag, _label, app in FLAG_FUNCTIONS if apps.is_installed(app)}


def service_flags(item: object) -> list[ServiceFlag]:
    """The 服务方式 lines of a guide: only functions that exist, never a 支持 that leads nowhere."""
    available = available_functions()
    return [
        ServiceFlag(str(label), bool(getattr(item, flag, False)))
        for flag, label, _app in FLAG_FUNCTIONS
        if flag in available
    ]

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from tongban.cases.models import Case


def missing_certificate_type(case: "Case") -> str:
    """A conclude warning: 出证 on this item would issue nothing, no licence type is configured."""
    from .models import CertificateType

    if CertificateType.objects.filter(issued_by_items=case.item_id, is_active=True).exists():
        return ""
    return _(
        "该事项尚未配置电子证照类型：以“出证”办结不会生成电子证照，申请人的证照夹中也不会出现。"
        "请联系事项管理员在“证照类型”中为本事项配置后再出证，或选择其他办结结果。"
    )


class CertificatesConfig(AppConfig):
    name = "tongban.certificates"
    verbose_name = "电子证照"

    def ready(self) -> None:
        from tongban.cases import selectors as case_selectors
        from tongban.cases import steps
        from tongban.cases.signals import case_event
        from tongban.core import periodic

        from . import reuse, services

        periodic.register("certificates.issue_pending", services.issue_pending)
        periodic.register("certificates.expire_due", services.expire_due)
        case_event.connect(services.on_case_event, dispatch_uid="certificates.case_event")
        steps.material_providers.register(reuse.WALLET)
        steps.submission_steps.register(reuse.WALLET_STILL_VALID)
        steps.release_steps.register(
            steps.ReleaseStep("certificates.joint_release", services.issuing.release_case_certificates)
        )
        if missing_certificate_type not in case_selectors.CONCLUDE_WARNINGS:
            case_selectors.CONCLUDE_WARNINGS.append(missing_certificate_type)

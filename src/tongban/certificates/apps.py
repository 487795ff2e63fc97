from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "tongban.certificates"
    verbose_name = "电子证照"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from tongban.cases import services as case_services
        from tongban.cases.models import Application, Case
        from tongban.cases.signals import case_event
        from tongban.core import periodic

        from . import reuse, services

        periodic.register("certificates.issue_pending", services.issue_pending)
        periodic.register("certificates.expire_due", services.expire_due)
        case_event.connect(services.on_case_event, dispatch_uid="certificates.case_event")
        post_save.connect(reuse.on_application_saved, sender=Application, dispatch_uid="certificates.draft")
        post_save.connect(reuse.on_case_saved, sender=Case, dispatch_uid="certificates.case")
        if reuse.wallet_materials not in case_services.MATERIAL_PROVIDERS:
            case_services.MATERIAL_PROVIDERS.append(reuse.wallet_materials)

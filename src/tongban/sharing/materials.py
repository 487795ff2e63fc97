"""Never ask twice (国务院令第716号 第7条): materials that come by sharing are fetched, not asked.

``SHARED`` is a ``cases.steps.MaterialProvider``: a required material mapped to a catalogue
resource (``SharedMaterial``) is held when the item's department has a grant in force for the
fields it needs (or provides the resource itself) and the provider holds the subject; when a
draft starts, the data is read through ``services.read_resource`` (logged, with purpose) and
attached as a small signed JSON document that names the provider, so staff see where it came
from and the applicant uploads nothing.
"""

from django.core.files.base import ContentFile

from tongban.cases.models import Application, Attachment
from tongban.cases.steps import MaterialProvider
from tongban.certificates import seals
from tongban.core.types import User

from . import services, signing
from .models import DataResource, SharedMaterial

SHARED_SUFFIX = "共享获取"


def subject_number(application: Application, resource: DataResource) -> str:
    """Whose data the material is: the enterprise applying, or the person."""
    if application.enterprise_id and resource.subject != DataResource.Subject.PERSON:
        return application.enterprise.uscc
    if resource.subject == DataResource.Subject.ENTERPRISE:
        return ""
    return application.applicant.id_number or ""


def _subject_held(resource: DataResource, number: str) -> bool:
    """Does the provider hold the subject at all (an existence check, no values read)?"""
    from tongban.registries.models import EnterpriseRecord, PopulationRecord

    if resource.kind == DataResource.Kind.POPULATION:
        return PopulationRecord.objects.filter(id_number=number).exists()
    if resource.kind == DataResource.Kind.ENTERPRISE:
        return EnterpriseRecord.objects.filter(uscc=number).exists()
    if resource.kind == DataResource.Kind.CERTIFICATE:
        from tongban.certificates.models import Certificate

        return Certificate.objects.filter(
            type_id=resource.certificate_type_id, holder_number=number, status=Certificate.Status.VALID
        ).exists()
    return True


def obtainable(application: Application) -> dict[int, SharedMaterial]:
    """Requirement id → its sharing source, for materials the item's department can fetch."""
    sources = SharedMaterial.objects.filter(
        requirement__item_id=application.item_id, resource__is_active=True
    ).select_related("resource", "requirement")
    found = {}
    department = application.item.department
    for source in sources:
        number = subject_number(application, source.resource)
        if not number:
            continue
        if source.resource.provider_id != department.pk and (
            services.grant_for(department, source.resource, source.fields) is None
        ):
            continue
        if _subject_held(source.resource, number):
            found[source.requirement_id] = source
    return found


def explain(application: Application) -> dict[int, str]:
    """Materials the catalogue says come by sharing that this department cannot fetch for this
    applicant, with the reason (第6条 of the issue: say which department has not granted it, and
    only then ask): requirement id → a sentence for the upload page."""
    sources = SharedMaterial.objects.filter(
        requirement__item_id=application.item_id, resource__is_active=True
    ).select_related("resource", "resource__provider")
    department = application.item.department
    notes: dict[int, str] = {}
    for source in sources:
        resource = source.resource
        number = subject_number(application, resource)
        if not number:
            continue
        if resource.provider_id != department.pk and (
            services.grant_for(department, resource, source.fields) is None
        ):
            notes[source.requirement_id] = (
                f"该材料本可由{resource.provider.name}通过数据共享（{resource.name}）提供，"
                f"但{department.name}尚未获得{resource.provider.name}的共享授权，所以请您上传。"
            )
        elif not _subject_held(resource, number):
            notes[source.requirement_id] = (
                f"{resource.provider.name}的{resource.name}中没有查到您的记录，无法共享获取，请您上传。"
            )
    return notes


def held(application: Application) -> set[int]:
    return set(obtainable(application))


def attach(application: Application, actor: User | None) -> list[Attachment]:
    sources = obtainable(application)
    if not sources:
        return []
    present = set(
        application.attachments.filter(replaced=False, requirement_id__in=list(sources)).values_list(
            "requirement_id", flat=True
        )
    )
    attached = []
    item = application.item
    for requirement_id, source in sources.items():
        if requirement_id in present:
            continue
        resource = source.resource
        read = services.read_resource(
            item.department,
            resource.code,
            subject_number(application, resource),
            source.fields,
            f"办理“{item.name}”：{source.requirement.name}免提交",
            accessor=actor,
            channel="material",
        )
        if not read.found:
            continue
        payload = {
            "resource": resource.code,
            "resource_name": resource.name,
            "provider": resource.provider.name,
            "fields": dict(zip(read.fields, resource.item_labels(read.fields), strict=True)),
            "records": read.records,
            "grant": read.grant.code if read.grant else "",
        }
        document = signing.canonical(signing.sign_payload(seals.active_key(resource.provider), payload))
        attachment = Attachment(
            application=application,
            requirement_id=requirement_id,
            display_name=f"{source.requirement.name}（{SHARED_SUFFIX}·{resource.provider.name}）.json"[:120],
            content_type="application/json",
            size=len(document),
            sha256=signing.sha256(document),
            uploaded_by=actor or application.created_by,
        )
        attachment.file.save("shared.json", ContentFile(document), save=False)
        attachment.save()
        attached.append(attachment)
    return attached


def render(attachment: Attachment) -> bytes | None:
    """Shared materials are written at once; nothing of ours is ever pending."""
    return None


SHARED = MaterialProvider(
    name="sharing.shared_materials", held=held, attach=attach, render=render, explain=explain
)

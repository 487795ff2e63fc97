from tongban.catalog.models import ServiceItem

from .merging import MergedForm as MergedForm  # 一表申请: the merged form of a bundle
from .merging import merged_form as merged_form
from .models import FormDefinition


def active_form(item: ServiceItem) -> FormDefinition | None:
    return FormDefinition.objects.filter(item=item, status=FormDefinition.Status.ACTIVE).first()


def recent_versions(item: ServiceItem, limit: int = 10) -> list[FormDefinition]:
    """The item's form versions, newest first (the editor lists the last few)."""
    return list(FormDefinition.objects.filter(item=item).order_by("-version")[:limit])

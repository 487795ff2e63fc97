from tongban.catalog.models import ServiceItem

from .models import FormDefinition


def active_form(item: ServiceItem) -> FormDefinition | None:
    return FormDefinition.objects.filter(item=item, status=FormDefinition.Status.ACTIVE).first()


def recent_versions(item: ServiceItem, limit: int = 10) -> list[FormDefinition]:
    """The item's form versions, newest first (the editor lists the last few)."""
    return list(FormDefinition.objects.filter(item=item).order_by("-version")[:limit])

from tongban.catalog.models import ServiceItem

from .models import FormDefinition


def active_form(item: ServiceItem) -> FormDefinition | None:
    return FormDefinition.objects.filter(item=item, status=FormDefinition.Status.ACTIVE).first()

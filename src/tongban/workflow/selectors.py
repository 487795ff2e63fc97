from tongban.catalog.models import CaseKind, ServiceItem

from .models import ItemProcess, ProcessDefinition


def definition_for_item(item: ServiceItem) -> ProcessDefinition:
    choice = ItemProcess.objects.select_related("definition").filter(item=item).first()
    if choice is not None:
        return choice.definition
    from .services import ensure_template

    return ensure_template("instant" if item.case_kind == CaseKind.INSTANT else "promised")

from django.db import migrations


def seed(apps, schema_editor):
    from tongban.consult.defaults import CATEGORIES, KIND_RULES

    KindRule = apps.get_model("consult", "KindRule")
    Category = apps.get_model("consult", "Category")
    for kind, (days, extension, anonymous) in KIND_RULES.items():
        KindRule.objects.get_or_create(
            kind=kind,
            defaults={"answer_workdays": days, "extension_workdays": extension, "anonymous_allowed": anonymous},
        )
    for order, (code, name, group, description, keywords) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code,
            defaults={"name": name, "group": group, "description": description, "keywords": keywords, "order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("consult", "0001_petitions_dispatch_open311")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

from django.db import migrations


def add_themes(apps, schema_editor):
    from tongban.catalog.themes import ENTERPRISE_THEMES, PERSON_THEMES, theme_slug

    Theme = apps.get_model("catalog", "Theme")
    for audience, names in (("person", PERSON_THEMES), ("enterprise", ENTERPRISE_THEMES)):
        for order, name in enumerate(names):
            Theme.objects.update_or_create(
                audience=audience, slug=theme_slug(name), defaults={"name": name, "order": order}
            )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(add_themes, migrations.RunPython.noop)]

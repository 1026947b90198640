from django.db import migrations


def generate(apps, schema_editor):
    """Every rule's description as its settings make it (alerts.rule_text reads only plain
    fields, so it works on these historical rows)."""
    from alerts.rule_text import rule_describe

    WarningRule = apps.get_model("alerts", "WarningRule")
    for rule in WarningRule.objects.all():
        text = rule_describe(rule)
        if text != rule.description:
            WarningRule.objects.filter(pk=rule.pk).update(description=text)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0003_case_owner_review_origin")]

    operations = [migrations.RunPython(generate, migrations.RunPython.noop)]

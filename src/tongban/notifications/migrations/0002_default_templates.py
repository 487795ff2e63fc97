from django.db import migrations

TEMPLATES = {
    "submitted": ("申请已提交", "您申请的“{{ item }}”已提交，办件编号 {{ number }}，{{ department }}将尽快受理。"),
    "accepted": ("申请已受理", "您的办件 {{ number }}（{{ item }}）已受理，可在“我的办件”查看进度和受理通知书。"),
    "refused": ("申请不予受理", "您的办件 {{ number }}（{{ item }}）不予受理，请在“我的办件”查看不予受理决定书。"),
    "correction_requested": (
        "请补正材料",
        "您的办件 {{ number }}（{{ item }}）需要补正，请登录“我的办件”查看一次性告知内容并补正。",
    ),
    "corrected": ("补正已提交", "您已提交办件 {{ number }} 的补正内容，{{ department }}将继续办理。"),
    "special_started": ("进入特别程序", "您的办件 {{ number }} 进入特别程序，所需时间不计入办理时限。"),
    "forwarded": ("办件已转报", "您的办件 {{ number }}（{{ item }}）已依法转报上级机关办理。"),
    "decided": ("已作出决定", "您的办件 {{ number }}（{{ item }}）已作出决定，请在“我的办件”查看决定书。"),
    "concluded": ("办件已办结", "您的办件 {{ number }}（{{ item }}）已办结，欢迎对本次服务作出评价。"),
    "withdrawn": ("申请已撤回", "您已撤回办件 {{ number }}（{{ item }}）。"),
}
SMS_EVENTS = {"accepted", "refused", "correction_requested", "concluded"}


def add_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for event, (subject, body) in TEMPLATES.items():
        MessageTemplate.objects.get_or_create(event=event, channel="inbox", defaults={"subject": subject, "body": body})
        if event in SMS_EVENTS:
            MessageTemplate.objects.get_or_create(
                event=event, channel="sms", defaults={"subject": "", "body": f"【通办】{body}"}
            )
        MessageTemplate.objects.get_or_create(
            event=event, channel="email", defaults={"subject": f"【通办】{subject}", "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(add_templates, migrations.RunPython.noop)]

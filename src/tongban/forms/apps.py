from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "tongban.forms"
    verbose_name = "申请表单"

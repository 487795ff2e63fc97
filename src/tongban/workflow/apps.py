from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "tongban.workflow"
    verbose_name = "办理流程（BPMN）"

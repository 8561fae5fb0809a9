from django.apps import AppConfig


class CommissionersConfig(AppConfig):
    name = "commissioners"
    verbose_name = "科技特派员"

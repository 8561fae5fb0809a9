from celery import shared_task

from .retention import personal_data_retention_apply


@shared_task(acks_late=True)
def personal_data_retention_task() -> dict[str, int]:
    return personal_data_retention_apply()

from celery import shared_task

from .retention import personal_data_retention_apply


@shared_task(acks_late=True)
def personal_data_retention_task() -> dict:
    result = personal_data_retention_apply()
    return {"photos_erased": result.photos_erased, "checkins_coarsened": result.checkins_coarsened}

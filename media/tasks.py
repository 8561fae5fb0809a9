from celery import shared_task

from .models import Photo
from .thumbnails import photo_thumbnail_make


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def photo_thumbnail_task(self, photo_id: int) -> None:
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:  # deleted since: nothing to do
        return
    try:
        photo_thumbnail_make(photo=photo)
    except OSError as exc:  # storage hiccup: try again later
        raise self.retry(exc=exc) from exc

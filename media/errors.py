from django.conf import settings

from core.errors import DomainError, RateLimited, TooLarge


class PhotoRejected(DomainError):
    """An upload that is not an image we accept. Status and code come from the reason."""

    def __init__(self, message: str, *, code: str, status: int) -> None:
        super().__init__(message, code=code, fields={"photo": message})
        self.status = status


class PhotoTooLarge(TooLarge):
    code = "photo_too_large"


class PhotoUploadsInProgress(RateLimited):
    """This person already has as many photos being decoded as one person may (429, Retry-After)."""


class PhotoDecodersBusy(DomainError):
    """Every decode slot of the process stayed busy: 503 with Retry-After, the machine is the limit."""

    status = 503
    code = "overloaded"

    def __init__(self, message: str | None = None) -> None:
        self.retry_after = max(1, round(settings.PHOTO_DECODE_WAIT_S))
        super().__init__(message)

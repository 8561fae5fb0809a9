from core.errors import DomainError, TooLarge


class PhotoRejected(DomainError):
    """An upload that is not an image we accept. Status and code come from the reason."""

    def __init__(self, message: str, *, code: str, status: int) -> None:
        super().__init__(message, code=code, fields={"photo": message})
        self.status = status


class PhotoTooLarge(TooLarge):
    code = "photo_too_large"

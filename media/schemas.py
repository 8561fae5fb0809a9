from datetime import datetime

from ninja import Schema
from pydantic import Field


class PhotoOut(Schema):
    id: int
    url: str = Field(..., description="Fetch with the same Authorization header. The copy carries no EXIF.")
    thumbnail_url: str = Field(..., description="A JPEG of at most 640 px (made on demand if the task has not yet).")
    content_type: str
    width: int
    height: int
    created_at: datetime

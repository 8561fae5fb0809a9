"""A thin client over Django's test client that speaks the API: JSON in, bearer tokens."""

from __future__ import annotations

from typing import Any

from django.test import Client

from accounts.tokens import access_token_for


class ApiClient:
    base = "/api/v1"

    def __init__(self) -> None:
        self.client = Client()
        self.token: str | None = None

    def as_user(self, user) -> ApiClient:
        self.token = access_token_for(user)
        return self

    def anonymous(self) -> ApiClient:
        self.token = None
        return self

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def _url(self, path: str) -> str:
        return path if path.startswith("/api/") else f"{self.base}{path}"

    def get(self, path: str, **params: Any):
        return self.client.get(self._url(path), params, **self._headers())

    def post(self, path: str, data: Any = None, **extra: Any):
        return self.client.post(self._url(path), data, content_type="application/json", **self._headers(), **extra)

    def patch(self, path: str, data: Any = None):
        return self.client.patch(self._url(path), data, content_type="application/json", **self._headers())

    def upload(self, path: str, files: dict[str, Any]):
        return self.client.post(self._url(path), files, **self._headers())

    def delete(self, path: str):
        return self.client.delete(self._url(path), **self._headers())


def error_code(response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]["code"]

"""The same roster imported twice at the same moment (two staff, or a double tap) on the real PostgreSQL:
every person exists once, and each import is either whole or a 409 with nothing of its own written."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from accounts.errors import ImportRaced
from accounts.models import User
from accounts.roster import roster_import
from tests.concurrency import race
from tests.factories import BureauFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def roster(people: int) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["手机号", "姓名", "角色", "区划代码", "专长"])
    for i in range(people):
        sheet.append([f"137{i:08d}", f"特派员{i}", "科技特派员", "451002", "茶叶"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_two_imports_of_one_sheet_at_once_create_each_person_once(baise):
    bureau, data = BureauFactory(), roster(50)
    results, errors = race(2, lambda i: roster_import(actor=bureau, upload=SimpleUploadedFile("r.xlsx", data),
                                                     dry_run=False))
    assert User.objects.filter(phone__startswith="137").count() == 50
    assert all(isinstance(e, ImportRaced) for e in errors)
    assert sum(r["created"] for r in results) == 50  # one import created them all; the other updated or lost
    created = User.objects.filter(phone__startswith="137", commissioner__isnull=False).count()
    assert created == 50

"""An exhausted database pool (or a locked SQLite file) answers 503 in the error shape, never 500."""

import pytest
from django.db import OperationalError, connection
from psycopg_pool import PoolTimeout

from tests.client import error_code
from tests.factories import CommissionerFactory

pytestmark = pytest.mark.django_db


def _raising(exc_factory, *, wrapped: bool):
    """An execute wrapper that fails the next query the way the database layer does."""

    def wrapper(execute, sql, params, many, context):
        if not wrapped:
            raise exc_factory()
        with connection.wrap_database_errors:  # Django's own translation into django.db.OperationalError
            raise exc_factory()

    return wrapper


def _get_problems(api, wrapper):
    api.as_user(CommissionerFactory())
    with connection.execute_wrapper(wrapper):
        return api.get("/problems")


def test_a_pool_timeout_wrapped_by_django_is_503_overloaded_with_retry_after(api, settings):
    settings.OVERLOAD_RETRY_AFTER_S = 7
    response = _get_problems(api, _raising(lambda: PoolTimeout("couldn't get a connection after 10.00 sec"),
                                           wrapped=True))
    assert response.status_code == 503
    assert error_code(response) == "overloaded"
    assert response["Retry-After"] == "7"


def test_a_bare_pool_timeout_is_503_overloaded(api):
    response = _get_problems(api, _raising(lambda: PoolTimeout("couldn't get a connection"), wrapped=False))
    assert response.status_code == 503
    assert error_code(response) == "overloaded"
    assert int(response["Retry-After"]) >= 1


def test_a_locked_sqlite_database_is_503_overloaded(api):
    # As Django's SQLite backend raises it (built here, so the test runs on PostgreSQL as well).
    response = _get_problems(api, _raising(lambda: OperationalError("database is locked"), wrapped=False))
    assert response.status_code == 503
    assert error_code(response) == "overloaded"


def test_other_database_errors_are_not_disguised_as_overload(api):
    response = _get_problems(api, _raising(lambda: OperationalError("server closed the connection"), wrapped=False))
    assert response.status_code == 500
    assert error_code(response) == "internal_error"

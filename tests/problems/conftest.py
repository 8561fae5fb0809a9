from tests.fixtures_problems import *  # noqa: F403  (shared with tests/commissioners and tests/media)

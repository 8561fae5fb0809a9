from tests.fixtures_problems import *  # noqa: F403

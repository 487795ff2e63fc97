from tests.cases.conftest import _fast_password_hashing, world  # noqa: F401 - shared case fixtures

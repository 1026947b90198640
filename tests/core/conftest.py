from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Every named user gets a hashed password from the factory; the default hasher costs
    # ~0.25 s each, which is most of a permission test's time and proves nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

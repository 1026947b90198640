"""Tests in another language: a person who reads the pages in it."""

from __future__ import annotations


def speaking(user, lang: str):
    """`user`, saved as reading `lang` (their own choice on the profile page)."""
    user.language = lang
    user.save(update_fields=["language"])
    return user

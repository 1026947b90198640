"""The profile form: what a person may change about their own account."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "language"]
        labels = {"display_name": _("Name shown to colleagues"), "language": _("Language")}

    def __init__(
        self, *args: Any, school_language: str = settings.LANGUAGE_CODE, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Each language is named in itself, so a person can find theirs whatever the page's.
        names = dict(settings.LANGUAGES)
        language = cast(forms.ChoiceField, self.fields["language"])
        language.choices = [
            ("", _("The school's language (%(name)s)") % {"name": names.get(school_language)}),
            *settings.LANGUAGES,
        ]

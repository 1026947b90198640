"""People, their API tokens and the audit trail. Nothing here knows about schools or cases."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError(_("An e-mail address is required."))
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


# ApiToken's base (django-rest-knox) has no types, so the plugin cannot see its `user` relation.
class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    """A member of staff (or an integration) who logs in with an e-mail address.

    Staff are adults; the students they write about are never users and have no name here.
    """

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    # Blank: the default language of the person's school (core.i18n.language_for).
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of your pages and e-mails. Blank: your school's language."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can log in to the Django admin site.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Raised to end every session of the account at once (core.credentials.credentials_end):
    # it is part of the hash each session is checked against on every request.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return str(self)

    def get_short_name(self) -> str:
        return str(self)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django checks a session against this hash on every request, so a new password ends
        # every older session; the epoch does the same without a new password (a membership
        # removed). Epoch 0 keeps Django's own hash, so no session ends when this is deployed.
        if not self.session_epoch:
            # Django's private method, which the stubs do not declare.
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "core.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def save(self, *args, **kwargs) -> None:
        # Every way a password changes (the reset link, the change form, the admin, the
        # changepassword command) ends in this save: it is the one place where the account's
        # API tokens can be made to end with the old password. Sessions end through the hash.
        # set_password() keeps the new raw password in _password until the save (not in the
        # stubs).
        password_changed = self._password is not None and self.pk is not None  # type: ignore[attr-defined]
        super().save(*args, **kwargs)
        if password_changed:
            ApiToken.objects.filter(user=self).delete()


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): only a SHA-512 digest is stored, so the token itself
    is shown once, when it is made, and never again. An account may hold several, each named
    for where it is used, each with an expiry, each revocable on its own.

    `public_id` names a token in pages and forms: the digest is the primary key and the
    `token_key` is the token's own first characters, neither of which belongs in a URL.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=80)
    created_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class AuditEvent(models.Model):
    """An append-only record of who read or changed what.

    Append-only in the database itself: triggers refuse every UPDATE and DELETE of a row, on
    PostgreSQL and on SQLite (migration 0005). So who acted is kept by value: `actor_id`
    stays when the account is deleted (no database constraint, and deleting a user does not
    touch this table), and `actor_label` is the account's e-mail address at the time.

    `school_id` and `object_id` are plain numbers so that core need not know the apps that
    write here; `student_code` is the pseudonymous code of the student whose data was read
    or changed, if any; `detail` never holds a note's text or anything else about a student.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "core.User",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField(null=True, blank=True)
    school_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    student_code = models.CharField(max_length=17, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["school_id", "student_code"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

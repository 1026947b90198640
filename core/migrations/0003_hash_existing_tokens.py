"""Tokens made before tokens were hashed (Django REST framework's authtoken table, which kept
each token in the clear) become hashed tokens that keep working until API_TOKEN_DAYS from
now; then the old table is dropped, so no token is left in the clear."""

import datetime as dt
import uuid

from django.conf import settings
from django.db import migrations
from django.utils import timezone

OLD_TABLE = "authtoken_token"


def hash_old_tokens(apps, schema_editor):
    from knox.crypto import hash_token

    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("core", "ApiToken")
    expiry = timezone.now() + dt.timedelta(days=settings.API_TOKEN_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id FROM {OLD_TABLE}")  # noqa: S608 - a constant
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        ApiToken(
            digest=hash_token(key),
            token_key=key[:15],
            user_id=user_id,
            expiry=expiry,
            name="Token from before hashing",
            public_id=uuid.uuid4(),
        )
        for key, user_id in rows
    )
    schema_editor.execute(f"DROP TABLE {OLD_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_user_session_epoch_apitoken")]

    operations = [migrations.RunPython(hash_old_tokens, migrations.RunPython.noop)]

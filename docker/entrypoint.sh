#!/bin/sh
# Wait for the database before anything starts; the web container also applies migrations.
set -e
python - <<'PY'
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
django.setup()
from django.db import connection
for attempt in range(60):
    try:
        connection.ensure_connection()
        break
    except Exception:
        time.sleep(1)
else:
    sys.exit("The database did not answer within 60 seconds.")
PY
if [ "${MIGRATE_ON_START:-0}" = "1" ]; then
  python manage.py migrate --no-input
fi
exec "$@"

"""The audit trail is append-only in the database itself: a trigger refuses every UPDATE and
DELETE of an audit row, on PostgreSQL and on SQLite (the embedded run), whoever asks, the
service's code, the Django admin or someone at a database prompt.

Rows written before this migration get their actor's e-mail as `actor_label` first.
"""

from django.db import migrations

MESSAGE = "The audit trail is append-only"

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION core_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_refuse_change();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS core_auditevent_refuse_change();
"""
SQLITE = [
    f"""CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END;""",
    f"""CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete;",
]


class VendorRunSQL(migrations.RunSQL):
    """RunSQL applied only on one database vendor."""

    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def label_old_rows(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    User = apps.get_model("core", "User")
    emails = dict(User.objects.values_list("pk", "email"))
    for event in AuditEvent.objects.filter(actor_id__isnull=False, actor_label=""):
        event.actor_label = emails.get(event.actor_id, f"account {event.actor_id}")
        event.save(update_fields=["actor_label"])


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_by_value")]

    operations = [
        migrations.RunPython(label_old_rows, migrations.RunPython.noop),
        VendorRunSQL("postgresql", POSTGRESQL, POSTGRESQL_REVERSE),
        VendorRunSQL("sqlite", SQLITE, SQLITE_REVERSE),
    ]

"""An import's messages reach the school admin in their language: the refusal at upload (in
the request's language) and the report of the job, which the worker writes in no one's
language, so the job takes the uploader's. Each expected text is the catalogue's, and the
English source must be absent, so a message left unmarked or a job run in the wrong language
fails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from schools.importers import ImportRefused, import_file
from schools.models import AttendanceRecord, ImportJob
from schools.tasks import import_job_run
from tests.clock import fixed_dates
from tests.languages import speaking

pytestmark = fixed_dates

DAY = dt.date(2026, 3, 2)
BAD_SESSION = "the session is not AM or PM"


def _csv(rows):
    body = "student_ref,date,session,code\n" + "".join(f"{r}\n" for r in rows)
    return SimpleUploadedFile("marks.csv", body.encode(), content_type="text/csv")


def _upload_and_run(api, user, rows):
    response = api.as_(user).post(
        "/api/imports/", {"file": _csv(rows), "create_students": "true"}, format="multipart"
    )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    # The worker runs in the site's language, whatever the last request activated.
    with translation.override("en-gb"):
        assert import_job_run(job_id) == "refused"
    return ImportJob.objects.get(pk=job_id)


def _translated(lang, source):
    with translation.override(lang):
        text = translation.gettext(source)
    assert text != source, f"{source!r} has no {lang} translation"
    return text


def test_a_japanese_admin_reads_the_refused_rows_of_their_upload_in_japanese(api, adam, school_a):
    speaking(adam, "ja")
    job = _upload_and_run(api, adam, [f"1,{DAY},AM,N", f"2,{DAY},XX,N", f",{DAY},AM,N"])

    refused = api.as_(adam).get(f"/api/imports/{job.pk}/").json()["report"]["refused"]
    assert refused["problems"] == [
        {"where": "3 行目", "reason": "時間帯が AM でも PM でもありません"},
        {"where": "4 行目", "reason": "生徒の参照番号が空です"},
    ]
    assert refused["message"] == "ファイルは受け付けられず、何も書き込みませんでした：問題 2 件。"
    assert BAD_SESSION not in str(refused) and "line" not in str(refused)
    assert not AttendanceRecord.objects.exists()


def test_two_problems_of_one_row_read_as_italian(api, adam, school_a):
    """Both reasons in Italian, joined by the catalogue's separator."""
    speaking(adam, "it")
    job = _upload_and_run(api, adam, ["1,not-a-date,XX,N"])

    (problem,) = job.report["refused"]["problems"]
    assert problem["where"] == "riga 2"
    assert problem["reason"] == (
        "la data non è una data valida (usa AAAA-MM-GG o GG/MM/AAAA); il turno non è né AM né PM"
    )


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [f"1,{DAY},XX,N"],
            "Il file è stato rifiutato e non è stato scritto nulla: 1 problema.",
        ),
        (
            [f"1,{DAY},XX,N", f"2,{DAY},YY,N", f"3,{DAY},AM,??"],
            "Il file è stato rifiutato e non è stato scritto nulla: 3 problemi.",
        ),
    ],
    ids=["one", "several"],
)
def test_the_count_of_problems_takes_the_italian_plural(api, adam, school_a, rows, message):
    speaking(adam, "it")
    job = _upload_and_run(api, adam, rows)
    assert job.report["refused"]["message"] == message


def test_an_admin_without_a_language_of_their_own_reads_the_schools(api, adam, school_a):
    school_a.default_language = "ja"
    school_a.save(update_fields=["default_language"])
    job = _upload_and_run(api, adam, [f"1,{DAY},XX,N"])
    assert job.report["refused"]["problems"][0]["reason"] == "時間帯が AM でも PM でもありません"


def test_a_file_over_the_limit_is_refused_at_upload_in_the_readers_language(
    api, adam, school_a, settings
):
    settings.IMPORT_MAX_BYTES = 10
    speaking(adam, "it")
    client = api.as_(adam)
    client.force_login(adam)  # a signed-in page session: the person's language applies
    response = client.post("/api/imports/", {"file": _csv([f"1,{DAY},AM,N"])}, format="multipart")
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert detail.startswith("Il file è di ") and "non è stato scritto nulla" in detail
    assert "nothing was written" not in detail
    assert not ImportJob.objects.exists()


def test_the_duplicate_rows_are_named_in_japanese(school_a, tmp_path):
    """The sink's own problem (the same slot twice), and its count, through import_file."""
    path = tmp_path / "twice.csv"
    path.write_text(
        "student_ref,date,session,code\n"
        + "".join(f"1,{DAY},AM,{code}\n" for code in ("N", "I", "N"))
    )
    with translation.override("ja"), pytest.raises(ImportRefused) as refused:
        import_file(path, school=school_a, create_students=True)
    (problem,) = refused.value.problems
    assert problem.where == _translated("ja", "%(first)s and %(last)s") % {
        "first": "2 行目",
        "last": "4 行目",
    }
    assert problem.reason == "同じ生徒・日付・時間帯が2回以上あります（3 回）"
    with translation.override("ja"):  # shown as one line in the reader's language
        assert str(problem) == "2 行目 と 4 行目：同じ生徒・日付・時間帯が2回以上あります（3 回）"


def test_the_command_and_a_caller_in_english_read_english(school_a, tmp_path):
    """English stays the source: the same file refused in English names the line in English."""
    path = tmp_path / "bad.csv"
    path.write_text(f"student_ref,date,session,code\n1,{DAY},XX,N\n")
    with translation.override("en-gb"), pytest.raises(ImportRefused) as refused:
        import_file(path, school=school_a, create_students=True)
    assert [str(p) for p in refused.value.problems] == [f"line 2: {BAD_SESSION}"]
    assert refused.value.message == ("The file was refused and nothing was written: 1 problem.")

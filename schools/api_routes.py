from . import api, api_imports


def register(router) -> None:
    router.register("schools", api.SchoolViewSet, basename="school")
    router.register("students", api.StudentViewSet, basename="student")
    router.register("observations", api.ObservationViewSet, basename="observation")
    router.register("attendance", api.AttendanceViewSet, basename="attendance")
    router.register("imports", api_imports.ImportJobViewSet, basename="import-job")

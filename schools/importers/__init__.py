"""Importers: attendance and incidents from a school's information system, pseudonymised.

`import_file()` is the entry point for the command, the Celery task and the tests. A file is
imported whole or not at all: it is read into a staging area inside one transaction, every
problem is collected with its line or element, and only a file without problems is written.
See docs/IMPORTS.md for the formats, the mapping tables and the policies.
"""

from __future__ import annotations

from .report import ImportRefused, ImportReport
from .run import FORMATS, import_file, import_user

__all__ = ["FORMATS", "ImportRefused", "ImportReport", "import_file", "import_user"]

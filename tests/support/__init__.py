"""What several test folders share: documents, evidence files, PostgreSQL, served pages, Chromium, widget trees.

Fixtures live in the conftest.py files; these are plain modules the tests import (``tests`` is on pytest's path)."""

"""A member's personal link: the workbook URL with its key, and what a page's key opens."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode

from ...errors import Problem, QkitError
from .backends import data_dir, is_database_url
from .records import Applicant, Member, Revision
from .schema import DB_NAME, LINK_PARAM


def access_path(applicant: Applicant, token: str) -> str:
    """The workbook URL path with the secret key, e.g. ``/voila/render/hubei-service.ipynb?key=…``."""
    return f"/voila/render/{applicant.rubric}.ipynb?{urlencode({LINK_PARAM: token})}"


def token_from_query(query_string: str | None) -> str | None:
    """The ``key`` of a page's query string (Voila gives it to the kernel as $QUERY_STRING)."""
    values = parse_qs(query_string or "").get(LINK_PARAM) or [""]
    return values[0].strip() or None


def open_for_token(data_dir_arg: str | Path | None, query_string: str | None,
                   ) -> tuple[Applicant, Revision, Member] | None:
    """What a workbook opens: the applicant of the page's key, its latest revision and the member, or None.

    In a workbook: ``open_for_token(None, os.environ.get("QUERY_STRING"))``;
    ``qkit serve`` sets $QKIT_DATA for the kernels, so None finds the store.
    A missing, wrong or revoked key gives None and reveals nothing about any applicant. A data folder without
    a store is refused (``store_not_found``) and left as it is: a page never makes a store (a workbook opened by
    Voila alone, without ``qkit serve``, would make an empty one beside the notebooks).
    """
    from . import Store  # the package's, put together from this module's siblings

    location = data_dir(data_dir_arg)
    if not is_database_url(location) and not (Path(location) / DB_NAME).is_file():
        raise QkitError(Problem(str(location), "store_not_found"))
    token = token_from_query(query_string)
    if token is None:
        return None
    store = Store(location)
    found = store.member_for_token(token)
    if found is None:
        return None
    applicant, member = found
    return applicant, store.latest(applicant.id), member

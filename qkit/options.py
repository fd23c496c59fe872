"""How reports are made, as one value: what ``qkit report``, ``qkit batch``, the report notebook and the web form share.

Kept apart from ``qkit.report`` so a command can read its options without
loading what makes reports (a kernel client, an exporter, Chromium).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from .resources import REPORT_TEMPLATE

DEFAULT_TIMEOUT = 300.0  # seconds a template cell may run


@dataclass(frozen=True)
class ReportOptions:
    """How reports are made: one value shared by ``qkit report``, ``qkit batch`` (and the note its ``--resume``
    trusts), the report notebook's parameters and the web form's downloads.

    ``audience`` is "applicant" or "internal" (None: the applicant's edition
    for a consensus document, the internal one otherwise, ``tables.edition_for``);
    ``bands_only`` releases every score as its band; ``limits`` is the file
    of word limits the 自评报告撰写情况 section measures against (None: the
    shipped one); ``rubric_dirs`` are folders of rubrics beside the built-in
    ones; ``today`` is the day (YYYY-MM-DD) the improvement plan is read on
    for what is overdue ("": the day the report is made).
    """

    lang: str = "zh"
    rubric_dirs: tuple[Path, ...] = ()
    template: Path = REPORT_TEMPLATE
    timeout: float = DEFAULT_TIMEOUT
    pdf: bool = True
    limits: Path | None = None
    audience: str | None = None
    bands_only: bool = False
    today: str = ""

    def fingerprint(self) -> dict[str, str]:
        """The options as a batch's note of complete reports records them: the template by its content."""
        fields = {k: str(v) for k, v in asdict(self).items()}
        return {**fields, "template": hashlib.sha256(Path(self.template).read_bytes()).hexdigest()}

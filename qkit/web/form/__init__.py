"""The web form: widgets that are a view over ``qkit.web.session.Session``.

Each served workbook notebook is one call, ``workbook("<rubric id>")``.
Every value shown comes from the session and every edit goes straight to
it; checking, scoring, hints and exports live in the session and the core.
The form is built from ``fields`` (the shared ``Form``, bound inputs, lists)
by tab: ``header``, ``clauses`` (5.1 and the items), ``kpis`` (结果数据),
``consensus`` (共识), ``panels`` (历史, 关键要点, 汇总, 导出), and ``workbook``
puts them together.
"""

from .workbook import Workbook, workbook

__all__ = ["Workbook", "workbook"]

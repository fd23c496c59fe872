"""The application package as award offices ask for it (qkit package): from a document file and its evidence
folder, or from an applicant in the workbooks' store."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from .. import document
from ..errors import Problem, QkitError
from ..evidence import FolderFiles
from ..i18n import tr
from ..narrative import load_limits
from ..rubric_files import RubricIndex
from ..scoring import score
from ..web.store import StoreFiles
from .console import Parents, open_store
from .documents import print_writing


def register(sub, parents: Parents) -> None:
    pkg = sub.add_parser("package", parents=[parents.common, parents.data],
                         help="the application package: 概述.docx, 自评报告.docx, 自评表.docx/.xlsx, 证实性材料/ "
                              "with 证实性材料目录.docx, and a .zip of it all")
    pkg.add_argument("source", metavar="FILE|APPLICANT_ID",
                     help="an assessment document, or an applicant's id in the store (qkit applicants list)")
    pkg.add_argument("-o", "--output", required=True, type=Path, metavar="DIR", help="folder for the package")
    pkg.add_argument("--evidence", type=Path, metavar="DIR",
                     help="folder of a document's evidence files, each found by its file in evidence_files "
                          "(default: the document's own folder)")
    pkg.add_argument("--limits", type=Path, metavar="FILE",
                     help="word limits to check the 概述 and 自评报告 against (default: the published ones qkit ships)")
    pkg.set_defaults(handler=package)


def package(args, index: RubricIndex, lang: str, out: Console) -> int:
    from ..package import write_package

    limits = load_limits(args.limits)  # a wrong limits file is named before anything is read
    path = Path(args.source)
    if path.exists() or not args.source.isdigit():
        doc = document.load(path, index)
        files = FolderFiles(args.evidence or path.resolve().parent)
    else:  # an applicant in the store: its latest revision, its files as the store keeps them
        if args.evidence is not None:
            raise QkitError(Problem("--evidence", "evidence_folder_store", str(args.evidence)))
        store = open_store(args, index)
        doc = document.from_data(store.latest(int(args.source)).data, index)
        files = StoreFiles(store, int(args.source))
    rubric = index.load(doc.rubric)
    print_writing(doc, rubric, limits, False, lang, out)
    written = write_package(score(doc, rubric), args.output, files, lang)
    out.print(tr("pkg_written", lang), markup=False)
    for written_path in written:
        out.print(f"  {written_path}", markup=False, highlight=False)
    return 0

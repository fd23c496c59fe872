"""Evidence files for a test: a tiny PDF, an image, a Word and an Excel file, and the sample applicant that lists
them in its items and places or cites them in its narratives."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import docx
import openpyxl
import yaml
from PIL import Image, ImageDraw

from support.documents import write_yaml, HUAKE

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def png(width: int = 800, height: int = 500) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).rectangle([40, 40, width - 40, height - 40], outline="navy", width=8)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@functools.cache  # one content: a Word or Excel file made twice differs in its time stamps
def word_file() -> bytes:
    out = io.BytesIO()
    made = docx.Document()
    made.add_paragraph("战略研讨会会议纪要")
    made.save(out)
    return out.getvalue()


@functools.cache
def excel_file() -> bytes:
    out = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "质量指标"
    book.save(out)
    return out.getvalue()


EVIDENCE = {  # clause -> its evidence files: (number, title, date, owner, file, content)
    "5.2.2": [("5.2-1", "公司组织架构图", "2026-02-01", "人力资源部", "材料/组织架构.png", png)],
    "5.3.2": [("5.3-1", "战略规划管理办法", "2025-03-01", "战略发展部", "材料/战略规划管理办法.pdf", lambda: PDF),
              ("5.3-2", "战略研讨会会议纪要", "2025-11-20", "总经理办公室", "材料/会议纪要.docx", word_file)],
    "5.7.4": [("5.7-1", "质量指标台账", "2026-01-10", "质量管理部", "材料/指标台账.xlsx", excel_file)],
}
PLACED = ("\n\n公司组织架构见下图。\n[[插图:5.2-1]]\n\n表：主要产品及市场地位\n| 产品 | 市场占有率 | 排名 |\n| --- | --- | --- |\n"
          "| 转向节 | 12.6% | 3 |\n| 轮毂单元 | 8.1% | 5 |\n")
CITED = "\n\n战略规划管理办法见[[证据:5.3-1]]，研讨过程见[[证据:5.3-2]]。"


def sample_data() -> dict:
    """The sample applicant with evidence files: a PDF, a Word and an Excel file, and an image the profile places
    beside a table of its own; the strategy narrative cites two of them."""
    data = yaml.safe_load(HUAKE.read_text(encoding="utf-8"))
    for clause_id, entries in EVIDENCE.items():
        data["clauses"][clause_id]["evidence_files"] = [
            {"number": n, "title": t, "date": d, "owner": o, "file": f} for n, t, d, o, f, _ in entries]
    data["profile"]["narrative"] += PLACED
    data["clauses"]["5.3.2"]["narrative"] += CITED
    return data


def evidence_folder(folder: Path) -> Path:
    for entries in EVIDENCE.values():
        for *_, name, content in entries:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(content())
    return folder


def sample_with_evidence(folder: Path) -> Path:
    """The sample document with its evidence files beside it, as ``qkit package FILE`` takes them."""
    evidence_folder(folder)
    return write_yaml(folder / "华科.yaml", sample_data())

"""A blank assessment document that explains itself.

Every clause of the rubric is present, unscored, with its requirement texts
as YAML comments, so an assessor can fill the file in with only an editor.
"""

from __future__ import annotations

import json
import textwrap

from .document import FORMAT_VERSION
from .rubric import IndividualRubric, OrganizationRubric

WIDTH = 40
# how to write a narrative (the 自评报告's text), said once at the profile, or at the top without one
NARRATIVE_HELP = [
    "  # 自评报告叙述（narrative，可选）：把 \"\" 换成 |，另起一行缩进书写。空一行分段；",
    "  # “- ”开头为列表；**文字** 加粗；[[KPI:指标名称]]、[[图:指标名称]]、[[表:条款]] 引用结果数据。",
    "  # qkit validate 按 Word“字数”检查字数限制（--limits），并提示叙述似未涉及的要点（--coverage）。",
]


NO_LINE_START = "，。、；：！？）」』”’》"  # Chinese punctuation never begins a line


def _comment(text: str, indent: str, prefix: str = "") -> list[str]:
    lines = textwrap.wrap(text, WIDTH, initial_indent=prefix, subsequent_indent=" " * len(prefix) if prefix else "")
    for i in range(1, len(lines)):
        while lines[i] and lines[i][0] in NO_LINE_START:  # the mark goes back to the end of the line before
            lines[i - 1], lines[i] = lines[i - 1] + lines[i][0], lines[i][1:]
    return [f"{indent}# {line}" for line in lines if line]


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def render(rubric: OrganizationRubric | IndividualRubric) -> str:
    lines = [
        f"# {rubric.title()} 自评文档（{rubric.document.title}）",
        "# 得分 score：0–100 之间 5 的倍数；未评分的条款留空。",
        "# 填写完成后运行 qkit validate 检查，qkit score 计算得分。",
        f"format_version: {FORMAT_VERSION}",
        f"rubric: {rubric.id}",
        "applicant:",
    ]
    for name in rubric.applicant_fields:
        lines.append({"name": '  name: ""            # 必填', "employees": "  employees:"}.get(name, f'  {name}: ""'))
    lines += ["assessment:", "  date:               # YYYY-MM-DD", "  stage: 自评", "  assessors: []"]

    profile = rubric.profile
    if profile is None:
        lines += ["", *(line[2:] for line in NARRATIVE_HELP)]
    if profile is not None:
        lines += ["", f"# {profile.id} {profile.title}（不计分）", *_comment(profile.intro, ""), "profile:"]
        for prompt in profile.prompts:
            lines += _comment(f"{prompt.id}）{prompt.title}：{prompt.text}", "  ")
            lines.append(f'  {prompt.id}: ""')
        lines += NARRATIVE_HELP + ['  narrative: ""']

    lines += ["", "clauses:"]
    for item in rubric.items:
        lines += ["", f"  # ===== {item.id} {item.title}（{item.points}分） ====="]
        if getattr(item, "overview", ""):
            lines += _comment(item.overview, "  ")
        for clause in item.clauses:
            lines += _clause(rubric, clause)
    lines += ["", "# 结果数据：每个关键绩效指标（KPI）支持一个结果条款，例如：",
              "#  - clause: \"5.2.4\"", "#    name: 营业收入", "#    unit: 亿元",
              "#    better: higher        # higher 越高越好 / lower 越低越好", "#    target: 52.0",
              "#    values: {2022: 41.5, 2023: 45.0, 2024: 48.9}",
              "#    comparisons:", "#      行业标杆: {2023: 60.1, 2024: 62.0}",
              "results: []", ""]
    return "\n".join(lines)


def _clause(rubric, clause) -> list[str]:
    lines = [""]
    if clause.kind == "indicator":
        lines.append(f"  # {clause.id} {clause.title}（{clause.points}分）")
        lines += _comment("评价指标内容：" + "".join(clause.contents), "  ")
        for point in clause.evaluation_points:
            lines += _comment(point, "  ", "· ")
        for band, text in zip(rubric.bands, clause.descriptors):
            lines += _comment(f"{band.label}：{text}", "  ", "  ")
        factors = ""
    else:
        kind = "过程" if clause.kind == "process" else "结果"
        lines.append(f"  # {clause.id} {clause.title}（{clause.points}分，{kind}）")
        if clause.kind == "process":
            lines += _comment(clause.lead, "  ")
            for req in clause.requirements:
                lines += _comment(f"{req.id}）{req.title}：{req.text}", "  ", "  ")
        else:
            lines += _comment(clause.description, "  ")
        bands = "、".join(b.key for b in rubric.dimension(clause).bands)
        ids = rubric.factors_of(clause)
        factors = f"    factors: {{{', '.join(f'{f}: ' for f in ids)}}}   # 各因素的分数段：{bands}"
    lines += [f"  {_q(clause.id)}:", "    score:"]
    if factors:
        lines.append(factors)
    lines += ["    strengths: []", "    ofis: []", "    evidence: []", '    notes: ""',
              '    narrative: ""                # 自评报告中本条款的叙述，写法见上文 narrative 的说明']
    return lines

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"
SAMPLES = ROOT / "parameterized" / "applicants"
RUBRIC_IDS = [
    "hubei-manufacturing", "hubei-service", "hubei-education", "hubei-medical",
    "wuhan-manufacturing", "wuhan-service", "wuhan-individual",
]


@pytest.fixture
def cli(capsys):
    """Run the qkit command in-process; returns (exit code, stdout, stderr)."""
    from qkit.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def sample_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.yaml"))


def full_document(rubric, score: int = 100) -> dict:
    """Raw document data with every clause scored at `score`."""
    return {
        "format_version": 1,
        "rubric": rubric.id,
        "applicant": {"name": "测试单位"},
        "clauses": {c.id: {"score": score} for c in rubric.clauses},
    }


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

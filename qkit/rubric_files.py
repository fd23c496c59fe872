"""Finding and loading the standards' files: the folders searched (the built-in one, ``$QKIT_RUBRICS``,
folders given), one file read and checked against ``qkit.rubric``'s models with every problem named by file and
field, and the index of what is visible, each file loaded once per version."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from .errors import Problem, QkitError
from .resources import RUBRICS
from .rubric import Guidelines, IndividualRubric, OrganizationRubric, Rubric

BUILTIN_DIR = RUBRICS
ENV_VAR = "QKIT_RUBRICS"


class _RubricFile(BaseModel):
    rubric: Rubric


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise QkitError(Problem(path.name, "rubric_invalid", params={"detail": str(exc)})) from None


def _invalid(path: Path, where: str, detail: str) -> QkitError:
    return QkitError(Problem(f"{path.name}: {where}", "rubric_invalid", params={"detail": detail}))


def _describe(exc: ValidationError, path: Path) -> QkitError:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if p not in ("rubric", "organization", "individual"))
        problems.append(Problem(f"{path.name}: {where or '-'}", "rubric_invalid", params={"detail": err["msg"]}))
    return QkitError(problems)


def rubric_dirs(extra: list[Path] | None = None) -> list[Path]:
    """Directories searched for rubrics, later ones overriding earlier ones."""
    dirs = [BUILTIN_DIR]
    env = os.environ.get(ENV_VAR, "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs += list(extra or [])
    return dirs


def _guidelines(path: Path) -> Guidelines:
    data = _read_yaml(path)
    try:
        return Guidelines.model_validate(data)
    except ValidationError as exc:
        raise _describe(exc, path) from None


def _find_guidelines(name: str, near: Path) -> Path:
    for directory in [near.parent, *reversed(rubric_dirs())]:
        candidate = directory / "guidelines" / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    raise _invalid(near, "guidelines", f"no scoring guidelines named {name!r} in a guidelines/ directory")


def load_rubric_file(path: str | Path) -> OrganizationRubric | IndividualRubric:
    """Load and check one rubric file; a broken file raises QkitError naming file and field."""
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise _invalid(path, "-", "a rubric must be a mapping")
    if data.get("id") != path.stem:
        raise _invalid(path, "id", f"{data.get('id')!r} must match the file name {path.stem!r}")
    if data.get("kind") == "organization" and isinstance(data.get("guidelines"), str):
        data = {**data, "guidelines": _guidelines(_find_guidelines(data["guidelines"], path)).model_dump()}
    try:
        return _RubricFile.model_validate({"rubric": data}).rubric
    except ValidationError as exc:
        raise _describe(exc, path) from None


@dataclass(frozen=True)
class RubricIndex:
    """The rubric files visible from the configured directories, by id."""

    paths: dict[str, Path]
    extra: tuple[Path, ...] = ()  # the folders given beside the built-in one (and $QKIT_RUBRICS), for a report kernel

    @classmethod
    def scan(cls, extra: list[Path] | None = None) -> "RubricIndex":
        paths: dict[str, Path] = {}
        for directory in rubric_dirs(extra):
            if directory.is_dir():
                paths.update({p.stem: p for p in sorted(directory.glob("*.yaml"))})
        if not paths:  # an installation that lost its rubric files must not look like one with no standards
            searched = [str(d) for d in rubric_dirs(extra)]
            raise QkitError(Problem("rubrics", "no_rubrics", params={"allowed": searched}))
        return cls(paths, tuple(Path(d) for d in extra or []))

    @property
    def ids(self) -> list[str]:
        return list(self.paths)

    def load(self, rubric_id: str) -> OrganizationRubric | IndividualRubric:
        if rubric_id not in self.paths:
            raise QkitError(Problem("rubric", "unknown_rubric", rubric_id, {"allowed": self.ids}))
        return _load_cached(self.paths[rubric_id], _version(self.paths[rubric_id]))


def _version(path: Path) -> tuple[int, ...]:
    """When the rubric file and every guidelines file it may use were last changed."""
    folders = [path.parent, *rubric_dirs()]
    return (path.stat().st_mtime_ns, *(g.stat().st_mtime_ns for d in folders for g in sorted(d.glob("guidelines/*.yaml"))))


@cache
def _load_cached(path: Path, version: tuple[int, ...]) -> OrganizationRubric | IndividualRubric:
    """Load once per file version: the modification times are the cache key, so an edited file is reloaded."""
    return load_rubric_file(path)


def available_rubrics(extra: list[Path] | None = None) -> list[str]:
    return RubricIndex.scan(extra).ids


def load_rubric(rubric_id: str, extra: list[Path] | None = None) -> OrganizationRubric | IndividualRubric:
    """The rubric with this id from the built-in, environment and extra directories."""
    return RubricIndex.scan(extra).load(rubric_id)

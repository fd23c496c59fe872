"""A web form's widget tree, walked and read as a browser would receive it."""

from __future__ import annotations


def walk(widget):
    """The widget and every widget inside it, depth first."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def blank_session(rubric_id: str = "hubei-service", date: str | None = "2026-10-15"):
    """A web form's session over a standard's blank document, named, assessed on ``date`` and never autosaved."""
    import yaml

    from qkit import load_rubric, template
    from qkit.web.session import Session

    rubric = load_rubric(rubric_id)
    data = yaml.safe_load(template.render(rubric))
    data["applicant"]["name"] = "长江服务测试有限公司"
    session = Session(rubric, data, autosave_delay=None)
    if date:
        session.set(("assessment", "date"), date)
    return session


def page_text(widget) -> str:
    """Every string a browser would receive for this widget tree."""
    strings = []

    def collect(value):
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                collect(v)
        elif isinstance(value, dict):
            for v in value.values():
                collect(v)

    for child in walk(widget):
        collect(child.get_state())
    return "\n".join(strings)

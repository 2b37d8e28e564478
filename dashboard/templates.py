"""HTML and CSS templates (dashboard/templates/), rendered by Jinja2 with autoescape on:
every loaded string is escaped where it lands, never by hand."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"


@cache
def get_environment(autoescape: bool = True) -> jinja2.Environment:
    """HTML templates (autoescaped); `autoescape=False` only for plain-text ones (an e-mail's
    text part), whose block tags then take no line of their own."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=not autoescape,
        lstrip_blocks=not autoescape,
    )


def render_template(name: str, **values: object) -> str:
    """The template `name` (a path under dashboard/templates) filled with `values`."""
    return get_environment().get_template(name).render(**values)


def read_static(name: str) -> str:
    """A file used as is (a stylesheet), read once."""
    return _read(name)


@cache
def _read(name: str) -> str:
    return (TEMPLATE_DIR / name).read_text(encoding="utf-8")


def markup(html: str) -> jinja2.utils.markupsafe.Markup:
    """HTML made by a template, inserted in another without escaping it twice."""
    return jinja2.utils.markupsafe.Markup(html)

"""`{% render_fields form %}` renders a FieldValuesForm; `{% field_scripts %}` adds its scripts."""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from atendo.fields.forms import FieldValuesForm

register = template.Library()


@register.inclusion_tag("fields/_render.html")
def render_fields(form: FieldValuesForm) -> dict[str, Any]:
    return {"form": form, "nodes": form.nodes(), "outside_errors": form.errors_outside_fields()}


@register.simple_tag
def field_scripts() -> str:
    """signature_pad (from npm) and the small script for rows and signatures; deferred, CSP-safe."""
    return format_html(
        '<script src="{}" defer></script>\n<script src="{}" defer></script>',
        static("vendor/signature_pad/signature_pad.umd.min.js"),
        static("js/fields.js"),
    )

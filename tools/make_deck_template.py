"""Regenerate dashboard/formats/templates/commission.pptx, the commission deck's template.

    .venv/bin/python tools/make_deck_template.py

A collectivité replaces that file with its own (same layout names, see docs/formats.md): logo
and colours live in the slide master and the theme, which the deck inherits. This script makes
the neutral default: 16:9, a navy title band, a « VOTRE LOGO » placeholder picture on the master,
and the theme's accent colours set to the dashboard's palette."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.shapes.picture import CT_Picture
from pptx.util import Emu, Inches

OUTPUT = Path(__file__).resolve().parent.parent / "dashboard" / "formats" / "templates"
NAVY = "0B1F4D"
# Theme slots: dk2 / accent1 carry the collectivité's colours (titles, band, first series).
THEME_COLOURS = {
    "dk2": NAVY,
    "lt2": "E8ECF4",
    "accent1": "1565C0",
    "accent2": "2E7D32",
    "accent3": "EF6C00",
    "accent4": "6A1B9A",
    "accent5": "00838F",
    "accent6": "C62828",
}
LAYOUT_NAMES = {0: "Couverture", 5: "Titre seul"}  # python-pptx's default layouts, renamed


def logo_png() -> bytes:
    """A neutral placeholder logo (PNG) the collectivité swaps for its own in the master."""
    image = Image.new("RGB", (600, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([4, 4, 595, 235], outline="#" + NAVY, width=8)
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 64)
    except OSError:
        font = ImageFont.load_default()
    draw.text((300, 120), "VOTRE LOGO", fill="#" + NAVY, anchor="mm", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def set_theme_colours(presentation: Presentation) -> None:
    master_part = presentation.slide_master.part
    theme = master_part.part_related_by(RT.THEME)
    xml = theme.blob.decode("utf-8")
    for slot, colour in THEME_COLOURS.items():
        xml = re.sub(
            rf"(<a:{slot}>\s*)<a:(?:srgbClr|sysClr)[^>]*/>",
            rf'\1<a:srgbClr val="{colour}"/>',
            xml,
        )
    xml = re.sub(r'(<a:theme [^>]*name=")[^"]*"', r'\1Pilotage territorial"', xml)
    theme._blob = xml.encode("utf-8")


def add_master_picture(presentation: Presentation, blob: bytes, left, top, height) -> None:
    """python-pptx has no add_picture on a master: relate the image and append a p:pic."""
    master = presentation.slide_master
    image_part, r_id = master.part.get_or_add_image_part(io.BytesIO(blob))
    width = int(height * image_part.image.size[0] / image_part.image.size[1])
    tree = master.shapes._spTree
    shape_id = max(int(e) for e in tree.xpath("//p:cNvPr/@id")) + 1
    picture = CT_Picture.new_pic(
        shape_id, "Logo", "Logo de la collectivité", r_id, left, top, width, height
    )
    tree.append(picture)


def add_master_band(presentation: Presentation) -> None:
    """A thin band in the theme's dark colour at the top of every slide."""
    master = presentation.slide_master
    width = presentation.slide_width
    # Shapes on a master: draw on a throwaway slide, then move the element.
    slide = presentation.slides.add_slide(presentation.slide_layouts[6])
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, width, Inches(0.12))
    band.fill.solid()
    band.fill.fore_color.rgb = RGBColor.from_string(NAVY)
    band.line.fill.background()
    band.name = "Bandeau"
    master.shapes._spTree.append(band._element)
    drop = presentation.slides._sldIdLst[-1]
    presentation.part.drop_rel(drop.rId)
    presentation.slides._sldIdLst.remove(drop)


def build_template() -> Presentation:
    presentation = Presentation()
    presentation.slide_width, presentation.slide_height = Inches(13.333), Inches(7.5)
    set_theme_colours(presentation)
    for index, name in LAYOUT_NAMES.items():
        presentation.slide_layouts[index].name = name
    # The default layouts are laid out for 4:3: stretch every placeholder to the new width.
    ratio = presentation.slide_width / Inches(10)
    for layout in [presentation.slide_master, *presentation.slide_layouts]:
        for shape in layout.placeholders:
            if shape.left is not None:
                shape.left, shape.width = (
                    Emu(int(shape.left * ratio)),
                    Emu(int(shape.width * ratio)),
                )
    add_master_band(presentation)
    height = Inches(0.55)
    add_master_picture(
        presentation, logo_png(), presentation.slide_width - Inches(1.75), Inches(0.2), height
    )
    return presentation


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    build_template().save(OUTPUT / "commission.pptx")


if __name__ == "__main__":
    main()

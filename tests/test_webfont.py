"""Pages carry the glyphs of their Japanese text: the embedded subset has every character
the page uses, and Chromium draws them (not empty boxes) on a machine without Japanese
fonts."""

from __future__ import annotations

import docutils.core
from browser import boxes_instead_of_glyphs, needs_chromium

from riverfish import webfont

NAMES = [
    "アジメドジョウ",
    "降海型イトヨ",
    "早瀬川水系：調査回・地点別の出現種",
    "Oryzias latipes (メダカ)",
]


def test_wide_characters_and_ranges():
    assert webfont.wide_characters("HY-up アジメ、早瀬 (x)") == "、アジメ早瀬"
    assert webfont.wide_characters("Salvelinus leucomaenis") == ""
    assert webfont.unicode_range("アイウカ") == "U+30A2,U+30A4,U+30A6,U+30AB"
    assert webfont.unicode_range("あぃいぅ") == "U+3042-3045"


def test_the_subset_has_every_character_and_only_those():
    text = "".join(NAMES)
    css = webfont.style(text)
    assert set(webfont.wide_characters(text)) <= webfont.embedded_characters(css)
    assert "メ" in webfont.embedded_characters(css) and "鯉" not in webfont.embedded_characters(css)
    assert len(css) < 60_000  # a few kilobytes, not the 4 MB font
    assert f"font-family:{webfont.FONT_STACK}" in css


def test_embed_goes_in_the_head_and_leaves_latin_pages_alone():
    page = "<html><head><title>t</title></head><body><p>ツチフキ</p></body></html>"
    out = webfont.embed(page)
    head, body = out.split("</head>")
    assert "@font-face" in head and body == "<body><p>ツチフキ</p></body></html>"
    latin = "<html><head></head><body><p>Abbottina rivularis</p></body></html>"
    assert webfont.embed(latin) == latin


def test_rst_style_passes_docutils_and_keeps_every_glyph():
    text = "".join(NAMES) * 3
    block = webfont.rst_style(text)
    assert max(len(line) for line in block.splitlines()) < 200
    html = docutils.core.publish_parts(block + "Some text.\n", writer="html")["body"]
    assert "<style>@font-face" in html and "System Message" not in html
    assert set(webfont.wide_characters(text)) <= webfont.embedded_characters(html)


@needs_chromium
def test_chromium_draws_the_embedded_glyphs(tmp_path):
    css = webfont.style("".join(NAMES)).removeprefix("<style>").removesuffix("</style>")
    assert boxes_instead_of_glyphs(NAMES, css, tmp_path) == []
    # and the check does see boxes: characters the subset lacks
    assert boxes_instead_of_glyphs(["鯉鮒鰻"], css, tmp_path) == ["鯉鮒鰻"]

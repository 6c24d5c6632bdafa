"""Japanese text that renders on every machine: the pages a person opens (the report's
start page, the table pages, the rendered notebooks) carry the glyphs they use.

A page's Japanese characters are cut out of IPAexGothic (the font the figures use,
shipped by matplotlib-fontja) with fontTools and embedded as a WOFF font of a few
kilobytes, limited to those characters (unicode-range), and placed first in the page's
font list, so Latin text keeps the usual fonts and a machine without Japanese fonts (a
bare Linux, a server) shows the glyphs instead of empty boxes. The IPA Font Licence
allows fonts embedded in a document for its display (Article 1.5, and Article 2,
paragraphs 2 to 5).
"""

from __future__ import annotations

import base64
import io
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

#: the family name the embedded subset goes by
FAMILY = "riverfish-ja"
#: Japanese system fonts tried before the embedded one
SYSTEM_FONTS = (
    '"Hiragino Sans", "Hiragino Kaku Gothic ProN", "Yu Gothic", "YuGothic", Meiryo, '
    '"Noto Sans CJK JP", "Noto Sans JP", IPAexGothic'
)
#: the embedded font comes first (its unicode-range keeps Latin text in the others):
#: after a generic family, Chromium draws some runs of kana as empty boxes even where a
#: later family has them
FONT_STACK = f"{FAMILY}, ui-sans-serif, system-ui, sans-serif, {SYSTEM_FONTS}"


def font_path() -> Path:
    """IPAexGothic as matplotlib-fontja ships it."""
    import matplotlib_fontja

    return Path(matplotlib_fontja.__file__).resolve().parent / "fonts" / "ipaexg.ttf"


def wide_characters(text: str) -> str:
    """The distinct characters of ``text`` that Latin fonts lack: East Asian wide and
    full-width ones (kana, kanji, full-width punctuation), in code point order."""
    return "".join(sorted({ch for ch in text if unicodedata.east_asian_width(ch) in "WF"}))


@lru_cache(maxsize=32)
def _subset(characters: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    font = TTFont(str(font_path()), recalcTimestamp=False)  # the same bytes every run
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


def font_face(text: str) -> str:
    """A CSS ``@font-face`` rule for the embedded subset with the wide characters of
    ``text``, or ``""`` where it has none."""
    characters = wide_characters(text)
    if not characters:
        return ""
    data = base64.b64encode(_subset(characters)).decode("ascii")
    return (
        f"@font-face{{font-family:{FAMILY};src:url(data:font/woff;base64,{data}) "
        f"format('woff');unicode-range:{unicode_range(characters)};font-display:block}}"
    )


def unicode_range(characters: str) -> str:
    """A CSS unicode-range of the characters, consecutive code points as one range."""
    points = sorted({ord(c) for c in characters})
    spans: list[list[int]] = []
    for p in points:
        if spans and p == spans[-1][1] + 1:
            spans[-1][1] = p
        else:
            spans.append([p, p])
    return ",".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in spans)


def style(text: str, selector: str = "body") -> str:
    """A ``<style>`` element: the font face for ``text`` and the font list on
    ``selector``."""
    # Jupyter's pages (the rendered notebooks) take their fonts from these variables
    variables = (
        f":root{{--jp-content-font-family:{FONT_STACK};--jp-ui-font-family:{FONT_STACK};"
        f"--jp-code-font-family:{FAMILY}, monospace}}"
    )
    return f"<style>{font_face(text)}{variables}{selector}{{font-family:{FONT_STACK}}}</style>"


def embed(page: str) -> str:
    """An HTML page with the glyphs of its own Japanese text embedded (the style goes
    last in the head, so its font list wins)."""
    text = re.sub(r"<[^>]+>", "", page)
    if not wide_characters(text):
        return page
    tag = style(text)
    if "</head>" in page:
        return page.replace("</head>", tag + "</head>", 1)
    return tag + page


def rst_style(text: str) -> str:
    """The style of :func:`style` as a raw HTML block of reStructuredText (the report's
    start page), followed by a blank line."""
    # docutils refuses lines over 10,000 characters: the font's data goes on lines of
    # 100, joined by CSS string continuations (a backslash before the line end)
    css = style(text)
    head, sep, rest = css.partition("base64,")
    if sep:
        data, _, tail = rest.partition(")")
        lines = [data[i : i + 100] for i in range(0, len(data), 100)]
        tail = tail.replace(",", ",\n")  # the unicode-range and the font lists
        css = head.replace("url(data:", 'url("data:') + sep + "\\\n".join(lines) + '")' + tail
    body = "\n".join("   " + line for line in css.split("\n"))
    return f".. raw:: html\n\n{body}\n\n"


def embedded_characters(css: str) -> set[str]:
    """The characters the font embedded in ``css`` has glyphs for (for checks)."""
    from fontTools.ttLib import TTFont

    found = re.search(r"base64,([A-Za-z0-9+/=]+)", re.sub(r"\\\n\s*", "", css))
    if not found:
        return set()
    font = TTFont(io.BytesIO(base64.b64decode(found.group(1))))
    return {chr(c) for c in font.getBestCmap()}

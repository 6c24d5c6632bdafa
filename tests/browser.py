"""Headless Chromium for the tests that look at pages as a person does: the DOM as drawn,
screenshots, and whether Japanese text is drawn as glyphs or as empty boxes."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
ROW = 28  # pixels per line of the glyph check


def chromium(*args: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def dom(page: Path) -> str:
    return chromium("--virtual-time-budget=10000", "--dump-dom", page.as_uri()).stdout


def japanese_fonts_installed() -> bool:
    """Whether the machine has a font with Japanese glyphs (then a page draws Japanese
    text without the one it embeds)."""
    fc = shutil.which("fc-list")
    if fc is None:
        return False
    return bool(subprocess.run([fc, ":lang=ja"], capture_output=True, text=True).stdout.strip())


def _lines_page(strings: list[str], css: str) -> str:
    lines = "".join(
        f"<p style='height:{ROW}px;margin:0;white-space:nowrap'>{html.escape(s)}</p>"
        for s in strings
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{css}</style></head>"
        f"<body style='margin:0;font-size:16px'>{lines}</body></html>"
    )


def _bands(path: Path, n: int) -> list[bytes]:
    from PIL import Image

    image = Image.open(path).convert("L")
    return [image.crop((0, i * ROW, image.width, (i + 1) * ROW)).tobytes() for i in range(n)]


def boxes_instead_of_glyphs(strings: list[str], css: str, work: Path) -> list[str]:
    """The strings Chromium draws as empty boxes with the page's ``css``: each string is
    drawn on its own line with the css and with the css's fonts taken out (how the text
    looks on this machine without them); a line alike in both is drawn without the page's
    fonts, so (on a machine without Japanese fonts) as boxes. Also a line alike to the
    same number of characters that no font has (private use) is drawn as boxes."""
    work.mkdir(parents=True, exist_ok=True)
    strings = list(dict.fromkeys(strings))
    without = re.sub(r"@font-face\{[^}]*\}", "", re.sub(r"\\\n\s*", "", css))
    boxes = ["\ue000" * len(s) for s in strings]
    pages = {
        "with": _lines_page(strings, css),
        "without": _lines_page(strings, without),
        "boxes": _lines_page(boxes, css),
    }
    shots = {}
    for name, text in pages.items():
        page = work / f"glyphs_{name}.html"
        page.write_text(text, encoding="utf-8")
        shot = work / f"glyphs_{name}.png"
        chromium(
            f"--window-size=1400,{ROW * len(strings) + ROW}",
            "--virtual-time-budget=5000",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            page.as_uri(),
        )
        shots[name] = _bands(shot, len(strings))
    missing = []
    check_without = not japanese_fonts_installed()
    for i, s in enumerate(strings):
        if shots["with"][i] == shots["boxes"][i]:
            missing.append(s)
        elif check_without and shots["with"][i] == shots["without"][i]:
            missing.append(s)
    return missing


def japanese_runs(page_html: str) -> list[str]:
    """The texts of a page (between tags, outside style and script) with Japanese
    characters in them."""
    body = re.sub(r"<(style|script)\b.*?</\1>", "", page_html, flags=re.S)
    texts = (html.unescape(t).strip() for t in re.split(r"<[^>]+>", body))
    return [t for t in texts if re.search(r"[\u3040-\u30ff\u4e00-\u9fff\uff00-\uffef]", t)]


def page_style(page_html: str) -> str:
    """The page's style element that embeds its Japanese glyphs."""
    for css in re.findall(r"<style>(.*?)</style>", page_html, flags=re.S):
        if "@font-face" in css:
            return css
    return ""

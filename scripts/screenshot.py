#!/usr/bin/env python3
"""Render a tmux pane (capture-pane -e output on stdin) to a PNG: scripts/screenshot uses it."""
import sys

import pyte
from PIL import Image, ImageDraw, ImageFont

cols, rows, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
screen = pyte.Screen(cols, rows)
stream = pyte.Stream(screen)
stream.feed(sys.stdin.read().rstrip("\n").replace("\n", "\r\n"))

font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 15)
bold = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", 15)
cw, ch = 9, 18
BG, FG = (30, 30, 36), (215, 215, 215)
NAMED = {
    "black": (40, 40, 40), "red": (230, 90, 90), "green": (120, 200, 120), "brown": (220, 190, 90),
    "yellow": (220, 190, 90), "blue": (100, 150, 230), "magenta": (200, 120, 200), "cyan": (90, 200, 210),
    "white": (220, 220, 220), "brightblack": (120, 120, 120),
}


def color(c, default):
    if c == "default":
        return default
    if c in NAMED:
        return NAMED[c]
    try:
        return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return default


img = Image.new("RGB", (cols * cw + 16, rows * ch + 16), BG)
d = ImageDraw.Draw(img)
for y in range(rows):
    line = screen.buffer[y]
    for x in range(cols):
        c = line[x]
        fg, bg = color(c.fg, FG), color(c.bg, BG)
        if c.reverse:
            fg, bg = bg if bg != BG else (30, 30, 36), fg if c.fg != "default" else (200, 200, 200)
        px, py = 8 + x * cw, 8 + y * ch
        if bg != BG:
            d.rectangle([px, py, px + cw, py + ch], fill=bg)
        if c.data.strip():
            d.text((px, py), c.data, font=bold if c.bold else font, fill=fg)
img.save(out)

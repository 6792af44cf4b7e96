"""Synthetic Chinese licence plates rendered with the CJK fonts of Debian packages.

Used to train the recogniser (``train.py``) and, in the tests, to make photos for the
layouts the real test set lacks (double-row yellow, white, black, 晋 plates).

Needs Pillow (training/test only) and the Debian packages ``fonts-noto-cjk`` and/or
``fonts-wqy-microhei``.  Geometry follows GA 36 in millimetres (1 px = 1 mm at scale 1).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from plates.reading._np import as_f32, as_u8
from plates.reading.charset import DIGITS, LETTERS, PROVINCES
from plates.reading.rectify import DOUBLE_BOXES_MM, DOUBLE_PLATE_MM

U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]

FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2),
)
#: How often each CJK font is picked: plate province characters are a bold sans (黑体-like).
FONT_WEIGHTS = (5, 2, 3, 1)
#: Narrow bold sans fonts for letters and digits (Debian: fonts-urw-base35, fonts-liberation,
#: fonts-dejavu-core); the glyphs are stretched to the plate's character boxes anyway.
LATIN_EXTRA = (
    "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Regular.otf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf",
)
#: Narrow squared fonts are closest to the GA 36 plate font; DejaVu's serifed "1" is not.
#: The regular (non-bold) narrow faces give the thinner strokes many real plates show.
LATIN_WEIGHTS = (5, 4, 2, 2, 1, 1, 3, 2)

COLORS = ("blue", "yellow", "green", "yellow_green", "white", "black")


def available_fonts() -> list[tuple[str, int]]:
    found = [(p, i) for p, i in FONT_CANDIDATES if Path(p).exists()]
    if not found:
        raise FileNotFoundError("no CJK font found: apt-get install -y fonts-noto-cjk fonts-wqy-microhei")
    return found


@functools.cache
def _light_cjk_fonts() -> list[tuple[str, int]]:
    """The regular-weight CJK faces (Noto Sans CJK Regular, WQY MicroHei) that are installed."""
    return [f for f in FONT_CANDIDATES[1:3] if Path(f[0]).exists()] or available_fonts()[:1]


def _pick_cjk_font(rng: random.Random) -> tuple[str, int]:
    pairs = [(f, wt) for f, wt in zip(FONT_CANDIDATES, FONT_WEIGHTS, strict=True) if Path(f[0]).exists()]
    if not pairs:
        return available_fonts()[0]
    return rng.choices([f for f, _ in pairs], [wt for _, wt in pairs])[0]


def _pick_latin_font(rng: random.Random, fallback: tuple[str, int]) -> tuple[str, int]:
    pairs = [(p, wt) for p, wt in zip(LATIN_EXTRA, LATIN_WEIGHTS, strict=True) if Path(p).exists()]
    if not pairs or rng.random() < 0.1:
        return fallback
    return (rng.choices([p for p, _ in pairs], [wt for _, wt in pairs])[0], 0)


@functools.lru_cache(maxsize=256)
def _flat_top_three(font_path: str, index: int) -> U8:
    """The GA 36 "3" has a flat top bar and a diagonal down to the lower bowl (like Ʒ).

    Built from the font's own "3": its lower bowl is kept, its rounded top replaced.
    """
    g = _glyph("3", font_path, index).copy()
    h, w = g.shape
    col = g[:, w // 2] > 127
    t = 1
    while t < h // 3 and col[h - 1 - t]:  # stroke thickness: the bottom stroke's height
        t += 1
    t = max(4, t)
    mid = int(h * 0.42)
    g[:mid] = 0
    cv2.rectangle(g, (0, 0), (w - 1, t - 1), 255, -1)
    cv2.line(g, (w - 1 - t // 2, t // 2), (int(w * 0.42), mid + t // 2), 255, t)
    return g


@functools.lru_cache(maxsize=64)
def _plate_zero(stroke: int, end: float) -> U8:
    """The GA 36 "0": a narrow ring with straight parallel sides and round ends (a stadium).

    ``stroke`` is the stroke width at a height of 180 px, ``end`` stretches the round ends
    vertically (1.0: semicircles).  Most fonts' "0" is an oval, which reads as "D" or "O".
    """
    h, w = 180, 90
    r = w / 2
    ry = r * end
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    cy = np.clip(yy, ry, h - ry)  # nearest point on the straight middle part
    d = np.sqrt((xx - r) ** 2 + ((yy - cy) * (r / ry)) ** 2)
    ring = (d <= r) & (d >= r - stroke)
    return np.ascontiguousarray(ring.astype(np.uint8) * 255)


@functools.lru_cache(maxsize=64)
def _plate_g(stroke: int, end: float, bar_x: float = 0.45) -> U8:
    """The GA 36 "G": the stadium "0" opened on the upper right, with a bar in to the middle.

    Its lower right is a straight vertical up to the bar, unlike the curled-in "6"; ``bar_x``
    is where the bar starts, as a share of the width (some plates' bar is a short spur).
    """
    g = _plate_zero(stroke, end).copy()
    h, w = g.shape
    bar_y = int(h * 0.5)
    g[int(w / 2 * end * 0.55) : bar_y, w // 2 :] = 0  # open the upper right side
    g[bar_y : bar_y + stroke, int(w * bar_x) :] = 255  # the inward bar
    g[bar_y:, w - stroke :] = 255  # straight right side below the bar
    return g


@functools.lru_cache(maxsize=64)
def _plate_q(stroke: int, end: float) -> U8:
    """The GA 36 "Q": the stadium "0" with a short diagonal tail across its lower right.

    Fonts' "Q" is a round "O" with a tail; on plates it is the straight-sided "0" plus the tail,
    which the recogniser otherwise takes for "0".
    """
    g = _plate_zero(stroke, end).copy()
    h, w = g.shape
    cv2.line(g, (int(w * 0.55), int(h * 0.72)), (w - 1 - stroke // 3, h - 1 - stroke // 3), 255, stroke, cv2.LINE_AA)
    return g


@functools.lru_cache(maxsize=64)
def _plate_m(stroke: int, vertex: float) -> U8:
    """The GA 36 "M": straight upright sides whose diagonals meet well above the baseline
    (``vertex``: height of the meeting point as a share of the glyph), unlike most fonts' "M"
    (meeting at the baseline), which the recogniser otherwise reads as "H"."""
    h, w = 180, 100
    img = np.zeros((h, w), np.uint8)
    img[:, :stroke] = 255
    img[:, w - stroke :] = 255
    tip = (w // 2, int(h * vertex))
    for x in (stroke // 2, w - 1 - stroke // 2):
        cv2.line(img, (x, stroke // 2), tip, 255, max(2, int(stroke * 0.9)), cv2.LINE_AA)
    return img


@functools.lru_cache(maxsize=64)
def _plate_one(flag: int, bar: int) -> U8:
    """The GA 36 "1": a plain vertical bar with a short flag at the top left (no foot)."""
    h = 180
    w = bar + flag
    img = np.zeros((h, w), np.uint8)
    img[:, flag:] = 255
    if flag:
        top, low = bar * 0.6 + flag * 0.5, bar * 1.3 + flag * 0.5
        pts = np.array([[flag, 0], [flag, bar * 1.3], [0, low], [0, top]], np.int32)
        cv2.fillPoly(img, [pts], 255)
    return img


@functools.lru_cache(maxsize=4096)
def _glyph(char: str, font_path: str, index: int) -> U8:
    """Tight ink mask (0-255) of one character, rendered large."""
    font = ImageFont.truetype(font_path, 160, index=index)
    img = Image.new("L", (240, 240), 0)
    ImageDraw.Draw(img).text((20, 10), char, fill=255, font=font)
    arr = np.asarray(img, dtype=np.uint8)
    ys, xs = np.nonzero(arr > 40)
    if len(xs) == 0:
        raise ValueError(f"font {font_path} lacks {char!r}")
    return np.ascontiguousarray(arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


@dataclass(frozen=True)
class PlateSpec:
    text: str
    color: str
    double: bool = False


def random_plate_text(rng: random.Random, color: str, double: bool = False) -> str:
    prov = rng.choice(PROVINCES)
    letter = rng.choice(LETTERS)
    alnum = LETTERS + DIGITS * 3  # digits are more common on real plates
    if color in ("green", "yellow_green"):
        if color == "green":
            return (
                prov
                + letter
                + rng.choice("DF")
                + rng.choice(LETTERS + DIGITS)
                + "".join(rng.choice(DIGITS) for _ in range(4))
            )
        return prov + letter + "".join(rng.choice(DIGITS) for _ in range(5)) + rng.choice("DF")
    tail = "".join(rng.choice(alnum) for _ in range(5))
    r = rng.random()
    if color == "white" and r < 0.7:
        tail = tail[:4] + "警"
    elif color == "black" and r < 0.5:
        tail = tail[:4] + rng.choice("港澳使领")
    elif color == "yellow" and r < 0.08:
        tail = tail[:4] + "学"
    elif color == "yellow" and double and r < 0.3:
        tail = tail[:4] + "挂"
    return prov + letter + tail


def _rgb(rng: random.Random, base: tuple[int, int, int], jitter: int = 25) -> tuple[int, int, int]:
    r, g, b = (int(np.clip(c + rng.randint(-jitter, jitter), 0, 255)) for c in base)
    return r, g, b


def _layout(spec: PlateSpec) -> tuple[int, int, list[tuple[float, float, float, float]]]:
    """Plate size (w, h) in mm and character boxes (x, y, w, h)."""
    n = len(spec.text)
    if spec.double:
        w_mm, h_mm = DOUBLE_PLATE_MM
        return round(w_mm), round(h_mm), list(DOUBLE_BOXES_MM)
    if n == 8:
        xs = [15.5, 67.5]
        x = 67.5 + 43 + 51
        for _ in range(6):
            xs.append(x)
            x += 43 + 9
        return 480, 140, [(xx, 25.0, 43.0, 90.0) for xx in xs]
    xs = [15.5, 72.5, 151.5, 208.5, 265.5, 322.5, 379.5]
    return 440, 140, [(xx, 25.0, 45.0, 90.0) for xx in xs]


def render_plate(spec: PlateSpec, rng: random.Random | None = None, scale: float = 1.0) -> tuple[U8, F32]:
    """Render a flat plate (BGR) and return it with its 4 corners (tl, tr, br, bl)."""
    rng = rng or random.Random(0)
    font_path, font_idx = _pick_cjk_font(rng)
    latin_font = _pick_latin_font(rng, (font_path, font_idx))
    plain_one = rng.random() < 0.6  # draw "1" as the plate font's bar instead of the font's glyph
    one_shape = (rng.choice((0, 0, 8, 12, 16)), rng.randint(18, 30))
    flat_three = rng.random() < 0.7  # the plate font's "3" has a flat top
    # Later style options come from a side stream seeded by (not drawn from) ``rng``, so adding
    # them does not shift the main stream: seeded test photos keep their layout and noise.
    style = random.Random(str(rng.getstate()[1]))
    stadium_zero = style.random() < 0.6  # the plate font's "0" (and "G") has straight sides
    zero_shape = (style.randint(15, 24), style.uniform(1.0, 1.5))
    # Real plates' province characters are a light-to-medium 黑体 with thin strokes; the bold
    # faces drawn at plate size read as blobs (粤 taken for 鄂 or 琼, 浙 for 湘).
    light_cjk = style.random() < 0.6
    light_font = style.choice(_light_cjk_fonts())
    plate_mq = style.random() < 0.6  # the plate font's "M" (diagonals meet high) and "Q" (stadium)
    m_shape = (style.randint(14, 22), style.uniform(0.5, 0.72))
    g_bar = style.uniform(0.45, 0.65)
    mix_fonts = rng.random() < 0.15  # now and then a character from another font (worn / replaced)
    w_mm, h_mm, boxes = _layout(spec)
    w, h = round(w_mm * scale), round(h_mm * scale)
    yy = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    xx = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
    text_rgb: tuple[int, int, int]
    red = (200, 20, 20)
    if spec.color == "blue":
        # from deep blue to the lighter, cyan-tinted blue most cameras record
        bg = np.array(_rgb(rng, style.choice(((20, 70, 190), (35, 105, 205), (45, 130, 215))), 25), np.float32)
        img = np.broadcast_to(bg, (h, w, 3)).copy()
        text_rgb = _rgb(rng, (240, 240, 240), 15)
    elif spec.color == "yellow":
        bg = np.array(_rgb(rng, style.choice(((235, 185, 30), (245, 215, 20))), 25), np.float32)
        img = np.broadcast_to(bg, (h, w, 3)).copy()
        text_rgb = _rgb(rng, (20, 20, 20), 15)
    elif spec.color == "green":
        top = np.array(_rgb(rng, (225, 245, 225), 15), np.float32)
        bot = np.array(_rgb(rng, (70, 190, 90), 25), np.float32)
        img = np.broadcast_to(top * (1 - yy) + bot * yy, (h, w, 3)).copy()
        text_rgb = _rgb(rng, (15, 15, 15), 10)
    elif spec.color == "yellow_green":
        yel = np.array(_rgb(rng, (235, 190, 30), 20), np.float32)
        grn = np.array(_rgb(rng, (70, 190, 90), 20), np.float32)
        split = (boxes[1][0] + boxes[1][2] + 12) / w_mm
        m = (xx > split).astype(np.float32)
        img = np.broadcast_to(yel * (1 - m) + grn * m, (h, w, 3)).copy()
        text_rgb = _rgb(rng, (15, 15, 15), 10)
    elif spec.color == "white":
        bg = np.array(_rgb(rng, (235, 235, 235), 15), np.float32)
        img = np.broadcast_to(bg, (h, w, 3)).copy()
        text_rgb = _rgb(rng, (20, 20, 20), 15)
    else:  # black
        bg = np.array(_rgb(rng, (25, 25, 30), 15), np.float32)
        img = np.broadcast_to(bg, (h, w, 3)).copy()
        text_rgb = _rgb(rng, (240, 240, 240), 15)

    # frame line
    inset = max(1, round(3 * scale))
    thick = max(1, round(rng.uniform(1.0, 2.5) * scale))
    frame_col = np.array(text_rgb, np.float32)
    cv2.rectangle(img, (inset, inset), (w - 1 - inset, h - 1 - inset), frame_col.tolist(), thick)
    # rivets
    if rng.random() < 0.6:
        for rx in (0.25, 0.75):
            cx, cy = round(rx * w), round(8 * scale)
            cv2.circle(img, (cx, cy), max(1, round(3 * scale)), (frame_col * 0.8).tolist(), -1)

    # separator dot for single-row plates
    if not spec.double:
        x_dot = (boxes[1][0] + boxes[1][2] + boxes[2][0]) / 2 * scale
        cv2.circle(img, (round(x_dot), round(70 * scale)), max(1, round(5 * scale)), text_rgb, -1)

    stroke_gain = rng.uniform(0.9, 1.25)
    weight = rng.choice((-1, 0, 0, 1, 1))  # erode / keep / dilate the glyph strokes
    wk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    for i, (ch, (bx, by, bw, bh)) in enumerate(zip(spec.text, boxes, strict=True)):
        is_cjk = ch not in LETTERS + DIGITS
        fp, fi = (font_path, font_idx) if is_cjk else latin_font
        if mix_fonts and rng.random() < 0.3:
            fp, fi = _pick_cjk_font(rng) if is_cjk else _pick_latin_font(rng, (fp, fi))
        if is_cjk and light_cjk:
            fp, fi = light_font
        if ch == "1" and plain_one:
            g = _plate_one(*one_shape)
        elif ch == "3" and flat_three:
            g = _flat_top_three(fp, fi)
        elif ch == "0" and stadium_zero:
            g = _plate_zero(*zero_shape)
        elif ch == "G" and stadium_zero:
            g = _plate_g(*zero_shape, round(g_bar, 2) if plate_mq else 0.45)
        elif ch == "Q" and plate_mq:
            g = _plate_q(*zero_shape)
        elif ch == "M" and plate_mq:
            g = _plate_m(*m_shape)
        else:
            g = _glyph(ch, fp, fi)
        gw = bw if (ch != "1" or is_cjk) else bw * g.shape[1] / g.shape[0] * bh / bw
        gw = min(bw, max(gw, bw * 0.25))
        tw, th = max(1, round(gw * scale)), max(1, round(bh * scale))
        gm = cv2.resize(g, (tw, th), interpolation=cv2.INTER_AREA)
        stroke = 0 if (is_cjk and light_cjk and weight > 0) else weight  # a light province character stays light
        if stroke and th >= 24:
            gm = cv2.dilate(gm, wk) if stroke > 0 else cv2.erode(gm, wk)
        elif stroke and th >= 12:  # small plates: thicken/thin by re-weighting the antialiased ink
            gm = as_u8(np.clip(gm.astype(np.float32) * (1.5 if stroke > 0 else 0.75), 0, 255))
        mask = gm.astype(np.float32) / 255.0
        mask = np.clip(mask * stroke_gain, 0, 1)[:, :, None]
        x0 = max(0, round((bx + (bw - gw) / 2 + rng.uniform(-2, 2)) * scale))
        y0 = max(0, round((by + rng.uniform(-2, 2)) * scale))
        col = red if (spec.color == "white" and (ch == "警" or (i < 2 and rng.random() < 0.0))) else text_rgb
        roi = img[y0 : y0 + th, x0 : x0 + tw]
        mh, mw = roi.shape[:2]
        roi[:] = roi * (1 - mask[:mh, :mw]) + np.array(col, np.float32) * mask[:mh, :mw]
    out = as_u8(cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    return out, corners


# ----------------------------------------------------------------------------------------------
# scenes and augmentation


def random_background(rng: random.Random, h: int, w: int) -> U8:
    """Cheap clutter: gradients, blobs, rectangles, lines and noise in car/road colours."""
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    base = nrng.integers(0, 256, 3).astype(np.float32)
    base2 = nrng.integers(0, 256, 3).astype(np.float32)
    t = np.linspace(0, 1, w if rng.random() < 0.5 else h, dtype=np.float32)
    grad = base[None, :] * (1 - t[:, None]) + base2[None, :] * t[:, None]
    grad = grad.astype(np.uint8)
    img = np.broadcast_to(grad[None, :, :], (h, w, 3)) if len(t) == w else np.broadcast_to(grad[:, None, :], (h, w, 3))
    img = np.ascontiguousarray(img).astype(np.uint8)
    for _ in range(rng.randint(2, 12)):
        col = nrng.integers(0, 256, 3).tolist()
        kind = rng.random()
        x1, y1 = rng.randrange(w), rng.randrange(h)
        x2, y2 = rng.randrange(w), rng.randrange(h)
        if kind < 0.4:
            cv2.rectangle(img, (x1, y1), (x2, y2), col, -1 if rng.random() < 0.6 else rng.randint(1, 4))
        elif kind < 0.7:
            cv2.line(img, (x1, y1), (x2, y2), col, rng.randint(1, 6))
        elif kind < 0.9:
            cv2.circle(img, (x1, y1), rng.randint(2, max(3, min(h, w) // 3)), col, -1)
        else:
            cv2.putText(
                img,
                "".join(rng.choice(LETTERS + DIGITS) for _ in range(rng.randint(1, 6))),
                (x1, y1),
                cv2.FONT_HERSHEY_SIMPLEX,
                rng.uniform(0.4, 2.0),
                col,
                rng.randint(1, 3),
            )
    noise = np.empty(img.shape, np.int16)
    cv2.setRNGSeed(rng.randrange(1 << 30))  # cv2.randn is much faster than numpy's normal
    cv2.randn(noise, 0, rng.uniform(2, 20))  # type: ignore[call-overload]  # scalars: the stubs lack them
    return as_u8(np.clip(img.astype(np.int16) + noise, 0, 255))


def photometric(img: U8, rng: random.Random) -> U8:
    """Lighting, night/backlight, dirt, glare, blur, noise and JPEG artefacts."""
    h, w = img.shape[:2]
    mode = rng.random()
    gain = 1.0
    if mode < 0.12:  # night: dark scene
        gain = rng.uniform(0.3, 0.6)
    elif mode < 0.22:  # over exposure / headlights
        gain = rng.uniform(1.3, 2.2)
    contrast = rng.uniform(0.7, 1.3)
    offset = 128 - 128 * contrast + rng.uniform(-40, 30)
    chan = np.array([rng.uniform(0.8, 1.2) for _ in range(3)], np.float32)
    f = img.astype(np.float32) * (gain * contrast * chan) + offset * chan
    if rng.random() < 0.4:  # shadow / light gradient
        ax = rng.choice((0, 1))
        t = np.linspace(rng.uniform(0.4, 1.2), rng.uniform(0.4, 1.2), (w, h)[ax], dtype=np.float32)
        f *= t[None, :, None] if ax == 0 else t[:, None, None]
    out = np.clip(f, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:  # dirt / mud spots
        for _ in range(rng.randint(1, 8)):
            ax_ = (rng.randint(1, max(2, w // 12)), rng.randint(1, max(2, h // 6)))
            cx, cy = rng.randrange(w), rng.randrange(h)
            rad = max(ax_) + 4
            x0, y0, x1, y1 = max(0, cx - rad), max(0, cy - rad), min(w, cx + rad), min(h, cy + rad)
            if x1 <= x0 or y1 <= y0:
                continue
            m = np.zeros((y1 - y0, x1 - x0), np.float32)
            cv2.ellipse(m, (cx - x0, cy - y0), ax_, rng.uniform(0, 180), 0, 360, 1.0, -1)
            m = cv2.GaussianBlur(m, (0, 0), max(0.5, min(ax_) / 2)) * rng.uniform(0.3, 0.8)
            roi = out[y0:y1, x0:x1].astype(np.float32)
            out[y0:y1, x0:x1] = (roi * (1 - m[:, :, None]) + rng.uniform(30, 120) * m[:, :, None]).astype(np.uint8)
    if rng.random() < 0.15:  # glare / reflection: a soft bright blob
        m = np.zeros((h, w), np.float32)
        cv2.ellipse(
            m,
            (rng.randrange(w), rng.randrange(h)),
            (rng.randint(2, max(3, w // 4)), rng.randint(2, max(3, h // 2))),
            rng.uniform(0, 180),
            0,
            360,
            1.0,
            -1,
        )
        m = cv2.GaussianBlur(m, (0, 0), max(1.0, min(h, w) / 8)) * rng.uniform(0.4, 0.9)
        out = np.clip(out * (1 - m[:, :, None]) + 255 * m[:, :, None], 0, 255).astype(np.uint8)
    lut = (255.0 * (np.arange(256) / 255.0) ** rng.uniform(0.6, 1.6)).astype(np.uint8)
    out = as_u8(cv2.LUT(out, lut))
    r = rng.random()
    if r < 0.35:
        out = as_u8(cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.6)))
    elif r < 0.5:
        k = rng.randint(3, 7)
        kern0 = np.zeros((k, k), np.float32)
        kern0[k // 2, :] = 1.0 / k
        rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1.0)
        kern = as_f32(cv2.warpAffine(kern0, rot, (k, k)))
        kern /= max(float(kern.sum()), 1e-6)
        out = as_u8(cv2.filter2D(out, -1, kern))
    if rng.random() < 0.6:
        noise = np.empty(out.shape, np.int16)
        cv2.setRNGSeed(rng.randrange(1 << 30))
        cv2.randn(noise, 0, rng.uniform(1, 12))  # type: ignore[call-overload]  # as above
        out = np.clip(out.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(15, 90)])
        if ok:
            out = as_u8(cv2.imdecode(enc, cv2.IMREAD_COLOR))
    return as_u8(out)


def place_plate(
    plate: U8,
    corners: F32,
    canvas: U8,
    rng: random.Random,
    plate_width: float,
    center: tuple[float, float],
    max_angle: float = 12.0,
    max_persp: float = 0.12,
) -> F32:
    """Paste ``plate`` into ``canvas`` (in place) with rotation/perspective; return image corners."""
    ph, pw = plate.shape[:2]
    s = plate_width / pw
    w2, h2 = pw * s / 2, ph * s / 2
    base = np.array([[-w2, -h2], [w2, -h2], [w2, h2], [-w2, h2]], np.float32)
    # perspective: shrink one side
    p = rng.uniform(-max_persp, max_persp)
    q = rng.uniform(-max_persp, max_persp)
    base[:, 1] *= np.array([1 - p, 1 + p, 1 + p, 1 - p], np.float32)
    base[:, 0] *= np.array([1 - q, 1 - q, 1 + q, 1 + q], np.float32)
    shear = rng.uniform(-0.15, 0.15)
    base[:, 0] += base[:, 1] * shear
    a = np.deg2rad(rng.uniform(-max_angle, max_angle))
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    dst = (base @ rot.T + np.array(center, np.float32)).astype(np.float32)
    m = cv2.getPerspectiveTransform(corners, dst)
    ch, cw = canvas.shape[:2]
    warped = cv2.warpPerspective(plate, m, (cw, ch), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full(plate.shape[:2], 255, np.uint8), m, (cw, ch))
    # slightly rounded edges: soften the mask
    mk = cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32)[:, :, None] / 255.0
    canvas[:] = (canvas * (1 - mk) + warped * mk).astype(np.uint8)
    return dst


def random_spec(rng: random.Random) -> PlateSpec:
    # blue plates are by far the most common on the road; every layout keeps a fair share
    r = rng.random()
    if r < 0.52:
        color, double = "blue", False
    elif r < 0.64:
        color, double = "yellow", False
    elif r < 0.72:
        color, double = "yellow", True
    elif r < 0.84:
        color, double = "green", False
    elif r < 0.89:
        color, double = "yellow_green", False
    elif r < 0.95:
        color, double = "white", False
    else:
        color, double = "black", False
    return PlateSpec(random_plate_text(rng, color, double), color, double)


def render_scene(
    specs: list[PlateSpec],
    rng: random.Random,
    size: tuple[int, int] = (960, 1280),
    plate_widths: list[float] | None = None,
    augment: bool = True,
    max_angle: float = 10.0,
) -> tuple[U8, list[F32]]:
    """A photo-like scene with the given plates side by side (for tests and demos)."""
    h, w = size
    canvas = random_background(rng, h, w)
    out: list[F32] = []
    n = len(specs)
    for i, spec in enumerate(specs):
        pw = (plate_widths or [])[i] if plate_widths else rng.uniform(0.12, 0.3) * w
        plate, corners = render_plate(spec, rng, scale=max(1.0, pw / 440))
        cx = (i + 0.5) * w / n
        cy = rng.uniform(0.35, 0.65) * h
        out.append(place_plate(plate, corners, canvas, rng, pw, (cx, cy), max_angle=max_angle, max_persp=0.06))
    if augment:
        canvas = photometric(canvas, rng)
    return canvas, out

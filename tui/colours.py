"""Colour rules, derived from the active theme: code tints, code inks, entity colours.

A code's colour (``#rrggbb``, chosen by the user or from the palette) is never
drawn as it is: behind text it becomes a *tint*, the colour blended into the
theme's reading background, as strong as it can be while the theme's text and
every entity colour keep at least :data:`MIN_CONTRAST` (WCAG's 4.5:1) on it;
as text (the reader's gutter) it becomes an *ink*, lightened on dark themes
and darkened on light ones until it reads on the background.

Entity types keep their hues (orange people, blue organisations, …), made
light on dark themes and dark on light ones, readable on the background and
on every tint.

Terminals with 16 colours (``TERM=linux``) would turn close tints into one
grey: there a tint is one of the six ANSI hues (dark ones on dark themes,
bright ones on light themes), chosen by the code colour's hue, so the first
six palette colours stay six different colours.

Coders have colours of their own (the reader's gutter marks whose codings
are whose): eight hues far apart (:data:`CODER_HUES`), each made readable on
the background as an ink is; on 16 colours, six ANSI hues, one per coder.

One module for these rules: the reader's view, the gutter and the entity
styles (tui/entities/styles.py) call it; nothing else blends colours.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.color import ColorSystem
from rich.terminal_theme import TerminalTheme
from textual.color import Color
from textual.theme import Theme

MIN_CONTRAST = 4.5
# Aim a little higher: terminals round to 8 bits, some to 256 colours.
_TARGET = 4.7
# Entities aim higher still against the plain background, so that tints
# keep some strength under them.
_ENTITY_TARGET = 6.0
WHITE = Color(255, 255, 255)
BLACK = Color(0, 0, 0)

# The hue of each entity type, as drawn on a dark background (the light
# themes darken them): none is the hue of the palette's first code colours.
ENTITY_HUES: dict[str, str] = {
    "PERSON": "#ffa657",   # orange
    "NORP": "#e3c26c",     # amber
    "ORG": "#79c0ff",      # sky blue
    "GPE": "#7ee787",      # green
    "LOC": "#56d4c5",      # teal
    "DATE": "#d2a8ff",     # lavender
    "MONEY": "#ff7b9c",    # pink
    "PERCENT": "#f778ba",  # magenta
}
OTHER_HUE = "#a5b3c2"  # every other OntoNotes type: muted blue-grey

# Rich's 16-colour palette numbers of the six hues, by hue sector (degrees):
# red, yellow (orange and brown too: the Linux console's colour 3 is brown),
# green, cyan, blue, magenta.
_ANSI_HUES = ((20, 1), (75, 3), (165, 2), (200, 6), (270, 4), (330, 5), (360, 1))
# Coders' hues, chosen (from Tableau's and D3's palettes) to stay furthest
# apart once made readable on every built-in theme's background: the first
# six far apart, all eight apart (tests/test_colours.py measures it); after
# eight coders the hues come round again.
CODER_HUES = ("#76b7b2", "#9467bd", "#ff7f0e", "#ff9da7",
              "#00a2ff", "#2ca02c", "#bcbd22", "#9c755f")
# On 16 colours: blue, yellow, green, red, magenta, cyan (Rich's numbers;
# bright ones on dark themes), six coders six colours.
_SIXTEEN_CODERS = (4, 3, 2, 1, 5, 6)
_SIXTEEN = frozenset({"standard", "windows", ColorSystem.STANDARD, ColorSystem.WINDOWS})


_LINEAR = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
           for c in (value / 255 for value in range(256))]
# The lightness of the shades a tint may take when the colour itself does not
# leave the text readable (HLS, the colour's hue and saturation kept).
_SHADE_LEVELS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)


def luminance(colour: Color) -> float:
    """WCAG 2 relative luminance of an opaque colour."""
    return 0.2126 * _LINEAR[colour.r] + 0.7152 * _LINEAR[colour.g] + 0.0722 * _LINEAR[colour.b]


def _worst_contrast(tint: float, texts: list[float]) -> float:
    """The lowest contrast of a luminance with any of ``texts`` (sorted)."""
    return min((max(tint, text) + 0.05) / (min(tint, text) + 0.05) for text in texts)


def contrast(a: Color, b: Color) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 to 21."""
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _readable(colour: Color, against: Sequence[Color], target: float, towards: Color) -> Color:
    """``colour`` made lighter (``towards`` white) or darker (black), hue and
    saturation kept, just far enough to have ``target`` contrast with each
    of ``against``."""
    hue, lightness, saturation = colorsys.rgb_to_hls(colour.r / 255, colour.g / 255, colour.b / 255)
    goal = 1.0 if towards == WHITE else 0.0
    for step in range(41):
        candidate = colour if step == 0 else _hls(hue, lightness + (goal - lightness) * step / 40,
                                                  saturation)
        if min(contrast(candidate, other) for other in against) >= target:
            return candidate
    return towards


@dataclass
class ThemeColours:
    """The colours margin derives from one theme."""

    name: str
    dark: bool
    background: Color  # the reading background ($surface)
    foreground: Color  # the text ($foreground)
    entities: dict[str, Color]
    other_entity: Color
    _tints: dict[tuple[tuple[str, ...], bool], Color] = field(default_factory=dict, repr=False)
    _inks: dict[str, Color] = field(default_factory=dict, repr=False)
    _coder_inks: dict[tuple[int, bool], Color] = field(default_factory=dict, repr=False)
    _heat: dict[int, tuple[Color, Color]] = field(default_factory=dict, repr=False)

    def entity(self, label: str) -> Color:
        return self.entities.get(label, self.other_entity)

    @property
    def texts(self) -> list[Color]:
        """Every colour text is drawn in over a tint."""
        return [self.foreground, *self.entities.values(), self.other_entity]

    def code_tint(self, colours: Sequence[str], sixteen: bool = False) -> Color:
        """The background of a passage coded with ``colours`` (``#rrggbb``);
        ``sixteen``: for a terminal of 16 colours."""
        key = (tuple(colours), sixteen)
        tint = self._tints.get(key)
        if tint is None:
            tint = self._tints[key] = (_sixteen_colour_tint(_mix(colours), self.dark) if sixteen
                                       else self._blend(_mix(colours), len(colours)))
        return tint

    def _blend(self, mixed: Color, count: int) -> Color:
        """The most visible tint of ``mixed``'s hue that every text colour
        reads on: the colour itself, or a lighter or darker shade of it,
        blended into the background at most 0.42 strong (0.55 where codings
        overlap)."""
        texts = sorted(luminance(text) for text in self.texts)
        background = self.background
        hue, _, saturation = colorsys.rgb_to_hls(mixed.r / 255, mixed.g / 255, mixed.b / 255)
        shades = [mixed] + [_hls(hue, level, saturation) for level in _SHADE_LEVELS]
        # Very dark and very pale shades are not loud even when strong: they
        # may go further into the background (where the theme's own text
        # barely reads on it, the only tints left are such shades).
        cap = 0.42 if count == 1 else 0.55
        plain = background.blend(mixed, cap)
        if _worst_contrast(luminance(plain), texts) >= _TARGET:
            return plain  # the colour as it is, where the theme allows it
        best, best_distance = background, -1.0
        for shade, level in zip(shades, (None, *_SHADE_LEVELS), strict=True):
            strength = cap if level is None or 0.2 < level < 0.9 else 0.9
            while strength > 0.01:
                tint = Color(*(round(b + (c - b) * strength) for b, c in
                               zip(background.rgb, shade.rgb, strict=True)))
                if _worst_contrast(luminance(tint), texts) >= _TARGET:
                    distance = _visibility(tint, background)
                    if distance > best_distance:
                        best, best_distance = tint, distance
                    break
                strength -= 0.02
        return best

    def code_ink(self, colour: str) -> Color:
        """A code's colour as text on the background (the gutter's marks and names)."""
        ink = self._inks.get(colour)
        if ink is None:
            ink = self._inks[colour] = _readable(
                _parse(colour), [self.background], _TARGET, WHITE if self.dark else BLACK)
        return ink


    def coder_ink(self, index: int, sixteen: bool = False) -> Color:
        """The colour of the ``index``-th coder (0 for the first) as text on
        the background; ``sixteen``: for a terminal of 16 colours."""
        key = (index, sixteen)
        ink = self._coder_inks.get(key)
        if ink is None:
            if sixteen:
                from rich._palettes import STANDARD_PALETTE

                number = _SIXTEEN_CODERS[index % len(_SIXTEEN_CODERS)] + (8 if self.dark else 0)
                ink = Color(*STANDARD_PALETTE[number])
            else:
                ink = _readable(_parse(CODER_HUES[index % len(CODER_HUES)]), [self.background],
                                _TARGET, WHITE if self.dark else BLACK)
            self._coder_inks[key] = ink
        return ink
    def heat(self, fraction: float) -> tuple[Color, Color]:
        """(background, text) of a heat-map cell whose count is ``fraction``
        (0–1) of the table's largest: the background blended from the
        theme's towards :data:`HEAT_HUE`, stronger as the count grows; the
        text the theme's where it reads (:data:`MIN_CONTRAST`), else black or
        white."""
        step = max(0, min(HEAT_STEPS, round(fraction * HEAT_STEPS)))
        cached = self._heat.get(step)
        if cached is None:
            background = self.background.blend(_parse(HEAT_HUE), 0.12 + 0.68 * step / HEAT_STEPS)
            text = self.foreground
            if contrast(text, background) < MIN_CONTRAST:
                text = max((WHITE, BLACK), key=lambda ink: contrast(ink, background))
            cached = self._heat[step] = (background, text)
        return cached


#: The hue of a heat map's cells (a warm orange, like the charts of most
#: QDA tools), blended into the theme's background by count.
HEAT_HUE = "#f0883e"
HEAT_STEPS = 8


def _hls(hue: float, lightness: float, saturation: float) -> Color:
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return Color(round(r * 255), round(g * 255), round(b * 255))


def _distance(a: Color, b: Color) -> float:
    """How far apart two colours look (a weighted RGB distance)."""
    mean_red = (a.r + b.r) / 2
    dr, dg, db = a.r - b.r, a.g - b.g, a.b - b.b
    return ((2 + mean_red / 256) * dr * dr + 4 * dg * dg + (2 + (255 - mean_red) / 256) * db * db) ** 0.5


def _visibility(tint: Color, background: Color) -> float:
    """How well a tint shows its code: its colourfulness (what tells two
    codes apart), then its distance from the background."""
    return (max(tint.rgb) - min(tint.rgb)) + 0.25 * _distance(tint, background) / 3


def _parse(colour: str) -> Color:
    try:
        return Color.parse(colour).with_alpha(1)
    except Exception:  # a colour from an old or foreign database
        return Color(128, 128, 128)


def _mix(colours: Sequence[str]) -> Color:
    parsed = [_parse(colour) for colour in colours] or [Color(128, 128, 128)]
    mixed = parsed[0]
    for count, colour in enumerate(parsed[1:], start=2):
        mixed = mixed.blend(colour, 1 / count)
    return mixed


def _sixteen_colour_tint(colour: Color, dark: bool) -> Color:
    """One of the six ANSI hues (as Rich's 16-colour palette has it, so that
    the downgrade to 16 colours gives exactly that colour): dark ones behind
    light text, bright ones behind dark text; grey for a colour without hue."""
    from rich._palettes import STANDARD_PALETTE

    hue, lightness, saturation = colorsys.rgb_to_hls(colour.r / 255, colour.g / 255, colour.b / 255)
    if saturation < 0.15 or lightness < 0.08 or lightness > 0.95:
        number = 8 if dark else 7
    else:
        degrees = hue * 360
        number = next(ansi for limit, ansi in _ANSI_HUES if degrees < limit)
        if not dark:
            number += 8
    r, g, b = STANDARD_PALETTE[number]
    return Color(r, g, b)


def is_sixteen_colours(color_system: object) -> bool:
    """True for Rich's 16-colour systems ("standard", "windows")."""
    return color_system in _SIXTEEN


def _solid(value: str | None, fallback: tuple[int, int, int]) -> Color:
    """A theme's colour, or the terminal theme's for "ansi_default",
    "transparent" or none."""
    if value:
        try:
            colour = Color.parse(value)
        except Exception:
            colour = None
        if colour is not None and colour.ansi is None and colour.a == 1:
            return colour
    return Color(*fallback)


_CACHE: dict[tuple[str, bool, tuple], ThemeColours] = {}


def theme_colours(theme: Theme, ansi_theme: TerminalTheme | None = None) -> ThemeColours:
    """The colours of ``theme``. ``ansi_theme``: how the terminal draws ANSI
    colours (for the themes made of them, such as ``ansi-dark``); Textual's
    defaults if not given."""
    if ansi_theme is None:
        from textual._ansi_theme import ALABASTER, MONOKAI

        ansi_theme = MONOKAI if theme.dark else ALABASTER
    key = (theme.name, theme.dark, tuple(ansi_theme.background_color)
           + tuple(ansi_theme.foreground_color))
    colours = _CACHE.get(key)
    if colours is None:
        variables = theme.to_color_system().generate()
        background = _solid(variables.get("surface"), tuple(ansi_theme.background_color))
        if background.a < 1 or variables.get("surface") in (None, "transparent"):
            background = _solid(variables.get("background"), tuple(ansi_theme.background_color))
        foreground = _solid(variables.get("foreground"), tuple(ansi_theme.foreground_color))
        towards = WHITE if theme.dark else BLACK
        # Readable on the reading background and the app's own.
        grounds = [background, _solid(variables.get("background"),
                                      tuple(ansi_theme.background_color))]
        entities = {label: _readable(Color.parse(hue), grounds, _ENTITY_TARGET, towards)
                    for label, hue in ENTITY_HUES.items()}
        other = _readable(Color.parse(OTHER_HUE), grounds, _ENTITY_TARGET, towards)
        colours = _CACHE[key] = ThemeColours(theme.name, theme.dark, background, foreground,
                                             entities, other)
    return colours


def active_colours() -> ThemeColours:
    """The colours of the running app's theme (textual-dark's outside an app)."""
    from textual._context import active_app

    try:
        app = active_app.get()
    except LookupError:
        from textual.theme import BUILTIN_THEMES

        return theme_colours(BUILTIN_THEMES["textual-dark"])
    return theme_colours(app.current_theme, app.ansi_theme)


def active_colour_system() -> str | None:
    """The running app's colour system ("truecolor", "256", "standard"…)."""
    from textual._context import active_app

    try:
        return active_app.get().console.color_system
    except LookupError:
        return None


# Agreement figures (κ, α) by band, after Krippendorff: at least .800 is
# reliable, at least .667 allows tentative conclusions, below that it is not
# reliable. The hues are drawn as inks (readable on the theme's background).
AGREEMENT_BANDS: tuple[tuple[float, str], ...] = (
    (0.8, "#7ee787"),    # green
    (0.667, "#e3c26c"),  # amber
    (float("-inf"), "#ff7b72"),  # red
)


def agreement_ink(value: float | None) -> Color | None:
    """The colour of an agreement figure in the active theme (None when the
    figure is undefined: drawn dim instead)."""
    if value is None:
        return None
    hue = next(hue for limit, hue in AGREEMENT_BANDS if value >= limit)
    return active_colours().code_ink(hue)

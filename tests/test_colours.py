"""Colours derive from the active theme: text keeps 4.5:1 contrast on every
code tint in every built-in theme, entity types get colours per theme, and a
16-colour terminal still tells the first codes apart."""

from __future__ import annotations

import itertools

import pytest
from helpers import make_demo_project
from rich.color import ColorSystem
from textual.color import Color
from textual.theme import BUILTIN_THEMES

from margin.store.codes import PALETTE
from margin.tui.app import MarginApp
from margin.tui.colours import MIN_CONTRAST, contrast, theme_colours
from margin.tui.entities.styles import entity_style
from margin.tui.reader.view import ReaderView

SIZE = (120, 36)
# Every single code colour of the palette, and the overlaps of the first six.
COMBINATIONS = [(colour,) for colour in PALETTE] + list(itertools.combinations(PALETTE[:6], 2))


def _figures(name: str) -> dict[str, float]:
    colours = theme_colours(BUILTIN_THEMES[name])
    entity_colours = [colours.entity(label) for label in (*colours.entities, "EVENT")]
    tints = [colours.code_tint(combination) for combination in COMBINATIONS]
    return {
        "text on tints": min(contrast(colours.foreground, tint) for tint in tints),
        "entities on tints": min(contrast(e, tint) for e in entity_colours for tint in tints),
        "entities on background": min(contrast(e, colours.background) for e in entity_colours),
        "code names on background": min(contrast(colours.code_ink(c), colours.background)
                                        for c in PALETTE),
    }


@pytest.mark.parametrize("name", sorted(BUILTIN_THEMES))
def test_text_and_entities_keep_4_5_to_1_on_every_code_tint(name):
    figures = _figures(name)
    assert min(figures.values()) >= MIN_CONTRAST, figures


@pytest.mark.parametrize("name", sorted(BUILTIN_THEMES))
def test_code_tints_stay_visible_and_different(name):
    colours = theme_colours(BUILTIN_THEMES[name])
    tints = [colours.code_tint((colour,)) for colour in PALETTE[:6]]
    assert colours.background not in tints
    assert len(set(tints)) == 6


def test_entity_colours_are_dark_on_light_themes_and_light_on_dark_ones():
    light = theme_colours(BUILTIN_THEMES["textual-light"])
    dark = theme_colours(BUILTIN_THEMES["textual-dark"])
    for label in ("PERSON", "ORG", "GPE"):
        assert contrast(light.entity(label), Color(0, 0, 0)) < contrast(dark.entity(label),
                                                                        Color(0, 0, 0))
    assert len({light.entity(label) for label in light.entities}) == len(light.entities)


@pytest.mark.parametrize("name", ["textual-dark", "textual-light", "nord", "solarized-light"])
def test_a_16_colour_terminal_gets_a_different_colour_for_each_of_the_first_six_codes(name):
    colours = theme_colours(BUILTIN_THEMES[name])
    downgraded = [colours.code_tint((colour,), sixteen=True).rich_color
                  .downgrade(ColorSystem.STANDARD).number for colour in PALETTE[:6]]
    background = colours.background.rich_color.downgrade(ColorSystem.STANDARD).number
    assert len(set(downgraded)) == 6, downgraded
    assert background not in downgraded
    # Without the 16-colour rule two of them were one grey.
    truecolour = {colours.code_tint((colour,)).rich_color.downgrade(ColorSystem.STANDARD).number
                  for colour in PALETTE[:6]}
    assert len(truecolour) < 6


def _drawn_pairs(view: ReaderView, needle: str) -> list[tuple[Color, Color]]:
    """(text colour, background) of each piece of ``needle`` as drawn."""
    pairs = []
    for y in range(view.size.height):
        strip = view.render_line(y)
        index = strip.text.find(needle)
        if index < 0:
            continue
        position = 0
        for segment in strip:
            end = position + len(segment.text)
            if end > index and position < index + len(needle):
                style = segment.style
                pairs.append((Color.from_rich_color(style.color),
                              Color.from_rich_color(style.bgcolor)))
            position = end
    return pairs


async def test_in_a_light_theme_coded_text_and_entities_read_on_their_tints(tmp_path):
    """In textual-light, text on a code tint measured 1.02:1 (tints and entity
    colours made for dark backgrounds)."""
    project = make_demo_project(tmp_path / "demo.db")
    app = MarginApp(project, "ada")
    app.theme = "textual-light"
    async with app.run_test(size=SIZE) as pilot:
        app.open_document(1)
        await pilot.pause(0.3)
        view = app.screen.query_one(ReaderView)
        for needle in ("National security adviser Jake Sullivan", "The Kremlin said"):
            pairs = _drawn_pairs(view, needle)
            assert pairs and all(bg != view.styles.background for _, bg in pairs)
            worst = min(contrast(fg, bg) for fg, bg in pairs)
            assert worst >= MIN_CONTRAST, (needle, worst)
        # Entities are drawn in the light theme's colours.
        person = entity_style("PERSON")
        assert Color.from_rich_color(person.color) == theme_colours(
            BUILTIN_THEMES["textual-light"]).entity("PERSON")

        # Switching the theme redraws the tints in the new theme's colours.
        before = _drawn_pairs(view, "The Kremlin said")
        app.theme = "textual-dark"
        await pilot.pause(0.3)
        after = _drawn_pairs(view, "The Kremlin said")
        assert {bg for _, bg in after}.isdisjoint({bg for _, bg in before})
        assert min(contrast(fg, bg) for fg, bg in after) >= MIN_CONTRAST
        # The entity legend too (it kept the light theme's dark colours).
        legend = app.screen.query_one("#entity-legend")
        colours = {Color.from_rich_color(segment.style.color)
                   for segment in legend.render_line(0) if "PERSON" in segment.text}
        assert colours == {theme_colours(BUILTIN_THEMES["textual-dark"]).entity("PERSON")}


def test_contrast_figures_per_theme(capsys):
    """Not a check: prints the figures (pytest -s) reported with the change."""
    with capsys.disabled():
        print()
        for name in sorted(BUILTIN_THEMES):
            figures = _figures(name)
            print(f"{name:22}" + "  ".join(f"{key} {value:5.2f}" for key, value in figures.items()))

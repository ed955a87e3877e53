"""The config file: every problem listed once, defaults used, nothing raised;
the theme read at start-up and saved when chosen in the app; [keys] checked
against the real bindings (ids, key names, clashes)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import string
import subprocess
import sys
from pathlib import Path

from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from margin.store.config import Config, check_code_template, load_config, save_setting
from margin.store.entities.storage import code_path_for
from margin.store.errors import StoreError
from margin.store.util import TemplateError, fill_template
from margin.tui.app import MarginApp
from margin.tui.config_check import check_keymap
from margin.tui.keybar import KeyBar

SIZE = (120, 36)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------ loading


def test_every_problem_is_listed_and_each_bad_value_falls_back_to_its_default(tmp_path):
    config = load_config(write(tmp_path / "config.toml", """
coder = 3
citation_style = "chicago"
colour = "red"
theme = "textual-light"

[entities]
backend = "gpu"
code_template = "{name}{label.x}"
threshold = 2

[keys]
"reader.code" = 5
"library.sort" = "o"
"""))
    assert (config.coder, config.citation_style, config.entity_backend,
            config.entity_code_template) == (None, "plain", "auto", "{label} > {name}")
    assert config.theme == "textual-light" and config.keys == {"library.sort": "o"}
    problems = "\n".join(config.problems)
    assert len(config.problems) == 7, problems
    for expected in ('coder must be a string, not 3', 'citation_style must be one of plain, '
                     'markdown, apa, not "chicago"', 'unknown key "colour"',
                     '[entities] backend must be one of auto, rules, spacy, not "gpu"',
                     '{label.x}', 'unknown key "threshold" in [entities]',
                     '[keys] "reader.code" must be keys'):
        assert expected in problems


def test_a_file_that_is_not_toml_is_one_problem_and_the_defaults(tmp_path):
    config = load_config(write(tmp_path / "config.toml", 'coder = "Ada\n[keys'))
    assert config.coder is None and not config.readable
    assert len(config.problems) == 1 and "not valid TOML" in config.problems[0]


def test_a_new_setting_is_read_checked_and_known_without_code_of_its_own(tmp_path, monkeypatch):
    """Validation is generic over Config's fields: a setting added there (as
    the reader's measure) is read, type-checked and not "unknown"."""
    import dataclasses

    import margin.store.config as config_module

    extended = dataclasses.make_dataclass(
        "Config", [("measure", "int", config_module.setting(88))], bases=(Config,))
    monkeypatch.setattr(config_module, "Config", extended)
    assert load_config(write(tmp_path / "a.toml", "measure = 72\n")).measure == 72
    config = load_config(write(tmp_path / "b.toml", 'measure = "wide"\n'))
    assert config.measure == 88
    assert config.problems == ['measure must be a whole number, not "wide"; default 88 used']


# A TOML document built from random keys and values: the known keys, typos,
# tables and values of every TOML type.
_keys = st.sampled_from(["coder", "citation_style", "theme", "entities", "keys", "backend",
                         "code_template", "reader.code", "measure", "x"]) | st.text(
    alphabet=string.ascii_letters + "._-", min_size=1, max_size=8)
_scalars = (st.text(max_size=30) | st.integers() | st.floats(allow_nan=False)
            | st.booleans() | st.sampled_from(["{name}", "{label} > {name}", "{name}{label.x}",
                                               "{name:>999999999}", "{0}", "{", "}", "{name!r}"]))
_values = st.recursive(_scalars, lambda children: st.lists(children, max_size=3)
                       | st.dictionaries(_keys, children, max_size=4), max_leaves=8)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value).replace("inf", "inf")
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.dictionaries(_keys, _values, max_size=6))
def test_no_config_file_raises_or_keeps_a_bad_value(tmp_path, document):
    path = tmp_path / "fuzz.toml"
    path.write_text("\n".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in document.items()),
                    encoding="utf-8")
    config = load_config(path)
    assert config.citation_style in ("plain", "markdown", "apa")
    assert config.entity_backend in ("auto", "rules", "spacy")
    assert config.coder is None or isinstance(config.coder, str)
    assert config.theme is None or isinstance(config.theme, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in config.keys.items())
    # The template kept can always be filled.
    assert code_path_for(config.entity_code_template, "PERSON", "Ada")
    assert all(isinstance(problem, str) and "\n" not in problem for problem in config.problems)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.text(max_size=200) | st.binary(max_size=200))
def test_no_file_content_at_all_raises(tmp_path, raw):
    path = tmp_path / "raw.toml"
    (path.write_bytes if isinstance(raw, bytes) else path.write_text)(raw)
    load_config(path)


@settings(max_examples=500, deadline=None)
@given(template=st.text(alphabet=st.sampled_from(list("{}[]!:.>0 abelmnx_")), max_size=24)
       | st.text(max_size=24), name=st.text(max_size=12))
def test_a_code_template_is_filled_or_refused_with_a_store_error(template, name):
    try:
        check_code_template(template)
    except StoreError:
        pass
    else:
        assert code_path_for(template, "PERSON", name or "x")
    with contextlib.suppress(StoreError):
        code_path_for(template, "ORG", name)
    with contextlib.suppress(TemplateError):
        fill_template(template, label="L", name=name)


def test_the_template_that_crashed_margin_is_refused_in_one_line():
    try:
        code_path_for("{name}{label.x}", "PERSON", "Ada")
    except StoreError as error:
        assert "{label.x}" in str(error)
    else:
        raise AssertionError("accepted")
    assert fill_template("{label} > {name} {{x}}", label="GPE", name="Kyiv") == "GPE > Kyiv {x}"


# ------------------------------------------------------------ [keys]


def test_unknown_ids_bad_keys_and_clashes_are_refused_and_the_defaults_kept():
    keymap, problems = check_keymap({
        "reader.code": "v",          # v is Select's
        "reader.nope": "x",          # no such binding
        "reader.copy": "ctrl+zz",    # no such key
        "library.sort": "o",         # fine
        "reader.visual": "V",
    })
    # reader.visual moved to V, so v is free for reader.code.
    assert keymap == {"library.sort": "o", "reader.visual": "V", "reader.code": "v"}
    assert len(problems) == 2
    keymap, problems = check_keymap({"reader.code": "v"})
    assert keymap == {}
    assert problems == ["[keys] 'reader.code' = 'v': 'v' is already 'Select' (reader.visual); "
                        "kept 'c'"]


async def test_one_notice_lists_every_config_problem_and_code_stays_on_its_key(tmp_path):
    """`"reader.code" = "v"` used to take v from Select and hide "Code" from
    the key bar; `{label.x}` ended margin with a traceback."""
    config_file = write(tmp_path / "config.toml", """
colour = "red"
[entities]
code_template = "{name}{label.x}"
[keys]
"reader.code" = "v"
"reader.nope" = "x"
""")
    config = load_config(config_file)
    project = make_project(tmp_path / "p.db")
    app = MarginApp(project, "ada", keymap=config.keys, config=config,
                    entity_code_template=config.entity_code_template)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.6)
        notices = list(app._notifications)
        assert len(notices) == 1
        [notice] = notices
        assert notice.title == f"4 config problems in {config_file}"
        for expected in ('unknown key "colour"', "{label.x}", "'reader.nope'",
                         "'v' is already 'Select' (reader.visual); kept 'c'"):
            assert expected in notice.message
        await pilot.press("enter")  # the reader
        await pilot.pause()
        keybar = str(app.screen.query_one(KeyBar).render())
        assert "c Code" in keybar.replace("  ", " ")
        await pilot.press("v", "w", "c")
        await pilot.pause()
        assert type(app.screen).__name__ == "FuzzyPicker"


def test_the_command_line_prints_one_line_per_problem_and_goes_on(tmp_path):
    config_file = write(tmp_path / "config.toml",
                        'colour = 1\n[entities]\nbackend = "gpu"\ncode_template = "{name}{label.x}"\n')
    result = subprocess.run(
        [sys.executable, "-m", "margin.tui.cli", "import", "--db", str(tmp_path / "c.db"),
         "--sample", "--json"],
        capture_output=True, env={**os.environ, "MARGIN_CONFIG": str(config_file)}, timeout=120)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.decode().splitlines() if line.startswith("Warning")]
    assert len(warnings) == 3
    assert all(line.startswith(f"Warning: config {config_file}: ") for line in warnings)
    assert "Traceback" not in result.stderr.decode()


# ------------------------------------------------------------ the theme


async def test_the_config_theme_is_used_at_start_up(tmp_path):
    config = load_config(write(tmp_path / "config.toml", 'theme = "textual-light"\n'))
    app = MarginApp(make_project(tmp_path / "p.db"), "ada", config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "textual-light"
        assert not app._notifications


async def test_an_unknown_theme_is_a_problem_and_the_default_is_kept(tmp_path):
    config = load_config(write(tmp_path / "config.toml", 'theme = "no-such-theme"\n'))
    app = MarginApp(make_project(tmp_path / "p.db"), "ada", config=config)
    default = app.theme
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.6)
        assert app.theme == default
        [notice] = list(app._notifications)
        assert "'no-such-theme' is not a theme here" in notice.message


CONFIG_WITH_COMMENTS = """# my margin settings
coder = "Ada"   # that is me
theme = "nord"  # the one I like

[keys]
# sorting
"library.sort" = "o"
"""


async def test_a_theme_chosen_in_the_app_is_saved_and_the_other_lines_kept(tmp_path):
    config_file = write(tmp_path / "config.toml", CONFIG_WITH_COMMENTS)
    config = load_config(config_file)
    app = MarginApp(make_project(tmp_path / "p.db"), "ada", config=config, keymap=config.keys)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
        app.theme = "textual-light"  # what the palette's "Change theme" does
        await pilot.pause()
    assert config_file.read_text() == CONFIG_WITH_COMMENTS.replace(
        'theme = "nord"  # the one I like', 'theme = "textual-light"  # the one I like')
    # The next start uses it.
    app = MarginApp(make_project(tmp_path / "q.db"), "ada", config=load_config(config_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "textual-light"


def test_saving_the_theme_adds_it_before_the_first_table(tmp_path):
    config_file = write(tmp_path / "config.toml", '# hello\n[keys]\n"library.sort" = "o"\n')
    save_setting(config_file, "theme", "gruvbox")
    assert config_file.read_text() == '# hello\ntheme = "gruvbox"\n\n[keys]\n"library.sort" = "o"\n'
    assert load_config(config_file).theme == "gruvbox"
    missing = tmp_path / "new" / "config.toml"
    save_setting(missing, "theme", "nord")
    assert missing.read_text() == 'theme = "nord"\n'


def test_a_config_file_that_cannot_be_read_is_never_overwritten(tmp_path):
    config_file = write(tmp_path / "config.toml", 'coder = "Ada\n')
    try:
        save_setting(config_file, "theme", "nord")
    except StoreError as error:
        assert "cannot save theme" in str(error)
    else:
        raise AssertionError("saved")
    assert config_file.read_text() == 'coder = "Ada\n'


@functools.cache
def _bindings():
    from margin.tui.config_check import all_bindings

    return all_bindings()


_key_strings = st.text(max_size=12) | st.lists(
    st.sampled_from(["c", "v", "V", "enter", "ctrl+x", "question_mark", "+", "ctrl+", "f5",
                     "escape", "q", " ", "shift+tab", "hyper+k", "j"]),
    min_size=1, max_size=3).map(",".join)


@settings(max_examples=300, deadline=None)
@given(keymap=st.dictionaries(st.sampled_from(["reader.code", "reader.visual", "app.quit",
                                               "library.sort", "codebook.new", "nope"])
                              | st.text(max_size=10), _key_strings, max_size=5))
def test_any_keymap_is_checked_without_raising_and_what_is_kept_applies(keymap):
    from textual.binding import BindingsMap

    bindings = _bindings()
    kept, problems = check_keymap(keymap, bindings)
    assert set(kept) <= set(keymap) and len(problems) == len(keymap) - len(kept)
    for binding_id in kept:
        assert binding_id in bindings
    from margin.tui.reader.view import ReaderView

    for owner in (MarginApp, ReaderView):
        BindingsMap(owner.BINDINGS).apply_keymap(kept)

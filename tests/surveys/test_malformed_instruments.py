"""Broken instrument files are refused with file, path and reason, never a traceback."""

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.errors import InstrumentError
from surveys.loader import INSTRUMENTS_DIR, load_catalogue, load_instrument

CATALOGUE = load_catalogue()
SOURCE = INSTRUMENTS_DIR / "patient_adult"
FILES = {name: yaml.safe_load((SOURCE / name).read_text(encoding="utf-8")) for name in ("instrument.yaml", "da.yaml", "en.yaml")}


def _write(folder: Path, files: dict[str, Any]) -> Path:
    target = folder / "patient_adult"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else yaml.safe_dump(content, allow_unicode=True).encode()
        (target / name).write_bytes(data)
    return target


def _load(tmp_path: Path, files: dict[str, Any]) -> None:
    load_instrument(_write(tmp_path, files), CATALOGUE)


def test_the_unchanged_copy_loads(tmp_path: Path) -> None:
    _load(tmp_path, FILES)


def _mutated(**changes: Any) -> dict[str, Any]:
    files = copy.deepcopy(FILES)
    for name, change in changes.items():
        change(files[name.replace("_", ".", 1) if name.endswith("_yaml") else name])
    return files


def _items(files: dict[str, Any]) -> list[dict[str, Any]]:
    return files["instrument.yaml"]["items"]


CASES = [
    ("unknown measure", lambda f: _items(f).__setitem__(-4, {**_items(f)[-4], "measures": ["belt_short", "unicorn"]}),
     "instrument.yaml", "items[8].measures[1]", "unknown measure code 'unicorn'"),
    ("duplicate item code", lambda f: _items(f).append(dict(_items(f)[0])), "instrument.yaml", "items", "duplicate item code 'background.age_band'"),
    ("skip rule pointing nowhere", lambda f: _items(f)[4].__setitem__("show_if", [{"item": "coercion_never", "any_of": ["yes"]}]),
     "instrument.yaml", "show_if[0]", "points to no item: 'coercion_never'"),
    ("skip rule with an impossible answer", lambda f: _items(f)[4].__setitem__("show_if", [{"item": "coercion_any", "any_of": ["maybe"]}]),
     "instrument.yaml", "show_if[0]", "'maybe' is not an answer"),
    ("missing translation", lambda f: f["en.yaml"]["items"].pop("difficulty"), "en.yaml", "items.difficulty", "missing translation"),
    ("label missing for a value", lambda f: f["da.yaml"]["options"]["gender"].pop("other"), "da.yaml", "options.gender.other", "label missing for value 'other'"),
    ("unknown option set", lambda f: _items(f)[1].__setitem__("options", "genders"), "instrument.yaml", "items[1].options", "unknown option set 'genders'"),
    ("unknown item type", lambda f: _items(f)[1].__setitem__("type", "slider"), "instrument.yaml", "items[1].type", "Invalid enum value 'slider'"),
]


@pytest.mark.parametrize(("name", "change", "file", "path", "reason"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_break_names_file_path_and_reason(tmp_path: Path, name: str, change: Any, file: str, path: str, reason: str) -> None:
    files = copy.deepcopy(FILES)
    wrapped = {"instrument.yaml": files["instrument.yaml"], "da.yaml": files["da.yaml"], "en.yaml": files["en.yaml"]}
    change(wrapped)
    with pytest.raises(InstrumentError) as caught:
        _load(tmp_path, wrapped)
    error = caught.value
    assert error.file.endswith(file) and path in error.path and reason in error.reason, str(error)


def test_a_missing_language_file_is_named(tmp_path: Path) -> None:
    files = copy.deepcopy(FILES)
    del files["en.yaml"]
    with pytest.raises(InstrumentError, match=r"patient_adult/en.yaml: \$: missing translation"):
        _load(tmp_path, files)


# --- property-based: random damage anywhere in the files -----------------------------

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8) | st.sampled_from(["yes", "{measure}", "rating.{measure}", "belt_short", "vas"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def damaged_files(draw: st.DrawFn) -> dict[str, Any]:
    files = copy.deepcopy(FILES)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(files)))
        if draw(st.integers(0, 9)) == 0:
            files[name] = draw(st.binary(max_size=60) | st.sampled_from([b"", b"a: [", b"- - -", b"\xff\xfe", b"x: !!python/object:os.system {}"]))
            continue
        if isinstance(files[name], bytes):
            continue
        path = draw(st.sampled_from(_paths(files[name])))
        if not path:
            files[name] = draw(JUNK)
            continue
        parent = files[name]
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "replace":
            parent[path[-1]] = draw(JUNK)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        else:
            parent[str(path[-1]) + "_copy"] = copy.deepcopy(parent[path[-1]])
    return files


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(files=damaged_files())
def test_random_damage_gives_a_clear_error_or_a_valid_instrument(tmp_path: Path, files: dict[str, Any]) -> None:
    try:
        _load(tmp_path, files)
    except InstrumentError as error:
        assert error.file.startswith("patient_adult/") and error.path and error.reason
        assert str(error).startswith(f"{error.file}: {error.path}: ")

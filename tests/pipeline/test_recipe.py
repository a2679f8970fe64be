"""Recipe loading: strict, versioned, errors that name the key and the choices."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsquared.errors import RecipeError
from lsquared.pipeline import recipe as rc


def test_default_round_trips_through_toml():
    r = rc.Recipe().replace("white_balance", mode="kelvin", kelvin=3200.0, tint=5.0)
    assert rc.loads(r.to_toml()) == r


def test_camera_look_is_off_by_default_and_a_boolean():
    assert rc.Recipe().camera.look is False
    r = rc.loads("[camera]\nlook = true\n")
    assert r.camera.look is True and rc.loads(r.to_toml()) == r
    with pytest.raises(RecipeError, match="must be true or false"):
        rc.loads('[camera]\nlook = "yes"\n')


def test_unknown_key_names_key_and_valid_keys():
    with pytest.raises(RecipeError) as e:
        rc.loads("[exposure]\nevv = 1\n", "r.toml")
    assert "r.toml" in str(e.value) and "evv" in str(e.value) and "valid keys: ev" in str(e.value)


def test_bad_choice_lists_choices():
    with pytest.raises(RecipeError) as e:
        rc.loads('[output]\nspace = "adobe"\n')
    msg = str(e.value)
    assert "[output] space" in msg and "srgb" in msg and "acescg" in msg


def test_unknown_section_wrong_type_out_of_range_and_schema():
    for text, needle in [
        ("[colour]\na = 1\n", "unknown section [colour]"),
        ('[exposure]\nev = "bright"\n', "[exposure] ev: must be a number, got 'bright'"),
        ("[exposure]\nev = 99\n", "out of range"),
        ("schema = 7\n", "version 7"),
        ("[exposure\n", "not valid TOML"),
    ]:
        with pytest.raises(RecipeError, match=None) as e:
            rc.loads(text)
        assert needle in str(e.value)


def test_missing_file_is_a_recipe_error(tmp_path):
    with pytest.raises(RecipeError, match="not found"):
        rc.load(tmp_path / "nope.toml")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_recipe_error(text):
    with contextlib.suppress(RecipeError):
        rc.loads(text)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["exposure", "output", "white_balance", "x"]),
        st.dictionaries(
            st.sampled_from(["ev", "space", "mode", "kelvin", "multipliers", "zz"]),
            st.one_of(
                st.integers(),
                st.floats(allow_nan=False),
                st.text(max_size=8),
                st.lists(st.floats(), max_size=4),
            ),
        ),
    )
)
def test_any_table_builds_or_raises_recipe_error(data):
    with contextlib.suppress(RecipeError):
        rc.from_dict(data)

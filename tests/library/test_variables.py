"""Variables of library messages: which are expanded, how, and what is left alone."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from inspector.library.variables import Expander, VariableError, unknown_variables, uses_counter


def test_each_variable_is_expanded_from_its_source() -> None:
    ex = Expander(env={"TOKEN": "s3cr3t"}, now=lambda: "NOW", new_uuid=lambda: "UUID")
    out = ex.expand("{{uuid}} {{ now }} #{{counter}} {{env:TOKEN}}", 7)
    assert out.text == "UUID NOW #7 s3cr3t"
    assert out.used_counter


def test_the_real_sources_give_a_uuid_and_an_iso_time() -> None:
    out = Expander(env={}).expand("{{uuid}}|{{now}}", 1).text
    first, now = out.split("|")
    assert str(uuid.UUID(first)) == first
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", now)
    assert not Expander(env={}).expand("{{uuid}}", 1).used_counter


def test_each_uuid_is_fresh() -> None:
    out = Expander(env={}).expand("{{uuid}} {{uuid}}", 1).text.split()
    assert out[0] != out[1]


def test_an_unset_environment_variable_is_an_error_naming_it() -> None:
    with pytest.raises(VariableError, match="NOPE is not set"):
        Expander(env={}).expand("token={{env:NOPE}}", 1)


def test_other_braces_are_sent_as_written_and_listed() -> None:
    text = "Hello {{user.name}} {{uudi}} {{uuid}} {{ #each }} {{env:}} {{uudi}}"
    out = Expander(env={}, new_uuid=lambda: "U").expand(text, 1).text
    assert out == "Hello {{user.name}} {{uudi}} U {{ #each }} {{env:}} {{uudi}}"
    assert unknown_variables(text) == ["{{uudi}}", "{{env:}}"]
    assert not uses_counter(text)
    assert uses_counter("n={{ counter }}")


def test_json_string_mode_keeps_json_valid_whatever_the_value() -> None:
    ex = Expander(env={"V": 'a "quoted"\nline\\'})
    text = '{"v": "{{env:V}}", "n": {{counter}}}'
    out = ex.expand(text, 12, json_string=True).text
    assert json.loads(out) == {"v": 'a "quoted"\nline\\', "n": 12}

"""Settings: environment variables, config files, secrets, one clear line for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import enabled_parts, load_settings
from config.wiring import describe_enabled
from core.errors import ConfigError


def test_sections_come_from_nested_environment_variables() -> None:
    settings = load_settings({
        "GCC1111_FACEBOOK__GRAPH_URL": "http://127.0.0.1:9/",
        "GCC1111_FACEBOOK__PAGE_ID": "1111",
        "GCC1111_FACEBOOK__ACCESS_TOKEN": "page-token-value",
        "GCC1111_PANTIP__TAGS": "ร้องเรียน, น้ำท่วม",
        "GCC1111_INSTAGRAM__HASHTAGS": '["แจ้งเหตุ"]',
    })
    assert settings.facebook.graph_url == "http://127.0.0.1:9/"
    assert settings.facebook.enabled
    assert settings.pantip.tags == ["ร้องเรียน", "น้ำท่วม"]
    assert settings.instagram.hashtags == ["แจ้งเหตุ"]


def test_a_platform_without_credentials_is_disabled_and_said_so() -> None:
    settings = load_settings({"GCC1111_FACEBOOK__PAGE_ID": "1111"})  # no token
    assert enabled_parts(settings)["facebook"] is False
    assert "disabled (no credentials or targets): facebook" in describe_enabled(settings)


def test_secrets_never_show_in_repr_or_dumps() -> None:
    settings = load_settings({"GCC1111_TWITTER__BEARER_TOKEN": "AAAA-very-secret"})
    assert "AAAA-very-secret" not in repr(settings)
    assert "AAAA-very-secret" not in settings.model_dump_json()
    assert settings.twitter.bearer_token is not None
    assert settings.twitter.bearer_token.get_secret_value() == "AAAA-very-secret"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GCC1111_DASHBOARD__PORT", "eighty"),
        ("GCC1111_FACEBOOK__API_VERSION", "21"),
        ("GCC1111_LOG_LEVEL", "LOUD"),
    ],
)
def test_an_invalid_value_is_one_line_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: value})
    message = str(caught.value)
    assert message.startswith(f"{variable}:")
    assert "\n" not in message


def test_yaml_and_toml_config_files(tmp_path: Path) -> None:
    yaml_file = tmp_path / "desk.yaml"
    yaml_file.write_text("pantip:\n  rooms: [isan]\ntwitter:\n  query: ร้องเรียน\n", encoding="utf-8")
    toml_file = tmp_path / "desk.toml"
    toml_file.write_text('[pantip]\nrooms = ["siam"]\n', encoding="utf-8")

    from_yaml = load_settings({"GCC1111_CONFIG_FILE": str(yaml_file)})
    from_toml = load_settings({"GCC1111_CONFIG_FILE": str(toml_file), "GCC1111_TWITTER__QUERY": "env wins"})

    assert (from_yaml.pantip.rooms, from_yaml.twitter.query) == (["isan"], "ร้องเรียน")
    assert (from_toml.pantip.rooms, from_toml.twitter.query) == (["siam"], "env wins")


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GCC1111_CONFIG_FILE: no such file"):
        load_settings({"GCC1111_CONFIG_FILE": str(tmp_path / "nope.yaml")})


def test_secret_files_directory(tmp_path: Path) -> None:
    (tmp_path / "gcc1111_telegram__token").write_text("123:from-a-secret-file", encoding="utf-8")
    settings = load_settings({"GCC1111_SECRETS_DIR": str(tmp_path)})
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == "123:from-a-secret-file"

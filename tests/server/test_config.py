"""Settings are built once from the environment and an optional TOML file."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from server.config import ConfigError, ensure_secret_key, load_settings


def test_defaults_without_environment() -> None:
    settings = load_settings({})
    assert settings.database_url == ""
    assert settings.allowed_private_networks == ()
    assert settings.registration_mode == "approval"


def test_environment_overrides_toml(tmp_path: Path) -> None:
    config = tmp_path / "buurtplein.toml"
    config.write_text('domain = "buurt.example"\nlisten_port = 9000\n')
    settings = load_settings(
        {
            "BUURTPLEIN_CONFIG": str(config),
            "BUURTPLEIN_LISTEN_PORT": "9100",
            "DATABASE_URL": "postgresql://u@db/x",
            "BUURTPLEIN_ALLOWED_PRIVATE_NETWORKS": "127.0.0.2/31, 10.1.0.0/16",
        }
    )
    assert settings.domain == "buurt.example"
    assert settings.listen_port == 9100
    assert settings.database_url == "postgresql://u@db/x"
    assert settings.allowed_private_networks == (
        ipaddress.ip_network("127.0.0.2/31"),
        ipaddress.ip_network("10.1.0.0/16"),
    )
    assert settings.base_url == "http://buurt.example"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"BUURTPLEIN_LISTEN_PORT": "eighty"}, "listen_port"),
        ({"BUURTPLEIN_REGISTRATION_MODE": "everyone"}, "registration_mode"),
        ({"BUURTPLEIN_SCHEME": "gopher"}, "scheme"),
        ({"BUURTPLEIN_ALLOWED_PRIVATE_NETWORKS": "not-a-network"}, "allowed_private_networks"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"BUURTPLEIN_AUTHORIZED_FETCH": "maybe"}, "authorized_fetch"),
        ({"BUURTPLEIN_HEAP_TRIM_INTERVAL_SECONDS": "-1"}, "heap_trim_interval_seconds"),
    ],
)
def test_bad_values_say_which_setting(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(env)


def test_unknown_toml_key_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('domian = "typo.example"\n')
    with pytest.raises(ConfigError, match="domian"):
        load_settings({}, config_file=config)


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = load_settings({"BUURTPLEIN_DATA_DIR": str(tmp_path)})
    first = ensure_secret_key(settings)
    second = ensure_secret_key(settings)
    assert first.secret_key and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600

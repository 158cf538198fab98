"""Settings: one frozen object, built once from the environment and an optional TOML file.

Nothing is read at import time; `load_settings()` is called by the CLI (or a test) and the
result is passed explicitly to everything that needs it. Every field is documented in
docs/configuration.md, and a test keeps that page and this class in step.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

REGISTRATION_MODES = ("open", "approval", "invitation", "closed")
LOG_LEVELS = ("debug", "info", "warning", "error")
ENV_PREFIX = "BUURTPLEIN_"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(ValueError):
    """A configuration value is wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    domain: str = "localhost:8080"
    scheme: str = "http"
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    database_url: str = ""
    data_dir: Path = Path("buurtplein-data")
    secret_key: str = ""
    registration_mode: str = "approval"
    log_level: str = "info"
    log_format: str = "keyvalue"
    allowed_private_networks: tuple[Network, ...] = ()
    authorized_fetch: bool = False
    signature_max_skew_seconds: int = 3600
    inbox_max_bytes: int = 256 * 1024
    json_max_depth: int = 32
    fetch_timeout_seconds: float = 30.0
    connect_timeout_seconds: float = 5.0
    fetch_max_bytes: int = 1024 * 1024
    workers: int = 2
    worker_lease_seconds: int = 90
    worker_stop_grace_seconds: float = 5.0
    delivery_concurrency: int = 128
    signing_threads: int = 4
    heap_trim_interval_seconds: float = 60.0
    per_host_concurrency: int = 8
    finished_jobs_retention_hours: float = 168.0
    rate_limits_enabled: bool = True
    inbox_rate_per_ip: int = 6000
    inbox_burst_per_ip: int = 600
    inbox_rate_per_key: int = 1200
    inbox_burst_per_key: int = 300
    api_rate_per_ip: int = 300
    api_burst_per_ip: int = 60
    auth_rate_per_ip: int = 5
    auth_burst_per_ip: int = 10
    rate_limit_max_keys: int = 50_000
    trusted_proxies: tuple[Network, ...] = ()
    federation_allowlist_only: bool = False
    metrics_token: str = ""
    media_max_bytes: int = 8 * 1024 * 1024
    media_max_pixels: int = 40_000_000
    feed_items: int = 50
    calendar_max_events: int = 500
    calendar_sync_minutes: int = 60
    calendar_sync_check_seconds: float = 60.0
    calendar_fetch_max_bytes: int = 2 * 1024 * 1024
    calendar_fetch_timeout_seconds: float = 20.0
    calendar_import_max_events: int = 1000
    calendar_recurrence_days: int = 180
    poll_close_interval_seconds: float = 15.0
    poll_results_interval_seconds: float = 60.0
    archive_max_bytes: int = 512 * 1024 * 1024
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_from: str = ""
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 10.0
    smtp_retry_seconds: float = 60.0
    name: str = "Buurtplein"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    @property
    def mail_enabled(self) -> bool:
        """Whether e-mail can be sent (an SMTP host and a from address are configured)."""
        return bool(self.smtp_host and self.smtp_from)

    @property
    def host(self) -> str:
        """The domain without a port: the host part of handles (`name@host`)."""
        return self.domain

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


_FIELD_TYPES: dict[str, str] = {
    "poll_close_interval_seconds": "float",
    "poll_results_interval_seconds": "float",
    "listen_port": "int",
    "signature_max_skew_seconds": "int",
    "inbox_max_bytes": "int",
    "json_max_depth": "int",
    "fetch_max_bytes": "int",
    "workers": "int",
    "worker_lease_seconds": "int",
    "worker_stop_grace_seconds": "float",
    "delivery_concurrency": "int",
    "signing_threads": "int",
    "heap_trim_interval_seconds": "float",
    "per_host_concurrency": "int",
    "finished_jobs_retention_hours": "float",
    "fetch_timeout_seconds": "float",
    "connect_timeout_seconds": "float",
    "authorized_fetch": "bool",
    "federation_allowlist_only": "bool",
    "data_dir": "path",
    "allowed_private_networks": "networks",
    "feed_items": "int",
    "calendar_max_events": "int",
    "calendar_sync_minutes": "int",
    "calendar_sync_check_seconds": "float",
    "calendar_fetch_max_bytes": "int",
    "calendar_fetch_timeout_seconds": "float",
    "calendar_import_max_events": "int",
    "calendar_recurrence_days": "int",
    "media_max_bytes": "int",
    "media_max_pixels": "int",
    "rate_limits_enabled": "bool",
    "inbox_rate_per_ip": "int",
    "inbox_burst_per_ip": "int",
    "inbox_rate_per_key": "int",
    "inbox_burst_per_key": "int",
    "api_rate_per_ip": "int",
    "api_burst_per_ip": "int",
    "auth_rate_per_ip": "int",
    "auth_burst_per_ip": "int",
    "rate_limit_max_keys": "int",
    "trusted_proxies": "networks",
    "archive_max_bytes": "int",
    "smtp_port": "int",
    "smtp_starttls": "bool",
    "smtp_timeout_seconds": "float",
    "smtp_retry_seconds": "float",
}


def field_names() -> list[str]:
    return [f.name for f in fields(Settings) if f.name != "extra"]


def load_settings(environ: Mapping[str, str] | None = None, config_file: Path | None = None) -> Settings:
    """Build settings: defaults < TOML file < environment variables. Raises ConfigError."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    path = config_file or (Path(env[ENV_PREFIX + "CONFIG"]) if ENV_PREFIX + "CONFIG" in env else None)
    if path is not None:
        raw.update(_read_toml(path))
    for name in field_names():
        key = ENV_PREFIX + name.upper()
        if key in env:
            raw[name] = env[key]
    if "DATABASE_URL" in env and "database_url" not in raw:
        raw["database_url"] = env["DATABASE_URL"]
    values = {name: _convert(name, value) for name, value in raw.items()}
    settings = Settings(**values)
    _validate(settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(field_names()))
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
    return data


def _convert(name: str, value: Any) -> Any:
    kind = _FIELD_TYPES.get(name, "str")
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return _to_bool(value)
        if kind == "path":
            return Path(str(value))
        if kind == "networks":
            return parse_networks(value)
    except (TypeError, ValueError) as exc:
        env = ENV_PREFIX + name.upper()
        raise ConfigError(f"setting {name} ({env}): {value!r} is not a valid {kind}: {exc}") from None
    return str(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def parse_networks(value: Any) -> tuple[Network, ...]:
    items = value if isinstance(value, list | tuple) else str(value).replace(",", " ").split()
    return tuple(ipaddress.ip_network(str(item).strip(), strict=False) for item in items)


def _validate(settings: Settings) -> None:
    if settings.scheme not in ("http", "https"):
        raise ConfigError(f"scheme must be http or https, not {settings.scheme!r} (BUURTPLEIN_SCHEME)")
    if settings.registration_mode not in REGISTRATION_MODES:
        raise ConfigError(
            f"registration_mode must be one of {', '.join(REGISTRATION_MODES)}, "
            f"not {settings.registration_mode!r} (BUURTPLEIN_REGISTRATION_MODE)"
        )
    if settings.log_level not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)} (BUURTPLEIN_LOG_LEVEL)")
    if settings.log_format not in ("keyvalue", "json"):
        raise ConfigError("log_format must be keyvalue or json (BUURTPLEIN_LOG_FORMAT)")
    if not settings.domain or "/" in settings.domain or " " in settings.domain:
        raise ConfigError(f"domain {settings.domain!r} is not a host name (BUURTPLEIN_DOMAIN)")
    if not 0 < settings.listen_port < 65536:
        raise ConfigError("listen_port must be between 1 and 65535 (BUURTPLEIN_LISTEN_PORT)")
    if settings.database_url and not settings.database_url.startswith(("postgres://", "postgresql://")):
        raise ConfigError("DATABASE_URL must start with postgresql:// (or be unset for the embedded database)")
    if settings.smtp_host and "@" not in settings.smtp_from:
        raise ConfigError("smtp_from must be an e-mail address when smtp_host is set (BUURTPLEIN_SMTP_FROM)")
    if not 0 < settings.smtp_port < 65536:
        raise ConfigError("smtp_port must be between 1 and 65535 (BUURTPLEIN_SMTP_PORT)")
    if settings.finished_jobs_retention_hours * 3600 <= 2 * settings.signature_max_skew_seconds:
        raise ConfigError(
            "finished_jobs_retention_hours must be longer than twice signature_max_skew_seconds "
            "(received activities must stay deduplicated while a replayed signature could still pass)"
        )
    if settings.heap_trim_interval_seconds < 0:
        raise ConfigError("heap_trim_interval_seconds must be 0 (off) or more")
    if not settings.smtp_retry_seconds > 0:
        raise ConfigError("smtp_retry_seconds must be more than 0 (BUURTPLEIN_SMTP_RETRY_SECONDS)")
    for name in (
        "inbox_max_bytes",
        "json_max_depth",
        "fetch_max_bytes",
        "workers",
        "per_host_concurrency",
        "signing_threads",
        "rate_limit_max_keys",
    ):
        if getattr(settings, name) < 1 and not (name == "workers" and getattr(settings, name) == 0):
            raise ConfigError(f"{name} must be a positive number")


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key: the configured one, or one stored in the data
    directory (generated with 0600 permissions on first start)."""
    if settings.secret_key:
        return settings
    path = settings.data_dir / "secret_key"
    if path.exists():
        return replace(settings, secret_key=path.read_text(encoding="ascii").strip())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return replace(settings, secret_key=key)

"""Settings from GCC1111_<SECTION>__<FIELD> environment variables and an optional YAML/TOML file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

from core.errors import ConfigError

PREFIX = "GCC1111_"
CONFIG_DIR = Path(__file__).resolve().parent


def _words(value: Any) -> Any:
    """Accept a JSON list or a comma-separated string (friendlier in an environment variable)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


Words = Annotated[list[str], NoDecode, BeforeValidator(_words)]


def _secret(value: SecretStr | None) -> bool:
    return value is not None and bool(value.get_secret_value())


class FacebookSettings(BaseModel):
    graph_url: str = "https://graph.facebook.com/"
    api_version: str = "v25.0"
    page_id: str = ""
    access_token: SecretStr | None = None
    app_secret: SecretStr | None = None
    verify_token: SecretStr | None = None
    poll_seconds: float = 60
    include_messenger: bool = True

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        digits = value.removeprefix("v")
        major, _, minor = digits.partition(".")
        if not (major.isdigit() and minor.isdigit()):
            raise ValueError("must look like v25.0")
        return f"v{digits}"

    @property
    def enabled(self) -> bool:
        return bool(self.page_id) and _secret(self.access_token)


class TwitterSettings(BaseModel):
    api_url: str = "https://api.twitter.com"
    bearer_token: SecretStr | None = None
    user_id: str = ""
    query: str = ""
    # User-context credentials (OAuth 1.0a) for replying and posting.
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    poll_seconds: float = 60

    @property
    def enabled(self) -> bool:
        return _secret(self.bearer_token) and bool(self.user_id or self.query)

    @property
    def can_post(self) -> bool:
        return all(
            _secret(s) for s in (self.consumer_key, self.consumer_secret, self.access_token, self.access_token_secret)
        )


class InstagramSettings(BaseModel):
    base_url: str = "https://www.instagram.com"
    iphone_url: str = "https://i.instagram.com"
    username: str = ""
    session_file: Path | None = None
    profile: str = ""  # the agency's own account whose posts' comments we read
    hashtags: Words = Field(default_factory=list)
    recent_posts: int = 12
    hashtag_posts: int = 50  # most posts read per hashtag per poll
    request_timeout: float = 30
    poll_seconds: float = 600

    @property
    def enabled(self) -> bool:
        return bool(self.username) and self.session_file is not None and bool(self.profile or self.hashtags)


class PantipSettings(BaseModel):
    base_url: str = "https://pantip.com"
    tags: Words = Field(default_factory=list)
    rooms: Words = Field(default_factory=list)
    keywords: Words = Field(default_factory=list)
    download_delay: float = 2.0
    autothrottle_start_delay: float = 5.0
    max_topics: int = 50
    crawl_timeout_seconds: float = 1800  # the child crawl is killed after this
    poll_seconds: float = 900

    @property
    def enabled(self) -> bool:
        return bool(self.tags or self.rooms or self.keywords)


class TelegramSettings(BaseModel):
    base_url: str = "https://api.telegram.org/bot"
    token: SecretStr | None = None
    duty_chat_id: str = ""  # duty officers' group for urgent alerts
    channel_id: str = ""  # public channel for broadcasts
    webhook_url: str = ""
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"  # where the bot's webhook server listens, behind the HTTPS proxy
    webhook_port: int = 8443
    user_messages_per_minute: int = 5  # per citizen; the first message over gets a polite notice, then silence
    poll_seconds: float = 5

    @property
    def enabled(self) -> bool:
        return _secret(self.token)


class FeedSettings(BaseModel):
    weather_url: str = "https://data.tmd.go.th/api/WeatherForecast7Days/v2/"
    warning_url: str = "https://data.tmd.go.th/api/WeatherWarningNews/v2/"
    gold_url: str = "https://www.goldtraders.or.th/api/GoldPrices/Latest?readjson=false"
    oil_url: str = "https://www.bangchak.co.th/api/oilprice"
    traffic_url: str = "https://event.longdo.com/feed/json"
    earthquake_url: str = "https://earthquake.tmd.go.th/feed/rss_inside.xml"
    tmd_uid: str = ""
    tmd_ukey: SecretStr | None = None
    cache_seconds: float = 300
    max_age_minutes: float = 24 * 60  # for a feed without its own limit below or a built-in default
    # Per feed (gold, oil, weather, warning, traffic, earthquake): older data holds the post. Unset feeds use
    # broadcasts' built-in defaults, e.g. GCC1111_FEEDS__MAX_AGE_MINUTES_BY_FEED__GOLD=480.
    max_age_minutes_by_feed: dict[str, float] = Field(default_factory=dict)


class DashboardSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8111
    secret_key: SecretStr | None = None  # when unset, one is generated into the data folder
    session_minutes: int = 480
    enabled: bool = True


class ClassifierSettings(BaseModel):
    model_path: Path | None = None  # default: the model shipped in nlp/
    batch_size: int = 500


class ResponderSettings(BaseModel):
    answer_min_confidence: float = 0.75
    faq_min_score: float = 0.40  # see README "Knowledge base": dev chose 0.35; the first test run informed 0.40
    case_min_confidence: float = 0.6
    reply_to_other: bool = False
    sla_hours: dict[str, float] = Field(default_factory=dict)
    default_sla_hours: float = 72
    max_attempts: int = 6


class BroadcastSettings(BaseModel):
    late_publish_minutes: float = 30  # later than this after downtime: hold for a human
    lease_seconds: float = 30
    max_attempts: int = 5  # tries on an unreachable channel before the occurrence is marked failed


class Settings(BaseSettings):
    """Everything configurable; built once in main() and passed down, never imported as a global."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_nested_delimiter="__",
        extra="ignore",
        case_sensitive=False,
        # Secret files (Docker/Kubernetes style): one file per value, e.g. gcc1111_telegram__token.
        secrets_prefix=PREFIX,
        secrets_nested_delimiter="__",
    )

    data_dir: Path = Path("data")
    database_url: str = ""
    log_level: str = "INFO"
    config_file: Path | None = None
    facebook: FacebookSettings = Field(default_factory=FacebookSettings)
    twitter: TwitterSettings = Field(default_factory=TwitterSettings)
    instagram: InstagramSettings = Field(default_factory=InstagramSettings)
    pantip: PantipSettings = Field(default_factory=PantipSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    feeds: FeedSettings = Field(default_factory=FeedSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    responder: ResponderSettings = Field(default_factory=ResponderSettings)
    broadcasts: BroadcastSettings = Field(default_factory=BroadcastSettings)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'gcc1111.sqlite').resolve()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        secrets = NestedSecretsSettingsSource(file_secret_settings)
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, secrets]
        config_file = os.environ.get(f"{PREFIX}CONFIG_FILE")
        if config_file:
            path = Path(config_file)
            if path.suffix == ".toml":
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
            else:
                sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
        return tuple(sources)


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read settings; a bad value becomes one ConfigError line naming the variable."""
    config_file = (env or os.environ).get(f"{PREFIX}CONFIG_FILE")
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"{PREFIX}CONFIG_FILE: no such file {config_file}")
    secrets_dir = (env or os.environ).get(f"{PREFIX}SECRETS_DIR")
    try:
        if env is not None:
            with _environ(env):
                return Settings(_secrets_dir=secrets_dir, **overrides)  # type: ignore[call-arg]
        return Settings(_secrets_dir=secrets_dir, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = PREFIX + "__".join(str(part) for part in error["loc"] if not str(part).isdigit()).upper()
        raise ConfigError(f"{variable}: {error['msg']}") from None


class _environ:
    """Temporarily replace os.environ (pydantic-settings reads it directly)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = dict(env)
        self._saved: dict[str, str] = {}

    def __enter__(self) -> None:
        self._saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self._env)

    def __exit__(self, *exc: object) -> None:
        os.environ.clear()
        os.environ.update(self._saved)


def enabled_parts(settings: Settings) -> dict[str, bool]:
    """Which sources, bots and channels have what they need to run."""
    return {
        "facebook": settings.facebook.enabled,
        "twitter": settings.twitter.enabled,
        "instagram": settings.instagram.enabled,
        "pantip": settings.pantip.enabled,
        "telegram": settings.telegram.enabled,
        "dashboard": settings.dashboard.enabled,
    }

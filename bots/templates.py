"""Reply templates staff edit (config/templates/replies.yaml), rendered safely."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.errors import ConfigError
from core.privacy import redact

REQUIRED = ("answer", "acknowledgement", "urgent_acknowledgement", "fallback", "coordinator_notice", "duty_alert",
            "case_update")


@dataclass(frozen=True)
class Templates:
    texts: dict[str, dict[str, str]]

    def render(self, name: str, language: str, **values: object) -> str:
        """Fill a template; personal data in any value is redacted on the way in."""
        variants = self.texts[name]
        template = variants.get(language) or variants["th"]
        safe = {key: redact(str(value)) for key, value in values.items()}
        return template.format_map(safe)

    def bilingual(self, name: str, **values: object) -> str:
        variants = self.texts[name]
        parts = [self.render(name, lang, **values) for lang in ("th", "en") if lang in variants]
        return "\n\n".join(parts)


def load_templates(path: Path) -> Templates:
    """Read and check every template: known names, Thai present, placeholders well-formed."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"reply templates {path}: {exc}") from None
    missing = [name for name in REQUIRED if name not in document]
    if missing:
        raise ConfigError(f"reply templates {path}: missing {', '.join(missing)}")
    texts: dict[str, dict[str, str]] = {}
    for name, variants in document.items():
        if not isinstance(variants, dict) or "th" not in variants:
            raise ConfigError(f"reply templates {path}: {name} needs a Thai (th) text")
        for language, text in variants.items():
            try:
                list(string.Formatter().parse(str(text)))
            except ValueError as exc:
                raise ConfigError(f"reply templates {path}: {name}.{language}: {exc}") from None
        texts[str(name)] = {str(k): str(v) for k, v in variants.items()}
    return Templates(texts)

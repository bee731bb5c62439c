"""The agency directory: who a mention or a case can be routed to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.errors import ConfigError

AGENCY_CODES = (
    "OPM", "MOD", "MOF", "MFA", "MOTS", "MSDHS", "MHESI", "MOAC", "MOT", "MDES", "MNRE", "MOEN", "MOC", "MOI",
    "MOJ", "MOL", "MOCULT", "MOE", "MOPH", "MOIND", "RTP", "BMA", "ECT", "OHMPPS", "BRH", "ORST", "SENATE", "HOUSE",
)


@dataclass(frozen=True)
class Coordinator:
    name: str
    telegram_chat_id: str = ""


@dataclass(frozen=True)
class Agency:
    code: str
    name_th: str
    name_en: str
    sla_hours: float = 72
    coordinators: tuple[Coordinator, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AgencyDirectory:
    agencies: dict[str, Agency]

    def __contains__(self, code: object) -> bool:
        return code in self.agencies

    def get(self, code: str | None) -> Agency | None:
        return None if code is None else self.agencies.get(code)

    def codes(self) -> list[str]:
        return list(self.agencies)


def load_agencies(path: Path) -> AgencyDirectory:
    """Read and check the directory; every known code must be there exactly once."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"agency directory {path}: {exc}") from None
    agencies: dict[str, Agency] = {}
    for entry in (document or {}).get("agencies", []):
        code = str(entry.get("code", ""))
        if code not in AGENCY_CODES:
            raise ConfigError(f"agency directory {path}: unknown agency code {code!r}")
        if code in agencies:
            raise ConfigError(f"agency directory {path}: {code} is listed twice")
        coordinators = tuple(
            Coordinator(name=str(c.get("name", "")), telegram_chat_id=str(c.get("telegram_chat_id", "")))
            for c in entry.get("coordinators") or []
        )
        agencies[code] = Agency(
            code=code,
            name_th=str(entry["name_th"]),
            name_en=str(entry["name_en"]),
            sla_hours=float(entry.get("sla_hours", 72)),
            coordinators=coordinators,
        )
    missing = [code for code in AGENCY_CODES if code not in agencies]
    if missing:
        raise ConfigError(f"agency directory {path}: missing {', '.join(missing)}")
    return AgencyDirectory(agencies)

"""The control frameworks the guardrails are mapped to, and every control the mapping names.

Each rule lists the ISO/IEC 27001:2022 Annex A and CSA Cloud Controls Matrix v4 controls it helps
implement (`Rule.iso27001`, `Rule.ccm`). That mapping is ours: it shows an auditor which technical
evidence the pack produces for a control, it is not a certification, and no control is fully met by
a guardrail alone (every one of them also needs policies, processes and people).

The catalogue also lists relevant controls that no rule supports, each with the reason (`gap`), so a
coverage report shows the gaps as deliberate decisions rather than omissions. Titles are the
frameworks' own (ISO/IEC 27001:2022 Table A.1; CCM v4.0 control titles).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

FrameworkKey = Literal["iso27001", "ccm"]

MAPPING_NOTE = (
    "Our mapping, not a certification: the controls each guardrail helps implement, in our judgement. "
    "A guardrail is technical evidence for a control, never the whole control."
)


@dataclass(frozen=True)
class Framework:
    """A control framework: the key rules use, and how reports name it."""

    key: FrameworkKey
    name: str
    version: str
    short: str  # compact label in tables ("ISO", "CCM")


@dataclass(frozen=True)
class Control:
    """One control of a framework; `gap` says why no rule supports it (empty when rules do)."""

    framework: FrameworkKey
    id: str
    title: str
    gap: str = ""

    def as_dict(self) -> dict[str, str]:
        """The control for JSON reports (`gap` only when set)."""
        data = {"framework": self.framework, "id": self.id, "title": self.title}
        return data | ({"gap": self.gap} if self.gap else {})


FRAMEWORKS: dict[str, Framework] = {
    "iso27001": Framework("iso27001", "ISO/IEC 27001:2022 Annex A", "2022", "ISO"),
    "ccm": Framework("ccm", "CSA Cloud Controls Matrix v4.0", "4.0", "CCM"),
}

OUTSIDE_PACK = "a process and people control; a policy pack over infrastructure cannot evidence it"

_ISO: list[tuple[str, str, str]] = [
    ("A.5.7", "Threat intelligence", OUTSIDE_PACK),
    ("A.5.9", "Inventory of information and other associated assets", ""),
    ("A.5.13", "Labelling of information", ""),
    ("A.5.14", "Information transfer", ""),
    ("A.5.15", "Access control", ""),
    ("A.5.17", "Authentication information", ""),
    ("A.5.18", "Access rights", ""),
    ("A.5.23", "Information security for use of cloud services", ""),
    ("A.5.24", "Information security incident management planning and preparation", OUTSIDE_PACK),
    ("A.5.26", "Response to information security incidents", OUTSIDE_PACK),
    ("A.5.30", "ICT readiness for business continuity", ""),
    ("A.5.33", "Protection of records", ""),
    ("A.6.3", "Information security awareness, education and training", OUTSIDE_PACK),
    ("A.8.2", "Privileged access rights", ""),
    ("A.8.3", "Information access restriction", ""),
    ("A.8.5", "Secure authentication",
     "people sign in through the organisation's identity provider, outside the tenant stacks"),
    ("A.8.6", "Capacity management", ""),
    ("A.8.7", "Protection against malware",
     "no runtime malware detection is deployed or checked yet; image CVE scanning counts under A.8.8"),
    ("A.8.8", "Management of technical vulnerabilities", ""),
    ("A.8.9", "Configuration management", ""),
    ("A.8.10", "Information deletion", ""),
    ("A.8.12", "Data leakage prevention", ""),
    ("A.8.13", "Information backup", ""),
    ("A.8.14", "Redundancy of information processing facilities", ""),
    ("A.8.15", "Logging", ""),
    ("A.8.16", "Monitoring activities", ""),
    ("A.8.17", "Clock synchronization", "provided by AWS (Amazon Time Sync Service); nothing to configure"),
    ("A.8.19", "Installation of software on operational systems", ""),
    ("A.8.20", "Networks security", ""),
    ("A.8.21", "Security of network services", ""),
    ("A.8.22", "Segregation of networks", ""),
    ("A.8.24", "Use of cryptography", ""),
    ("A.8.25", "Secure development life cycle", "the client teams' development process, outside the platform"),
    ("A.8.28", "Secure coding", "the client teams' development process, outside the platform"),
    ("A.8.31", "Separation of development, test and production environments",
     "each environment gets its own stack and VPC by construction, but no rule checks the separation"),
    ("A.8.32", "Change management", ""),
]

_CCM: list[tuple[str, str, str]] = [
    ("AIS-06", "Automated Secure Application Deployment", ""),
    ("BCR-08", "Backup", ""),
    ("BCR-11", "Equipment Redundancy", ""),
    ("CCC-04", "Unauthorized Change Protection", ""),
    ("CCC-09", "Change Restoration", ""),
    ("CEK-03", "Data Encryption", ""),
    ("CEK-04", "Encryption Algorithm", ""),
    ("CEK-12", "Key Rotation", ""),
    ("DCS-06", "Assets Cataloguing and Tracking", ""),
    ("DSP-10", "Sensitive Data Transfer", ""),
    ("DSP-16", "Data Retention and Deletion", ""),
    ("DSP-17", "Sensitive Data Protection", ""),
    ("HRS-11", "Security Awareness Training", OUTSIDE_PACK),
    ("HRS-12", "Personal and Sensitive Data Awareness and Training", OUTSIDE_PACK),
    ("IAM-05", "Least Privilege", ""),
    ("IAM-14", "Strong Authentication",
     "people sign in through the organisation's identity provider, outside the tenant stacks"),
    ("IAM-15", "Passwords Management", ""),
    ("IAM-16", "Authorization Mechanisms", ""),
    ("IVS-02", "Capacity and Resource Planning", ""),
    ("IVS-03", "Network Security", ""),
    ("IVS-04", "OS Hardening and Base Controls", ""),
    ("IVS-05", "Production and Non-Production Environments",
     "each environment gets its own stack and VPC by construction, but no rule checks the separation"),
    ("IVS-06", "Segmentation and Segregation", ""),
    ("IVS-09", "Network Defense", ""),
    ("LOG-02", "Audit Logs Protection", ""),
    ("LOG-03", "Security Monitoring and Alerting", ""),
    ("LOG-05", "Audit Logs Monitoring and Response",
     "logs are produced and protected; detecting anomalies in them is the observability work, not checked here"),
    ("LOG-06", "Clock Synchronization", "provided by AWS (Amazon Time Sync Service); nothing to configure"),
    ("LOG-07", "Logging Scope", ""),
    ("LOG-08", "Log Records", ""),
    ("LOG-09", "Log Protection", ""),
    ("SEF-03", "Incident Response Plans", OUTSIDE_PACK),
    ("TVM-02", "Malware Protection Policy and Procedures",
     "no runtime malware detection is deployed or checked yet; image CVE scanning counts under TVM-07"),
    ("TVM-05", "External Library Vulnerabilities", ""),
    ("TVM-06", "Penetration Testing", OUTSIDE_PACK),
    ("TVM-07", "Vulnerability Identification", ""),
    ("UEM-09", "Anti-Malware Detection and Prevention",
     "endpoints (people's devices) are outside the tenant platform"),
]


def _order(control_id: str) -> tuple[str | int, ...]:
    """Natural order: A.5.9 before A.5.13, IVS-03 before IVS-10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"[.-]", control_id))


CONTROLS: tuple[Control, ...] = tuple(
    sorted(
        [Control("iso27001", *row) for row in _ISO] + [Control("ccm", *row) for row in _CCM],
        key=lambda c: (list(FRAMEWORKS).index(c.framework), _order(c.id)),
    )
)
BY_ID: dict[tuple[str, str], Control] = {(c.framework, c.id): c for c in CONTROLS}


def label(controls: Mapping[str, Sequence[str]]) -> str:
    """Compact form of a rule's controls for tables: `ISO A.8.20, A.8.22; CCM IVS-03`."""
    parts = [f"{FRAMEWORKS[key].short} {', '.join(ids)}" for key, ids in controls.items()
             if key in FRAMEWORKS and ids]
    return "; ".join(parts)

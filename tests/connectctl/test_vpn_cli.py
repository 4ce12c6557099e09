"""VPN links through the command line: pre-shared keys stay secret, weak crypto is a guardrail finding."""

from __future__ import annotations

import json
from pathlib import Path

from tests.connectctl.conftest import connectctl, stack_file

ROOT = Path(__file__).resolve().parents[2]
ACME_PROD = (ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text()
SECURE_LINE = "  connect:vpnPskSantiago1:\n    secure: v1:Zm9vYmFyOnNhbnRpYWdvLTE=\n"
PLAIN_KEY = "Plain.Text_Psk_7319"
TIERS_LINE = "        reachableTiers: [app]\n"


def test_plain_text_pre_shared_key_exits_2_naming_the_key_not_the_value(tmp_path: Path) -> None:
    assert ACME_PROD.count(SECURE_LINE) == 1
    path = stack_file(tmp_path, ACME_PROD.replace(SECURE_LINE, f"  connect:vpnPskSantiago1: {PLAIN_KEY}\n"))
    result = connectctl("plan", "--config-file", str(path))
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert "connect:vpnPskSantiago1" in result.stderr and "plain text" in result.stderr
    assert "pulumi config set --secret connect:vpnPskSantiago1" in result.stderr
    assert PLAIN_KEY not in output
    assert result.stdout == ""


def test_weak_but_valid_crypto_is_a_mandatory_guardrail_violation(tmp_path: Path) -> None:
    assert ACME_PROD.count(TIERS_LINE) == 1
    weak = ACME_PROD.replace(TIERS_LINE, TIERS_LINE + "        crypto: {phase1Encryption: [AES128]}\n")
    result = connectctl("plan", "--config-file", str(stack_file(tmp_path, weak)), "--format", "json")
    assert result.returncode == 1, result.stderr
    assert "invalid stack configuration" not in result.stderr
    doc = json.loads(result.stdout)
    found = [v for v in doc["violations"] if v["policy"] == "vpn-strong-crypto"]
    # the same crypto in both regions' ends of the link: both refused
    assert sorted(v["urn"].rsplit("::", 1)[1] for v in found) == ["dr-vpn-dc-santiago", "vpn-dc-santiago"]
    assert all(v["level"] == "mandatory" for v in found)
    assert all("dc-santiago" in v["message"] and "Phase1EncryptionAlgorithms allows AES128" in v["message"]
               for v in found)
    assert doc["summary"]["mandatory"] == 2


def test_unchanged_acme_prod_copy_passes(tmp_path: Path) -> None:
    result = connectctl("plan", "--config-file", str(stack_file(tmp_path, ACME_PROD)), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["summary"]["mandatory"] == 0
    assert not [v for v in doc["violations"] if v["policy"].startswith("vpn-")]
    assert any(r["type"] == "aws:ec2/vpnConnection:VpnConnection" for r in doc["resources"])

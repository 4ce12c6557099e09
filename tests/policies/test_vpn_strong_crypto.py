"""vpn-strong-crypto: IKEv2 only, AES256 (GCM), SHA2 and DH group 14+ on both tunnels, absent lists included."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from connectctl.engine.analyzer import PackConfigError
from tests.policies.harness import assert_one_mandatory, evaluate, findings, notes, provider
from tests.policies.vpn_programs import CONNECTION_URN, DROP, PRESHARED_KEY, connection, log_group

POLICY = "vpn-strong-crypto"


def _program(tunnel1: dict[str, Any] | None = None, tunnel2: dict[str, Any] | None = None,
             secret_key: bool = False) -> None:
    p = provider()
    connection(p, log_group(p), tunnel1=tunnel1, tunnel2=tunnel2,
               preshared_key=pulumi.Output.secret(PRESHARED_KEY) if secret_key else None)


@pytest.mark.parametrize("preview", [True, False])
def test_strong_tunnels_pass(preview: bool) -> None:
    found = evaluate(_program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


WEAK = [
    pytest.param({"ike_versions": ["ikev1", "ikev2"]}, "tunnel1IkeVersions allows ikev1 (allowed: ikev2 only)",
                 id="ikev1-allowed"),
    pytest.param({"phase1_encryption_algorithms": ["AES128", "AES256"]},
                 "tunnel1Phase1EncryptionAlgorithms allows AES128 (allowed: AES256, AES256-GCM-16)", id="aes128"),
    pytest.param({"phase2_integrity_algorithms": ["SHA1", "SHA2-256"]},
                 "tunnel1Phase2IntegrityAlgorithms allows SHA1", id="sha1"),
    pytest.param({"phase1_dh_group_numbers": [2, 14]},
                 "tunnel1Phase1DhGroupNumbers allows 2 (allowed: groups 14 and above)", id="dh-group-2"),
    pytest.param({"ike_versions": DROP}, "tunnel1IkeVersions is not set (AWS default allows ikev1, ikev2",
                 id="ike-absent"),
    pytest.param({"phase2_encryption_algorithms": DROP},
                 "tunnel1Phase2EncryptionAlgorithms is not set (AWS default allows AES128", id="encryption-absent"),
    pytest.param({"phase1_integrity_algorithms": []},
                 "tunnel1Phase1IntegrityAlgorithms is not set (AWS default allows SHA1", id="integrity-empty"),
    pytest.param({"phase2_dh_group_numbers": DROP},
                 "tunnel1Phase2DhGroupNumbers is not set (AWS default allows 2, 5, 14-24", id="dh-absent"),
]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("weak", "phrase"), WEAK)
def test_each_weak_setting_is_violation(preview: bool, weak: dict[str, Any], phrase: str) -> None:
    found = findings(evaluate(lambda: _program(tunnel1=weak), preview=preview), POLICY)
    assert_one_mandatory(found, CONNECTION_URN, phrase)
    assert "tunnel2" not in found[0].message.split(";", 1)[0]


@pytest.mark.parametrize("preview", [True, False])
def test_one_finding_lists_every_weak_setting_of_both_tunnels(preview: bool) -> None:
    """AWS defaults everywhere on tunnel 2, one weak group on tunnel 1: one finding naming all of them."""
    everything = {key: DROP for key in ("ike_versions", "phase1_encryption_algorithms", "phase2_encryption_algorithms",
                                        "phase1_integrity_algorithms", "phase2_integrity_algorithms",
                                        "phase1_dh_group_numbers", "phase2_dh_group_numbers")}
    found = evaluate(lambda: _program(tunnel1={"phase2_dh_group_numbers": [5, 20]}, tunnel2=everything),
                     preview=preview)
    assert_one_mandatory(findings(found, POLICY), CONNECTION_URN, "tunnel1Phase2DhGroupNumbers allows 5")
    message = findings(found, POLICY)[0].message
    for prop in ("IkeVersions", "Phase1EncryptionAlgorithms", "Phase2EncryptionAlgorithms",
                 "Phase1IntegrityAlgorithms", "Phase2IntegrityAlgorithms", "Phase1DhGroupNumbers",
                 "Phase2DhGroupNumbers"):
        assert f"tunnel2{prop} is not set" in message, prop
    assert message.count("tunnel1") == 1
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_secret_preshared_key_is_never_echoed(preview: bool) -> None:
    found = evaluate(lambda: _program(tunnel1={"ike_versions": ["ikev1"]}, secret_key=True), preview=preview)
    assert_one_mandatory(findings(found, POLICY), CONNECTION_URN, "tunnel1IkeVersions allows ikev1")
    assert all(PRESHARED_KEY not in v.message for v in found), [v for v in found if PRESHARED_KEY in v.message]


@pytest.mark.parametrize("preview", [True, False])
def test_config_tightens_the_allowed_lists(preview: bool) -> None:
    """GCM only, SHA2-384+ and DH group 20+: the default program's AES256, SHA2-256 and group 20/21 lists."""
    config = {POLICY: {"allowedEncryption": ["AES256-GCM-16"], "allowedIntegrity": ["SHA2-384", "SHA2-512"],
                       "minDhGroup": 21}}
    found = findings(evaluate(_program, preview=preview, pack_config=config), POLICY)
    assert_one_mandatory(found, CONNECTION_URN, "tunnel1Phase1EncryptionAlgorithms allows AES256 (allowed: "
                                                "AES256-GCM-16)")
    assert "tunnel2Phase2IntegrityAlgorithms allows SHA2-256 (allowed: SHA2-384, SHA2-512)" in found[0].message
    assert "tunnel2Phase2DhGroupNumbers allows 20 (allowed: groups 21 and above)" in found[0].message


@pytest.mark.parametrize("config", [{"allowedEncryption": ["AES128"]}, {"minDhGroup": 2}, {"allowedIntegrity": []}])
def test_config_cannot_loosen(config: dict[str, Any]) -> None:
    with pytest.raises(PackConfigError):
        evaluate(_program, preview=False, pack_config={POLICY: config})


def _computed_ike_versions(weak_tunnel2: bool) -> None:
    """tunnel1's IKE version comes from another resource's output: unknown in preview, ikev2 once known."""
    p = provider()
    group = log_group(p)
    connection(p, group, tunnel1={"ike_versions": [group.arn.apply(lambda _: "ikev2")]},
               tunnel2={"phase1_dh_group_numbers": [2]} if weak_tunnel2 else None)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("weak_tunnel2", [False, True])
def test_unknown_setting_is_left_to_the_engine_after_reporting(preview: bool, weak_tunnel2: bool) -> None:
    """A deciding unknown gives the engine's note in preview, but never hides what is already provable."""
    found = evaluate(lambda: _computed_ike_versions(weak_tunnel2), preview=preview)
    assert len(notes(found, POLICY)) == (1 if preview else 0)
    if weak_tunnel2:
        assert_one_mandatory(findings(found, POLICY), CONNECTION_URN, "tunnel2Phase1DhGroupNumbers allows 2")
        assert "IkeVersions" not in findings(found, POLICY)[0].message
    else:
        assert findings(found, POLICY) == []

"""ecr-lifecycle-policy: each repository has a lifecycle policy (linked by property dependency or by name)."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "ecr-lifecycle-policy"
RULES = json.dumps({"rules": [{
    "rulePriority": 1,
    "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
    "action": {"type": "expire"},
}]})


def _program(link: str) -> None:
    """Repositories `api` and `web`; `link` says how api's lifecycle policy names it (web never gets one
    unless `link` is "both")."""
    p = provider()
    key = aws.kms.Key("key", enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))
    # The name waits on the key id: unknown in preview, so only the property dependency links the policy.
    name = key.key_id.apply(lambda _: "connect/api") if link != "literal" else "connect/api"
    api = aws.ecr.Repository("api", name=name, image_tag_mutability="IMMUTABLE", tags=TAGS,
                             opts=pinned(p, protect=True))
    web = aws.ecr.Repository("web", name="connect/web", image_tag_mutability="IMMUTABLE", tags=TAGS,
                             opts=pinned(p, protect=True))
    if link in ("dependency", "both"):
        aws.ecr.LifecyclePolicy("api-lifecycle", repository=api.name, policy=RULES, opts=pinned(p))
    if link == "literal":
        aws.ecr.LifecyclePolicy("api-lifecycle", repository="connect/api", policy=RULES, opts=pinned(p))
    if link == "both":
        aws.ecr.LifecyclePolicy("web-lifecycle", repository=web.name, policy=RULES, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_every_repository_with_a_policy_passes(preview: bool) -> None:
    found = evaluate(lambda: _program("both"), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("link", ["dependency", "literal"])
def test_repository_without_policy_is_advisory_finding(preview: bool, link: str) -> None:
    """api is covered (through the dependency, which is all there is in preview, or its literal name); web is not."""
    found = evaluate(lambda: _program(link), preview=preview)
    assert notes(found, POLICY) == []
    found = findings(found, POLICY)
    assert len(found) == 1, found
    assert found[0].level == "advisory"
    assert found[0].urn.endswith("aws:ecr/repository:Repository::web")
    assert "has no lifecycle policy" in found[0].message


def test_literal_name_against_an_unknown_name_is_noted_in_preview() -> None:
    """A policy naming `connect/api` may or may not govern a repository whose name is not known yet."""
    def program() -> None:
        p = provider()
        key = aws.kms.Key("key", enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))
        aws.ecr.Repository("api", name=key.key_id.apply(lambda _: "connect/api"), image_tag_mutability="IMMUTABLE",
                           tags=TAGS, opts=pinned(p, protect=True))
        aws.ecr.LifecyclePolicy("api-lifecycle", repository="connect/api", policy=RULES, opts=pinned(p))

    found = evaluate(program, preview=True)
    assert findings(found, POLICY) == []
    assert len(notes(found, POLICY)) == 1
    assert findings(evaluate(program, preview=False), POLICY) == []

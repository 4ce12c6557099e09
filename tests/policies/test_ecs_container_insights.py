"""ecs-container-insights: clusters have containerInsights enabled or enhanced (advisory)."""

from __future__ import annotations

import pytest

from tests.policies.ecs_programs import assert_one_advisory, cluster, program_of
from tests.policies.harness import evaluate, findings, notes

POLICY = "ecs-container-insights"


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("value", ["enabled", "enhanced"])
def test_insights_on_passes(value: str, preview: bool) -> None:
    found = evaluate(program_of(lambda p: cluster(p, name=None, insights=value)), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("value", "phrase"), [(None, "Container Insights is not set"),
                                               ("disabled", "Container Insights is 'disabled'")])
def test_insights_off_is_advisory(value: str | None, phrase: str, preview: bool) -> None:
    found = findings(evaluate(program_of(lambda p: cluster(p, insights=value)), preview=preview), POLICY)
    assert_one_advisory(found, "aws:ecs/cluster:Cluster::apps", phrase)

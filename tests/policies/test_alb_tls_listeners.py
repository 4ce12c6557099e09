"""alb-tls-listeners: HTTPS/TLS with an allowed TLS 1.2+ policy (and a certificate); HTTP only redirects to HTTPS."""

from __future__ import annotations

from typing import Any, cast

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned, provider

POLICY = "alb-tls-listeners"
POLICY_TLS13 = "ELBSecurityPolicy-TLS13-1-2-2021-06"
CERTIFICATE = "arn:aws:acm:us-east-1:111111111111:certificate/0b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d"
NOT_FOUND = {"type": "fixed-response", "fixed_response": {"content_type": "text/plain", "status_code": "404"}}
TO_HTTPS = {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}


def _listener(protocol: str | None, *, ssl_policy: str | None = POLICY_TLS13, certificate: bool = True,
              actions: list[dict[str, Any]] | None = None, alias: bool = False) -> None:
    p = provider()
    lb = aws.lb.LoadBalancer("alb", internal=True, subnets=["subnet-0a1b2c3d4e5f60718"], tags=TAGS, opts=pinned(p))
    secure = protocol in ("HTTPS", "TLS")
    kind = aws.alb.Listener if alias else aws.lb.Listener
    kind("listener", load_balancer_arn=lb.arn, port=443 if secure else 80, protocol=protocol,
         ssl_policy=ssl_policy if secure else None, certificate_arn=CERTIFICATE if secure and certificate else None,
         default_actions=cast(Any, actions or [NOT_FOUND]), tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("kwargs", "config"), [
    ({"protocol": "HTTPS"}, None),
    ({"protocol": "HTTPS", "alias": True}, None),
    ({"protocol": "HTTP", "actions": [TO_HTTPS]}, None),
    ({"protocol": None, "actions": [TO_HTTPS]}, None),
    ({"protocol": "TLS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}, None),
    ({"protocol": "TCP"}, None),
    ({"protocol": "HTTPS", "ssl_policy": "Custom-TLS12"}, {POLICY: {"allowedSslPolicies": ["Custom-TLS12"]}}),
], ids=["https", "https-alias", "http-redirect", "default-protocol-redirect", "tls", "tcp", "configured-policy"])
def test_tls_listeners_pass(preview: bool, kwargs: dict[str, Any], config: dict[str, Any] | None) -> None:
    found = evaluate(lambda: _listener(**kwargs), preview=preview, pack_config=config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("kwargs", "phrase"), [
    ({"protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-2016-08"}, "sslPolicy is 'ELBSecurityPolicy-2016-08'"),
    ({"protocol": "HTTPS", "ssl_policy": None}, "sslPolicy is absent (AWS default ELBSecurityPolicy-2016-08"),
    ({"protocol": "HTTPS", "certificate": False}, "it has no certificateArn"),
    ({"protocol": "TLS", "ssl_policy": "ELBSecurityPolicy-TLS-1-1-2017-01"}, "not a TLS 1.2+ policy"),
    ({"protocol": "HTTP"}, "plain HTTP serves traffic (default action 0 is 'fixed-response'"),
    ({"protocol": "HTTP", "actions": [{**TO_HTTPS, "redirect": {"protocol": "#{protocol}"}}]},
     "default action 0 is 'redirect' to protocol '#{protocol}'"),
], ids=["old-policy", "default-policy", "no-certificate", "tls-old-policy", "http-serves", "redirect-keeps-http"])
def test_weak_listener_is_violation(preview: bool, kwargs: dict[str, Any], phrase: str) -> None:
    found = findings(evaluate(lambda: _listener(**kwargs), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:lb/listener:Listener::listener", phrase)

"""alb-tls-listeners: listeners terminate TLS 1.2+ with a certificate; plain HTTP only redirects to HTTPS.

For `aws:lb/listener:Listener` and its alias `aws:alb/listener:Listener`, by `protocol`:

- `HTTPS`: `sslPolicy` is one of the allowed policies (config `allowedSslPolicies`; absent means the AWS
  default ELBSecurityPolicy-2016-08, which still accepts TLS 1.0) and `certificateArn` is set (an
  unknown ARN counts as set).
- `HTTP` (also when `protocol` is absent: the AWS default for application load balancers): every
  default action is a `redirect` whose `protocol` is `HTTPS`.
- `TLS` (network load balancers): `sslPolicy` is one of the allowed policies.
- `TCP`, `UDP`, `TCP_UDP`, `GENEVE`: not judged.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import is_set, is_unknown, known, plain
from connect_guardrails.util import config_of

LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
DEFAULT_SSL_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
]


def _ssl_problem(args: ResourceValidationArgs, allowed: list[str]) -> str | None:
    policy = known(args.props, "sslPolicy")
    if policy in allowed:
        return None
    shown = "absent (AWS default ELBSecurityPolicy-2016-08, TLS 1.0+)" if not policy else repr(policy)
    return f"sslPolicy is {shown}, not a TLS 1.2+ policy of the allowed list (policy config allowedSslPolicies)"


@applies_to(*LISTENERS)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """HTTPS/TLS with an allowed policy (and a certificate for HTTPS); HTTP only as a redirect to HTTPS."""
    allowed = list(config_of(args).get("allowedSslPolicies", DEFAULT_SSL_POLICIES))
    protocol = known(args.props, "protocol") or "HTTP"
    problems: list[str] = []
    if protocol in ("HTTPS", "TLS"):
        problem = _ssl_problem(args, allowed)
        if problem:
            problems.append(problem)
        if protocol == "HTTPS" and not is_set(args.props, "certificateArn"):
            problems.append("it has no certificateArn")
    elif protocol == "HTTP":
        actions = plain(known(args.props, "defaultActions"))
        for index, action in enumerate(actions or []):
            action = action if isinstance(action, dict) else {}
            kind, redirect = action.get("type"), action.get("redirect")
            if is_unknown(kind):
                kind = args.props["defaultActions"][index]["type"]  # raises: noted by the engine
            if kind == "redirect" and is_unknown(redirect):
                redirect = args.props["defaultActions"][index]["redirect"]  # raises: noted by the engine
            target = redirect.get("protocol") if isinstance(redirect, dict) else None
            if kind == "redirect" and is_unknown(target):
                target = args.props["defaultActions"][index]["redirect"]["protocol"]  # raises: noted
            if kind != "redirect" or target != "HTTPS":
                problems.append(
                    f"plain HTTP serves traffic (default action {index} is {kind!r}"
                    f"{'' if kind != 'redirect' else f' to protocol {target!r}'}, not a redirect to HTTPS)"
                )
        if not actions:
            problems.append("plain HTTP listener without a redirect to HTTPS")
    else:
        return
    if problems:
        report_violation(
            f"{protocol} listener '{args.name}': {'; '.join(problems)}; serve HTTPS with a TLS 1.2+ policy and let "
            f"HTTP only redirect to HTTPS",
            None,
        )


RULE = Rule(
    id="alb-tls-listeners", kind="resource", severity="high", check=check,
    description="Listeners are HTTPS with a TLS 1.2+ policy; HTTP only redirects to HTTPS.",
    anchors=("FSBP ELB.1", "FSBP ELB.17", "CKV_AWS_103"),
    iso27001=("A.5.14", "A.8.24"), ccm=("CEK-03", "CEK-04", "IVS-03"),
    remediation=(
        "Use protocol='HTTPS' with ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06' and a certificate_arn; give "
        "any HTTP listener a single default action of type 'redirect' with redirect.protocol='HTTPS'."
    ),
    config={
        "allowedSslPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_SSL_POLICIES,
            "description": "Security policies an HTTPS or TLS listener may use (TLS 1.2 or newer only).",
        },
    },
)

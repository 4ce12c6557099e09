"""vpn-tunnel-logging: both tunnels of every Site-to-Site VPN connection log to CloudWatch Logs.

For `aws:ec2/vpnConnection:VpnConnection`, each of `tunnel1LogOptions` and `tunnel2LogOptions` must
hold `cloudwatchLogOptions.logEnabled` true and a `cloudwatchLogOptions.logGroupArn` (an unknown ARN,
the stack's own log group in preview, counts as set). Absent options mean AWS keeps no tunnel log.
Unknown values that decide the outcome are left to the engine's "can't run policy" note, after every
provable problem is reported.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_known, is_set, is_unknown

VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
TUNNELS = (1, 2)


def _tunnel_problems(args: ResourceValidationArgs, tunnel: int, pending: Pending) -> list[str]:
    """Why one tunnel does not log to CloudWatch (empty: it does, or an unknown decides, see `pending`)."""
    key = f"tunnel{tunnel}LogOptions"
    options = pending.read(args.props, key)
    if is_unknown(options):
        return []
    cloudwatch = pending.read(args.props, key, "cloudwatchLogOptions")
    if is_unknown(cloudwatch):
        return []
    where = f"{key}.cloudwatchLogOptions"
    if not cloudwatch:
        return [f"{where} is not set"]
    problems: list[str] = []
    enabled = pending.read(args.props, key, "cloudwatchLogOptions", "logEnabled")
    if is_known(enabled) and enabled is not True:
        problems.append(f"{where}.logEnabled is not true")
    if not is_set(cloudwatch, "logGroupArn"):
        problems.append(f"{where}.logGroupArn is not set")
    return problems


@applies_to(VPN_CONNECTION)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Both tunnels: cloudwatchLogOptions.logEnabled true with a logGroupArn."""
    pending = Pending()
    problems = [problem for tunnel in TUNNELS for problem in _tunnel_problems(args, tunnel, pending)]
    if problems:
        report_violation(
            f"VPN connection '{args.name}' does not log both tunnels to CloudWatch ({'; '.join(problems)}); set "
            f"tunnel1_log_options and tunnel2_log_options with cloudwatch_log_options(log_enabled=True, "
            f"log_group_arn=<encrypted log group>.arn)",
            None,
        )
    pending.settle()


RULE = Rule(
    id="vpn-tunnel-logging", kind="resource", severity="medium", check=check,
    description="Both tunnels of each Site-to-Site VPN connection log to CloudWatch Logs.",
    anchors=("FSBP EC2.171",), iso27001=("A.8.15", "A.8.21"), ccm=("IVS-03", "LOG-08"),
    remediation=(
        "On aws.ec2.VpnConnection set tunnel1_log_options=aws.ec2.VpnConnectionTunnel1LogOptionsArgs("
        "cloudwatch_log_options=aws.ec2.VpnConnectionTunnel1LogOptionsCloudwatchLogOptionsArgs(log_enabled=True, "
        "log_group_arn=group.arn, log_output_format='json')) and the same for tunnel2_log_options, where the group "
        "is a KMS-encrypted aws.cloudwatch.LogGroup."
    ),
)

"""ecr-lifecycle-policy: each ECR repository has a lifecycle policy that expires old images.

A `aws:ecr/lifecyclePolicy:LifecyclePolicy` belongs to a repository when the repository fed its
`repository` property (property dependency, known in preview), or when its known `repository` value is
the repository's known `name` (a policy written against a literal name). When a repository's name is
unknown (preview) and some policy names its repository by a literal only, the rule cannot decide and
the engine notes it.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_unknown
from connect_guardrails.util import depends_on, deps_of_type, of_type

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


def _governs(policy: PolicyResource, repo: PolicyResource) -> bool:
    if depends_on(policy, "repository", repo):
        return True
    target, name = get_raw(policy.props, "repository"), get_raw(repo.props, "name")
    known = all(isinstance(v, str) and v and not is_unknown(v) for v in (target, name))
    return known and target == name


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per repository: some lifecycle policy of the stack governs it."""
    pending = Pending()
    policies = list(of_type(args.resources, LIFECYCLE_POLICY))
    repositories = list(of_type(args.resources, REPOSITORY))
    # Policies naming a repository by a literal no repository resource fed: they may govern an unknown name.
    by_name = [p for p in policies if not deps_of_type(p, "repository", REPOSITORY)
               and isinstance(get_raw(p.props, "repository"), str) and not is_unknown(get_raw(p.props, "repository"))]
    for repo in repositories:
        if not any(_governs(policy, repo) for policy in policies):
            if by_name and is_unknown(pending.read(repo.props, "name")):
                continue
            report_violation(
                f"ECR repository '{repo.name}' has no lifecycle policy; add aws.ecr.LifecyclePolicy("
                f"repository=repo.name, policy=...) that expires untagged and old images",
                repo.urn,
            )
    pending.settle()


RULE = Rule(
    id="ecr-lifecycle-policy", level="advisory", severity="low", check=check,
    description="Each ECR repository has a lifecycle policy.",
    anchors=("FSBP ECR.3",), iso27001=("A.8.10",), ccm=("DSP-16",),
    remediation=(
        "Add aws.ecr.LifecyclePolicy(repository=repo.name, policy=...) per repository, expiring untagged images "
        "after a few days and keeping only the newest tagged images."
    ),
)

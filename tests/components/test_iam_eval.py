"""The test IAM evaluator's semantics (tests/components/iam_eval.py), each against AWS's documented behaviour:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html."""

from __future__ import annotations

from typing import Any

import pytest

from tests.components.iam_eval import (
    Request,
    UnsupportedPolicy,
    action_matches,
    conditions_hold,
    decide,
    is_allowed,
    resource_matches,
)

ROLE = "arn:aws:iam::111111111111:role/app"
BOUNDARY = "arn:aws:iam::111111111111:policy/connect-workload-boundary"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_nothing_allowed_is_an_implicit_deny() -> None:
    assert decide([], Request("s3:GetObject", "arn:aws:s3:::b/k")) == "ImplicitDeny"
    assert decide([_policy({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"})],
                  Request("s3:GetObject", "arn:aws:s3:::b/k")) == "ImplicitDeny"


def test_explicit_deny_wins_over_any_allow_in_any_policy() -> None:
    allow = _policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny = _policy({"Effect": "Deny", "Action": "iam:PutRolePolicy", "Resource": ROLE})
    request = Request("iam:PutRolePolicy", ROLE)
    assert decide([allow, deny], request) == decide([deny, allow], request) == "Deny"
    assert decide([allow, deny], Request("iam:PutRolePolicy", "arn:aws:iam::111111111111:role/other")) == "Allow"


def test_actions_match_case_insensitively_with_wildcards() -> None:
    assert action_matches("s3:Get*", "s3:GetObject") and action_matches("S3:getobject", "s3:GetObject")
    assert action_matches("iam:*RolePolicy", "iam:PutRolePolicy")
    assert action_matches("ec2:Describe?pcs", "ec2:DescribeVpcs")
    assert not action_matches("s3:Get*", "s3:PutObject") and not action_matches("s3:Get", "s3:GetObject")
    assert action_matches("*", "iam:CreateRole")


def test_not_action_applies_to_every_other_action() -> None:
    deny = _policy({"Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"], "Resource": ROLE})
    assert decide([deny], Request("iam:GetRole", ROLE)) == "ImplicitDeny"
    assert decide([deny], Request("iam:PutRolePolicy", ROLE)) == "Deny"
    assert decide([deny], Request("sts:AssumeRole", ROLE)) == "Deny"  # any service's action on that resource


def test_resources_match_field_by_field_and_case_sensitively() -> None:
    assert resource_matches("*", "arn:aws:s3:::anything")
    assert resource_matches("arn:aws:ec2:us-east-1:111111111111:*", "arn:aws:ec2:us-east-1:111111111111:vpc/vpc-1")
    assert not resource_matches("arn:aws:ec2:us-east-1:111111111111:*", "arn:aws:ec2:us-west-2:111111111111:vpc/v")
    assert resource_matches("arn:aws:logs:*:111111111111:log-group:/connect/acme-*",
                            "arn:aws:logs:us-east-1:111111111111:log-group:/connect/acme-prod/x:*")
    assert not resource_matches("arn:aws:s3:::Acme-*", "arn:aws:s3:::acme-prod")
    # a region wildcard stays in the region field: it never spans into the account
    assert not resource_matches("arn:aws:kms:*:111111111111:key/*", "arn:aws:kms:us-east-1:222222222222:key/k")


def test_not_resource_applies_to_every_other_resource() -> None:
    deny = _policy({"Effect": "Deny", "Action": "s3:GetObject*", "NotResource": "arn:aws:s3:::logs-*/*"})
    assert decide([deny], Request("s3:GetObject", "arn:aws:s3:::data/k")) == "Deny"
    assert decide([deny], Request("s3:GetObject", "arn:aws:s3:::logs-alb/k")) == "ImplicitDeny"


def test_a_condition_key_missing_from_the_request_does_not_match() -> None:
    create = _policy({"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*",
                      "Condition": {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}})
    assert decide([create], Request("iam:CreateRole", ROLE)) == "ImplicitDeny"
    assert decide([create], Request("iam:CreateRole", ROLE, {"iam:PermissionsBoundary": BOUNDARY})) == "Allow"
    assert decide([create], Request("iam:CreateRole", ROLE, {"iam:PermissionsBoundary": BOUNDARY + "x"})) \
        == "ImplicitDeny"


def test_negated_operators_hold_when_the_key_is_missing() -> None:
    assert conditions_hold({"StringNotEquals": {"aws:PrincipalAccount": "111111111111"}}, {})
    assert conditions_hold({"ArnNotEquals": {"aws:SourceArn": ROLE}}, {})
    assert not conditions_hold({"StringNotEquals": {"aws:PrincipalAccount": "111111111111"}},
                               {"aws:PrincipalAccount": "111111111111"})
    assert conditions_hold({"StringNotLike": {"s3:prefix": "private/*"}}, {"s3:prefix": "public/a"})


def test_if_exists_and_null() -> None:
    assert conditions_hold({"StringEqualsIfExists": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}, {})
    assert not conditions_hold({"StringEqualsIfExists": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                               {"iam:PassedToService": "lambda.amazonaws.com"})
    assert conditions_hold({"Null": {"aws:ResourceTag/owner": "true"}}, {})
    assert not conditions_hold({"Null": {"aws:ResourceTag/owner": "false"}}, {})


def test_values_are_ored_keys_and_operators_are_anded() -> None:
    condition: dict[str, dict[str, Any]] = {
        "StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com", "backup.amazonaws.com"],
                         "aws:RequestedRegion": "us-east-1"},
        "Bool": {"aws:SecureTransport": "true"}}
    context: dict[str, Any] = {"iam:PassedToService": "backup.amazonaws.com", "aws:RequestedRegion": "us-east-1",
                               "aws:SecureTransport": True}
    assert conditions_hold(condition, context)
    assert not conditions_hold(condition, {**context, "aws:RequestedRegion": "eu-west-1"})
    assert not conditions_hold(condition, {**context, "aws:SecureTransport": "false"})
    assert conditions_hold({"StringEquals": {"IAM:passedtoservice": "backup.amazonaws.com"}}, context)  # key case


def test_like_and_arn_operators() -> None:
    assert conditions_hold({"StringLike": {"kms:ViaService": "backup.*.amazonaws.com"}},
                           {"kms:ViaService": "backup.us-east-1.amazonaws.com"})
    assert conditions_hold({"ArnLike": {"aws:SourceArn": "arn:aws:events:*:111111111111:rule/*"}},
                           {"aws:SourceArn": "arn:aws:events:us-east-1:111111111111:rule/r"})
    assert conditions_hold({"ArnEquals": {"iam:PolicyARN": ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"]}},
                           {"iam:PolicyARN": "arn:aws:iam::aws:policy/B"})
    assert not conditions_hold({"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/A"}},
                               {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"})


def test_set_operators() -> None:
    aliases = {"kms:ResourceAliases": ["alias/other", "alias/connect/acme-prod"]}
    assert conditions_hold({"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/connect/acme-prod"}}, aliases)
    assert not conditions_hold({"ForAllValues:StringEquals": {"kms:ResourceAliases": "alias/connect/acme-prod"}},
                               aliases)
    assert not conditions_hold({"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/x"}}, {})
    assert conditions_hold({"ForAllValues:StringEquals": {"aws:TagKeys": "a"}}, {})  # vacuous truth
    with pytest.raises(UnsupportedPolicy):
        conditions_hold({"StringEquals": {"kms:ResourceAliases": "alias/x"}}, aliases)


def test_a_boundary_caps_what_the_role_policy_allows() -> None:
    admin = _policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    boundary = _policy({"Effect": "Allow", "Action": ["s3:GetObject", "logs:PutLogEvents"], "Resource": "*"},
                       {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    assert is_allowed([admin], Request("iam:CreateRole", ROLE))
    assert not is_allowed([admin], Request("iam:CreateRole", ROLE), boundary)
    assert is_allowed([admin], Request("s3:GetObject", "arn:aws:s3:::b/k"), boundary)
    assert not is_allowed([admin], Request("ec2:RunInstances", "*"), boundary)  # outside the boundary
    assert not is_allowed([], Request("s3:GetObject", "arn:aws:s3:::b/k"), boundary)  # the boundary grants nothing


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::${aws:username}/*"},
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}},
    {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
], ids=["policy-variable", "numeric-operator", "resource-policy"])
def test_what_it_does_not_model_is_refused(statement: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedPolicy):
        decide([_policy(statement)], Request("s3:GetObject", "arn:aws:s3:::b/k", {"s3:max-keys": "5"}))

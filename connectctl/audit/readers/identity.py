"""IAM roles and policies, KMS keys: `aws:iam/*` and `aws:kms/key:Key` resources.

Roles and customer managed policies are the stack's when tagged for it (GetRole and GetPolicy answer the tags;
ListRoles does not), and so are the policies its roles use: every inline policy (`RolePolicy`) and every attached
managed policy (`RolePolicyAttachment`: AWS does not know whether the program attached it exclusively), and the
documents of the customer managed ones. Service-linked roles (path `/aws-service-role/`) are AWS's. KMS keys are the
stack's when they are customer managed and tagged for it; their key policy and rotation are read with them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from connectctl.audit.readers import Reader, Scope, compact, optional, tag_map
from connectctl.audit.view import LiveResource

ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT, POLICY = "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policy:Policy"
KEY = "aws:kms/key:Key"
SERVICE_LINKED = "/aws-service-role/"


def _document(value: Any) -> str:
    """A policy document as JSON text, as the program writes it (IAM answers it URL-encoded or decoded)."""
    if isinstance(value, str):
        return unquote(value)
    return json.dumps(value)


def read_iam(scope: Scope, region: str) -> None:
    """Roles tagged for the stack, their inline and attached policies, and the customer managed policies they use or
    that are tagged for the stack."""
    iam = scope.client("iam", region)
    attached: dict[str, None] = {}
    for listed in scope.pages(iam, "list_roles", "Roles"):
        if str(listed.get("Path", "")).startswith(SERVICE_LINKED):
            continue
        # ListRoles answers neither tags nor the permissions boundary; GetRole does
        # (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html).
        role = iam.get_role(RoleName=listed["RoleName"])["Role"]
        tags = tag_map(role.get("Tags"))
        if not scope.ours(tags):
            continue
        name = role["RoleName"]
        scope.add(LiveResource(ROLE, name, region, compact({
            "name": name, "path": role.get("Path"), "assumeRolePolicy": _document(role.get("AssumeRolePolicyDocument")),
            "description": role.get("Description") or None, "maxSessionDuration": role.get("MaxSessionDuration"),
            "permissionsBoundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "tags": tags}), name, role["Arn"], names=(name,)))
        for policy_name in scope.pages(iam, "list_role_policies", "PolicyNames", RoleName=name):
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            scope.add(LiveResource(ROLE_POLICY, f"{name}:{policy_name}", region, {
                "role": name, "name": policy_name, "policy": _document(document)}, f"{name}:{policy_name}"))
        for policy in scope.pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
            arn = policy["PolicyArn"]
            scope.add(LiveResource(ATTACHMENT, f"{name}:{policy['PolicyName']}", region, {
                "role": name, "policyArn": arn}, f"{name}-{arn}"))
            if f":{scope.account}:policy/" in arn:
                attached[arn] = None
    for listed in scope.pages(iam, "list_policies", "Policies", Scope="Local"):
        arn = listed["Arn"]
        if arn in attached:
            continue
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        if scope.ours(tag_map(policy.get("Tags"))):
            attached[arn] = None
    for arn in attached:
        found = optional(iam.get_policy, "NoSuchEntity", PolicyArn=arn)
        if found is None:
            continue
        policy = found["Policy"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        scope.add(LiveResource(POLICY, policy["PolicyName"], region, compact({
            "name": policy["PolicyName"], "path": policy.get("Path"), "description": policy.get("Description"),
            "policy": _document(version.get("Document")), "tags": tag_map(policy.get("Tags"))}), arn, arn))


def read_keys(scope: Scope, region: str) -> None:
    """Customer managed KMS keys tagged for the stack, with their key policy and rotation."""
    kms = scope.client("kms", region)
    for listed in scope.pages(kms, "list_keys", "Keys"):
        key = kms.describe_key(KeyId=listed["KeyId"])["KeyMetadata"]
        if key.get("KeyManager") != "CUSTOMER":
            continue
        tags = tag_map(list(scope.pages(kms, "list_resource_tags", "Tags", KeyId=key["KeyId"])))
        if not scope.ours(tags):
            continue
        key_id = key["KeyId"]
        rotation = optional(kms.get_key_rotation_status, ("KMSInvalidStateException", "UnsupportedOperationException"),
                            KeyId=key_id)
        policy = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
        scope.add(LiveResource(KEY, key_id, region, compact({
            "description": key.get("Description") or None, "keyUsage": key.get("KeyUsage"),
            "customerMasterKeySpec": key.get("KeySpec") or key.get("CustomerMasterKeySpec"),
            "multiRegion": key.get("MultiRegion"),
            "enableKeyRotation": bool(rotation.get("KeyRotationEnabled")) if rotation is not None else None,
            "policy": policy, "tags": tags}), key_id, key.get("Arn"), {"keyId": key_id}))


READERS = (
    Reader("iam", "iam", ("ListRoles", "GetRole", "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies",
                          "ListPolicies", "GetPolicy", "GetPolicyVersion"),
           (ROLE, ROLE_POLICY, ATTACHMENT, POLICY), read_iam, "global"),
    Reader("kms keys", "kms", ("ListKeys", "DescribeKey", "ListResourceTags", "GetKeyRotationStatus", "GetKeyPolicy"),
           (KEY,), read_keys),
)

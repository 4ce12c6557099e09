"""`connectctl diff`: what a stack-file change will do, offline (registered on the main app by `register`).

Both stack files (or one stack file at a git revision and in the working tree) are planned with the real
program (`plan_stack`, update mode: every value known and stable per URN), and the two plans are compared by
URN the way the engine compares a program with its state:

- **created**: only in the new plan; **deleted**: only in the old one;
- **updated**: the *inputs* differ (computed outputs and mock IDs are not compared; a property listed in the
  resource's `ignoreChanges` is not either). JSON documents held in string inputs (policies, container
  definitions) are compared as documents, so a change names the path inside them;
- **replaced**: a changed input is one that forces replacement for the resource's type (`FORCE_NEW`, from the
  provider's schema), or its provider changed or is replaced (pulumi-aws replaces a provider whose `region`
  changes, and the engine replaces every resource of a replaced provider).

Replacement cascades. A replaced resource gets new IDs and ARNs, unknown until it exists, as
`pulumi preview` shows them. So a property of another resource that depends on it (the engine's
`propertyDependencies`) changes: when that property forces replacement (a subnet's `vpcId`), the dependent is
replaced too, otherwise it is updated (an ECS service's subnets). This runs to a fixed point. Two more rules:
a property that depends on a replaced resource is assumed to change even when it only carries an unchanged
name (conservative: it errs towards "replace"); and AWS refuses some moves the provider would attempt in place
(`VPC_BOUND`): a DB subnet group cannot take subnets of another VPC while its cluster lives in it, a load
balancer cannot change VPC. When the VPC they hang from is replaced, they are replaced, and what depends on
them cascades (a database cluster's `dbSubnetGroupName` forces replacement).

Protection: a protected resource that would be replaced or deleted (`pulumi up` stops at it) is flagged first,
and makes the exit code 1. Secrets never appear: values are masked as `connectctl plan` masks them, and a
changed `secure:` value (different ciphertext, same offline stand-in) shows as a changed `[secret]` property of
every resource that uses it.

The package, one module per concern: `force_new` (the provider's replacement table), `model` (what a diff is),
`compare` (two plans compared), `stackfiles` (which stack files, git access), `render` (text and markdown) and
`command` (the CLI). Its public names are importable from `connectctl.diff`.
"""

from __future__ import annotations

from connectctl.diff.command import EXIT_PROTECTED, diff, register
from connectctl.diff.compare import diff_plans
from connectctl.diff.force_new import FORCE_NEW, REGIONLESS, VPC_BOUND, VPC_TYPE, force_new
from connectctl.diff.model import ABSENT, Action, Change, ResourceDiff, StackDiff
from connectctl.diff.render import DiffFormat, render_markdown, render_text
from connectctl.diff.stackfiles import DiffError, base_stack_files, diff_base, diff_files, display_path, stack_file_path

__all__ = [
    "ABSENT", "EXIT_PROTECTED", "FORCE_NEW", "REGIONLESS", "VPC_BOUND", "VPC_TYPE", "Action", "Change", "DiffError",
    "DiffFormat", "ResourceDiff", "StackDiff", "base_stack_files", "diff", "diff_base", "diff_files", "diff_plans",
    "display_path", "force_new", "register", "render_markdown", "render_text", "stack_file_path",
]

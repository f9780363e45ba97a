"""`make plan`: what a deploy will do to each stack and resource, before CloudFormation does it.

The synthesized assembly is compared with a base (what the last `make deploy` recorded, a cloud
assembly directory, or a git ref synthesized on the spot) by the CDK's own diff engine,
`@aws-cdk/cloudformation-diff` (tools/plan/diff.mjs), which says per resource whether
CloudFormation adds, updates, replaces, deletes or orphans it, where it and the resource schemas
disagree decided by the schemas as CloudFormation decides (tools/plan/schema_impact.py). The
platform's rules
(tools/plan/rules/) then refuse the changes CloudFormation or EKS would fail on halfway, or that
would lose data, each with the sequence of deploys that works instead. docs/changing.md is the
user's guide.
"""

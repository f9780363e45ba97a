"""Each plan rule on small hand-made (before, after) template pairs (tests/plan/helpers/cases.py): a
failing and a passing case at least, planned with the real diff engine."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.plan.helpers.cases import CERTIFICATE_A, CERTIFICATE_B, E1, RULE_CASES
from tests.plan.helpers.templates import addon, eks_cluster, stack, state, topic
from tools.plan.model import Plan, Refusal, StackTemplate

CASES = RULE_CASES


@pytest.fixture(scope="module")
def plans(planned: dict[str, Plan]) -> dict[str, Plan]:
    return planned


@pytest.mark.parametrize("name", list(CASES))
def test_rule_outcome(name: str, plans: dict[str, Plan]) -> None:
    """Each case is refused by exactly the rules it names, each refusal with a reason and at
    least one step; the others plan clean."""
    plan = plans[name]
    assert plan.rules == sorted(CASES[name].refused)
    assert plan.refused == bool(CASES[name].refused)
    assert len(plan.stages) == CASES[name].stages
    for refusal in plan.refusals:
        assert refusal.reason
        assert refusal.steps


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    from tools.plan.rules import RULE_IDS

    refused = {rule for case in CASES.values() for rule in case.refused}
    assert refused == set(RULE_IDS)
    assert any(not case.refused for case in CASES.values())


def test_export_in_use_names_the_importer_and_the_two_deploys(plans: dict[str, Plan]) -> None:
    (refusal,) = plans["export removed while imported"].refusals
    assert refusal.subject == E1
    assert f"Export {E1} cannot be deleted as it is in use by consumer" in refusal.reason
    assert len(refusal.steps) == 2
    assert "export_value" in refusal.steps[0]


def test_an_importer_that_needs_nothing_new_is_deployed_first_alone(plans: dict[str, Plan]) -> None:
    """consumer moves from E1 to E2, which the deployed producer exports already: deploying it
    alone first frees E1, with no code change (no export_value)."""
    (refusal,) = plans["export removed while its importer moves to one deployed already"].refusals
    assert refusal.steps == (
        f'First deploy the importers alone: `make deploy STACKS="consumer"` (their new templates '
        f"no longer import {E1}, and everything they do import is exported already).",
        f"Then `make deploy`: nothing imports {E1} any more.",
    )
    # Deployed without the importer (STACKS=producer), the plan does not know its new template.
    name = "export removed while its importer, not deployed, would move to one deployed already"
    (unknown,) = plans[name].refusals
    assert "export_value" in unknown.steps[0]


def test_an_export_only_a_stack_outside_the_app_imports_is_freed_by_its_destroy(
    plans: dict[str, Plan],
) -> None:
    (refusal,) = plans["export removed while its only importer left the app"].refusals[:1]
    assert refusal.rule == "export-in-use"
    assert "consumer left the app" in refusal.steps[0]
    assert refusal.steps[0].endswith('`make destroy-stacks ENV=test STACKS="consumer"`.')
    assert "export_value" not in " ".join(refusal.steps)


def test_an_importer_outside_the_app_is_destroyed_before_the_others_move(
    plans: dict[str, Plan],
) -> None:
    """One importer moves to the new export, the other left the app: it is never deployed again,
    so the steps destroy it first, and the export_value steps name only the one that moves."""
    plan = plans["export removed while one importer moves and another left the app"]
    (refusal,) = [r for r in plan.refusals if r.rule == "export-in-use"]
    assert "consumer and other import it" in refusal.reason
    assert refusal.steps[0].startswith("other left the app")
    assert 'make destroy-stacks ENV=test STACKS="other"' in refusal.steps[0]
    assert "export_value" in refusal.steps[1]
    assert "importers (consumer) move" in refusal.steps[1]
    assert len(refusal.steps) == 3


def test_a_replaced_export_is_said_to_change(plans: dict[str, Plan]) -> None:
    (refusal,) = plans["exported resource replaced while imported"].refusals
    assert "producer changes export" in refusal.reason
    assert "which is replaced" in refusal.reason


def test_swap_sequence_moves_one_rule_to_a_free_priority(plans: dict[str, Plan]) -> None:
    refusals = plans["two rules swap priorities"].refusals
    assert refusals
    assert all("PriorityInUse" in refusal.reason for refusal in refusals)
    assert any("free priority (3)" in refusal.steps[0] for refusal in refusals)


def test_a_replaced_vpc_cannot_take_its_gateway_and_address_again(
    plans: dict[str, Plan],
) -> None:
    """The attachment and the NAT gateway replaced with the VPC (and its subnet) would take the
    internet gateway and the Elastic IP their old copies hold until the cleanup: refused, naming
    EC2's error and the way out (keep the network, or rebuild it)."""
    case = "the VPC's CIDR changed: its gateway and address taken again by the replacements"
    refusals = plans[case].refusals
    assert sorted(refusal.subject for refusal in refusals) == ["Attachment", "Nat"]
    for refusal in refusals:
        assert "Resource.AlreadyAssociated" in refusal.reason
        assert "its old copy, deleted only after the new one is created" in refusal.reason
        assert "network.vpc_cidr" in refusal.steps[0]
        assert "make destroy" in refusal.steps[1]
    first_steps = {refusal.subject: refusal.steps[0] for refusal in refusals}
    assert "EC2 lets go of the internet gateway only once" in first_steps["Attachment"]
    assert "EC2 lets go of the Elastic IP only once" in first_steps["Nat"]
    reasons = " ".join(refusal.reason for refusal in refusals)
    assert "attachment (InternetGatewayId Ref Igw)" in reasons
    assert "address (AllocationId (computed))" in reasons


def test_a_name_an_orphaned_resource_holds_is_refused_with_the_import(
    plans: dict[str, Plan],
) -> None:
    (refusal,) = plans["a name an orphaned repository holds, taken again"].refusals
    assert refusal.subject == "Repo"
    assert "registry/Repo holds: removed from its stack by an earlier deploy" in refusal.reason
    assert "already exists" in refusal.reason
    assert "make retained-resources" in refusal.steps[0]
    assert "PLAN_ACCEPT=fixed-name" in refusal.steps[1]


def test_a_name_the_account_holds_outside_every_stack_is_refused_with_the_import(
    plans: dict[str, Plan],
) -> None:
    (refusal,) = plans["a name the account holds outside every stack, taken"].refusals
    assert refusal.subject == "Repo"
    assert "which a resource in the account already holds outside every stack" in refusal.reason
    assert "already exists" in refusal.reason
    assert "make retained-resources" in refusal.steps[0]
    assert "finds the name held by its stack (imported), or free" in refusal.steps[1]


def test_rename_sequence_removes_the_old_rule_first(plans: dict[str, Plan]) -> None:
    (refusal,) = plans["renamed rule takes its predecessor's priority"].refusals
    assert "deleted only at the end of its stack's update" in refusal.reason
    assert refusal.steps[0].startswith("Remove the old one first and `make deploy`")
    assert "a free priority (2)" in refusal.steps[0]


def test_a_retained_holder_keeps_its_name_until_deleted_by_hand(plans: dict[str, Plan]) -> None:
    """Removing a retained named resource from its stack orphans it with its name: the steps
    say to delete it (or import it as the new one) before the new one is created, where an
    unretained holder's removal frees the name."""
    (kept,) = [
        r
        for r in plans["retained named repository under a new logical id"].refusals
        if r.rule == "fixed-name"
    ]
    assert "is retained (DeletionPolicy Retain)" in kept.steps[1]
    assert "delete it by hand" in kept.steps[1]
    assert "`cdk import` it" in kept.steps[1]
    (freed,) = plans["named repository under a new logical id"].refusals
    assert freed.steps[-1] == "Then `make deploy`: the name is free."


def test_a_stack_that_left_the_app_says_what_its_destroy_leaves_behind(
    plans: dict[str, Plan],
) -> None:
    (refusal,) = plans["a stack with retained resources the app no longer has"].refusals
    assert refusal.reason.endswith(
        "; destroying it leaves what it retains in the account, outside any stack: Queue"
    )
    (plain,) = plans["a stack the app no longer has"].refusals
    assert "retains" not in plain.reason


def test_a_stack_that_left_the_app_is_destroyed_after_its_importers_move(
    plans: dict[str, Plan],
) -> None:
    """CloudFormation refuses to delete a stack another imports from: the importer that stays is
    deployed alone first (accepting this refusal, which stands until the destroy)."""
    (refusal,) = plans["a stack the app no longer has, imported by one that stays"].refusals
    assert "refuses to delete it while consumer imports its exports" in refusal.reason
    assert refusal.steps[0] == (
        'First deploy consumer alone: `make deploy STACKS="consumer" PLAN_ACCEPT=stack-left-app` '
        "(the new templates no longer import from producer)."
    )
    assert (
        refusal.steps[1]
        == 'Then destroy producer: `make destroy-stacks ENV=test STACKS="producer"`.'
    )
    assert refusal.steps[2] == "Then `make deploy`."
    name = "a stack the app no longer has, imported by one not deployed"
    (unknown,) = plans[name].refusals
    assert unknown.steps[0].startswith(
        "First deploy consumer with a config in which they import nothing from producer"
    )


def test_a_rule_left_in_a_stack_outside_the_app_keeps_its_priority(
    plans: dict[str, Plan],
) -> None:
    (refusal,) = [
        r
        for r in plans["a new rule at a priority its old stack keeps"].refusals
        if r.rule == "unique-key"
    ]
    assert "its stack is not in the app any more" in refusal.reason
    assert "make deploy STACKS=svc1" in refusal.steps[0]
    assert plans["a new rule at a priority its old stack keeps"].rules == [
        "stack-left-app",
        "unique-key",
    ]


def test_a_change_eks_refuses_cannot_be_accepted(plans: dict[str, Plan]) -> None:
    """A downgrade or a skip of a minor is refused by EKS itself: PLAN_ACCEPT leaves it refused
    and the report offers no accept; a change left to be finished by hand can be accepted."""
    from tools.plan.report import render_text as render

    (downgrade,) = plans["downgrade accepted"].refusals
    assert not downgrade.accepted
    assert plans["downgrade accepted"].refused
    assert "PLAN_ACCEPT=kubernetes-version does not apply" in render(plans["downgrade"])
    assert "PLAN_ACCEPT=kubernetes-version does not apply" in render(plans["two minors at once"])
    behind = render(plans["upgrade leaving node groups and add-ons behind"])
    assert "PLAN_ACCEPT=kubernetes-version deploys anyway" in behind


def test_kubernetes_refusals_give_the_version_steps(plans: dict[str, Plan]) -> None:
    (behind,) = plans["upgrade leaving node groups and add-ons behind"].refusals
    assert "node group Nodes (Version unset)" in behind.reason
    assert "add-on vpc-cni" in behind.reason
    assert "aws eks update-nodegroup-version --cluster-name cp-test" in behind.steps[1]
    (skip,) = plans["two minors at once"].refusals
    assert "Set eks.kubernetes_version to 1.35" in skip.steps[0]
    (down,) = plans["downgrade"].refusals
    assert "cannot downgrade" in down.reason


def test_an_addon_refusal_steps_through_each_minor(plans: dict[str, Plan]) -> None:
    """The next minor in the change's direction first, listed for the cluster's version; a
    change of major has no next minor to name; only the add-on that moved too far is refused."""
    (up,) = plans["vpc-cni two minors up"].refusals
    assert up.subject == "VpcCni"
    assert "goes from v1.20.0-eksbuild.1 to v1.22.4-eksbuild.3" in up.reason
    assert up.steps[0].startswith("Set eks.addons.vpc-cni.version to the latest v1.21.x build")
    assert "--addon-name vpc-cni --kubernetes-version 1.36" in up.steps[0]
    assert "until v1.22.4-eksbuild.3" in up.steps[1]
    (down,) = plans["vpc-cni two minors down"].refusals
    assert "the latest v1.21.x build" in down.steps[0]
    (major,) = plans["vpc-cni to another major"].refusals
    assert major.steps[0].startswith("Choose the versions between v1.22.4-eksbuild.3 and v2.0.0")
    (agent,) = plans["pod identity agent two minors up, vpc-cni one"].refusals
    assert agent.subject == "EksPodIdentityAgent"
    assert "the latest v1.2.x build" in agent.steps[0]


def test_an_upgrade_policy_refusal_says_since_when_and_where_to_upgrade(
    plans: dict[str, Plan],
) -> None:
    """On the plan's day 1.32 is in extended support (since 2026-03-23) and 1.35 and 1.36 are on
    standard support; a version moved in the same deploy goes first, in a deploy of its own."""
    (kept,) = plans["extended support disabled in extended support"].refusals
    assert "Kubernetes 1.32, in extended support since 2026-03-23" in kept.reason
    assert kept.steps[0] == "Keep eks.upgrade_policy EXTENDED."
    assert "(1.35, 1.36)" in kept.steps[1]
    (moving,) = plans["extended support disabled by default, upgrading in the same deploy"].refusals
    assert "since 2026-12-02" in moving.reason
    assert "this deploy also moves it to 1.35: deploy that first" in moving.steps[0]


def test_stateful_refusal_says_what_stays_behind(plans: dict[str, Plan]) -> None:
    (replaced,) = plans["retained repository replaced"].refusals
    assert "new, empty one" in replaced.reason
    assert "images" in replaced.reason
    (removed,) = plans["retained log group removed"].refusals
    assert "orphans it" in removed.reason
    (queue,) = plans["retained worker queue removed"].refusals
    assert "with its messages not yet received" in queue.reason


def test_fixed_names_come_from_the_resource_schemas() -> None:
    """A writable primary identifier is a fixed name (read from cfn-lint's copy of the registry
    schemas); a read-only one (a generated id) is not; EXTRA_NAMES adds names outside it."""
    from tools.plan.keys import name_properties

    assert name_properties("AWS::ECR::Repository") == ("RepositoryName",)
    assert name_properties("AWS::Logs::LogGroup") == ("LogGroupName",)
    assert name_properties("AWS::EKS::Addon") == ("ClusterName", "AddonName")
    assert name_properties("AWS::ECR::PullThroughCacheRule") == ("EcrRepositoryPrefix",)
    assert name_properties("AWS::KMS::Key") == ()
    assert name_properties("AWS::ElasticLoadBalancingV2::ListenerRule") == ()
    assert name_properties("AWS::EKS::Nodegroup") == ("ClusterName", "NodegroupName")
    assert name_properties("Custom::Anything") == ()


def test_destroy_steps_name_the_environment_and_exactly_the_stacks() -> None:
    """A step that destroys deployed stacks gives `make destroy-stacks` for the plan's environment
    (it finds each stack's recorded assembly and updates the record)."""
    from tools.plan.transition import Transition

    base = {"a": stack("a", {"T": topic()})}
    transition = Transition(base=base, target=base, deployed=(), changes={}, environment="prod")
    assert transition.destroy_command(["a", "b"]) == '`make destroy-stacks ENV=prod STACKS="a b"`'


def test_an_image_from_a_new_repository_is_pushed_before_its_service_deploys(
    plans: dict[str, Plan],
) -> None:
    (refusal,) = plans["a service moves to a repository the same deploy creates"].refusals
    assert "runs an image from env/kms/app, which this deploy creates" in refusal.reason
    assert refusal.steps[0].startswith("Create the repository first: `make deploy STACKS=registry`")
    assert "make push-image" in refusal.steps[1]


def test_a_name_its_replaced_holder_keeps_is_refused_once_as_a_replacement(
    plans: dict[str, Plan],
) -> None:
    refusals = plans["a held name in the ledger, its holder replaced"].refusals
    (refusal,) = [refusal for refusal in refusals if refusal.rule == "fixed-name"]
    assert "is replaced" in refusal.reason
    assert "outside any stack" not in refusal.reason


def test_extended_support_starts_on_the_first_day_of_its_billing() -> None:
    """The release table's end of standard support is the first day of extended support."""
    from datetime import date, timedelta

    from container_constructs.eks_versions import KUBERNETES_RELEASES
    from tools.plan.rules.eks_upgrade_policy import in_extended_support

    first = KUBERNETES_RELEASES["1.34"].end_of_standard_support
    assert in_extended_support("1.34", first) == first
    assert in_extended_support("1.34", first - timedelta(days=1)) is None
    assert in_extended_support("1.99", date(2030, 1, 1)) is None
    assert in_extended_support({"Ref": "Version"}, date(2030, 1, 1)) is None


def test_auto_mode_turned_off_says_what_eks_terminates_and_deletes(plans: dict[str, Plan]) -> None:
    """The refusal names Auto Mode's three settings that go, what EKS then does, the accept and
    the clean-up after it (the user guide's leaked security groups, for the cluster's name)."""
    (refusal,) = plans["auto mode turned off"].refusals
    assert refusal.subject == "Cluster"
    assert (
        "turns EKS Auto Mode off (ComputeConfig.Enabled, "
        "KubernetesNetworkConfig.ElasticLoadBalancing.Enabled, StorageConfig.BlockStorage.Enabled "
        "no longer true)" in refusal.reason
    )
    assert "terminates every EC2 instance Auto Mode operates" in refusal.reason
    assert "deletes every load balancer it operates" in refusal.reason
    assert "`make deploy PLAN_ACCEPT=eks-auto-mode-off`" in refusal.steps[1]
    assert "Values=cp-test " in refusal.steps[2]
    assert refusal.acceptable


def test_an_efs_owner_change_names_the_deployed_owner_to_keep(plans: dict[str, Plan]) -> None:
    (refusal,) = plans["efs access point as another user"].refusals
    assert refusal.subject == "AccessPoint"
    assert "is replaced as user 65532 on /data, which EFS created owned by 101" in refusal.reason
    assert 'set the service\'s `efs.owner` to "101"' in refusal.steps[0]
    assert refusal.acceptable


def test_a_node_group_upgraded_with_other_settings_names_them(plans: dict[str, Plan]) -> None:
    """The refusal names what changes beside the version: a setting of the group itself, or a
    new version of its launch template (the group's own text unchanged)."""
    (labels,) = plans["node group upgraded with its labels"].refusals
    assert labels.subject == "Nodes"
    assert "changes Version together with Labels" in labels.reason
    assert "cannot be combined with other updates" in labels.reason
    (template,) = plans["node group upgraded with a new launch template version"].refusals
    assert "LaunchTemplate (a new version of its launch template)" in template.reason
    assert "Deploy the version change alone first" in template.steps[0]


def test_a_detached_certificate_names_its_listener_what_keeps_it_and_the_reattach(
    plans: dict[str, Plan],
) -> None:
    """The refusal names the listener, each certificate the deploy takes off it, the resource
    that lets go of it and what still attaches it; its steps are the accept and, right after,
    the exact commands that find the listener's ARN and attach each certificate again. A
    certificate nothing keeps (A, retired) is not named."""
    (refusal,) = plans["certificates by place: the first of two dropped"].refusals
    assert refusal.subject == "Http"
    assert refusal.reason.startswith(
        "listener Http in lb loses certificates its template still attaches to it: "
        f"{CERTIFICATE_B} (Additional2 is deleted; Additional1 still attaches it). "
    )
    assert "can remove its certificates from the listener by ARN (RemoveListenerCertificates" in (
        refusal.reason
    )
    assert refusal.reason.endswith(
        "get the listener's default certificate: a TLS hostname mismatch"
    )
    assert refusal.steps[1].endswith("`make deploy PLAN_ACCEPT=listener-certificate-detached`.")
    assert refusal.steps[2].startswith(
        "Right after it, attach them again: `LISTENER=$(aws cloudformation "
        "describe-stack-resource --stack-name lb --logical-resource-id Http --query "
        "StackResourceDetail.PhysicalResourceId --output text)`"
    )
    assert (
        '`aws elbv2 add-listener-certificates --listener-arn "$LISTENER" --certificates '
        f"CertificateArn={CERTIFICATE_B}` (one certificate per call" in refusal.steps[2]
    )
    assert (
        "until then, clients asking for their host names get the listener's default"
        in (refusal.steps[2])
    )
    assert CERTIFICATE_A not in refusal.reason + " ".join(refusal.steps)
    (reordered,) = plans["certificates by place: reordered"].refusals
    assert (
        f"{CERTIFICATE_A} (Additional1 is updated off it; Additional2 still attaches it); "
        f"{CERTIFICATE_B} (Additional2 is updated off it; Additional1 still attaches it)"
    ) in reordered.reason
    assert "cloudformation-coverage-roadmap#865" in reordered.reason
    (moved,) = plans["certificates moved from places to keys"].refusals
    assert moved.steps[2].count("aws elbv2 add-listener-certificates") == 2
    (default,) = plans["an additional certificate made the listener's default"].refusals
    assert "(CertB is deleted; Http (as its default certificate) still attaches it)" in (
        default.reason
    )
    (across,) = plans[
        "a certificate's resource moved to a stack deployed before its old one"
    ].refusals
    assert (across.stack, across.subject) == ("svc", "Http")
    assert "(CertA is deleted; CertA in lb still attaches it)" in across.reason


def test_every_destroy_a_refusal_prints_is_make_destroy_stacks(plans: dict[str, Plan]) -> None:
    """Never a bare `cdk destroy`: without --exclusively it also destroys the dependents of the
    named stacks in their recorded assembly, and it leaves them in the record."""
    steps = [step for plan in plans.values() for r in plan.refusals for step in r.steps]
    assert any("`make destroy-stacks ENV=test STACKS=" in step for step in steps)
    assert not [step for step in steps if "cdk destroy" in step]


_MINOR_STEP_ADDONS = ("vpc-cni", "eks-pod-identity-agent", "coredns", "metrics-server")
_versions = st.tuples(st.integers(1, 2), st.integers(0, 30), st.integers(0, 9))


@given(name=st.sampled_from(_MINOR_STEP_ADDONS), old=_versions, new=_versions)
def test_an_addon_is_refused_exactly_past_one_minor_and_its_steps_plan_clean(
    name: str, old: tuple[int, int, int], new: tuple[int, int, int]
) -> None:
    """Over every version pair: the add-ons EKS moves one minor at a time are refused exactly when
    the change crosses a major or more than one minor (the others never), and within a major
    the refusal's next minor, then the same again, reaches the target with every deploy clean."""
    from tools.plan.rules import eks_addon_version
    from tools.plan.transition import Transition

    def with_version(version: tuple[int, int, int]) -> dict[str, StackTemplate]:
        built = addon(name, "v{}.{}.{}-eksbuild.1".format(*version))
        return state(stack("eks", {"Cluster": eks_cluster("1.36"), "Addon": built}))

    def refusals(before: tuple[int, int, int], after: tuple[int, int, int]) -> list[Refusal]:
        base, target = with_version(before), with_version(after)
        transition = Transition(base=base, target=target, deployed=("eks",), changes={})
        return eks_addon_version.check(transition)

    found = refusals(old, new)
    far = old[0] != new[0] or abs(new[1] - old[1]) > 1
    assert bool(found) == (far and name in eks_addon_version.ONE_MINOR_AT_A_TIME)
    if not found or old[0] != new[0]:
        return
    current, deploys = old, 0
    while refused := refusals(current, new):
        step = re.search(r"the latest v(\d+)\.(\d+)\.x build", refused[0].steps[0])
        assert step is not None
        following = (int(step[1]), int(step[2]), 0)
        assert not refusals(current, following)
        assert abs(new[1] - following[1]) == abs(new[1] - current[1]) - 1
        current, deploys = following, deploys + 1
    assert deploys == abs(new[1] - old[1]) - 1

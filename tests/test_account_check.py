"""tools/account/check.py: zone IDs, EKS's refused zones and instance type offerings (moto).

moto's us-east-1 maps us-east-1a -> use1-az6, us-east-1b -> use1-az1, us-east-1e -> use1-az3, and
offers no instance type at all in us-east-1e (the old zone), which these tests rely on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from platform_config import Layer, load_config
from tests.helpers.early import Outcome
from tools.account.check import (
    EKS_UNSUPPORTED_ZONE_IDS,
    check_account,
    configured_instance_types,
    main,
    zone_ids,
)
from tools.account.session import read_overrides

ROOT = Path(__file__).resolve().parent.parent


def _overrides(tmp_path: Path, overrides: dict[str, Any]) -> str:
    path = tmp_path / "overrides.json"
    path.write_text(json.dumps(overrides))
    return str(path)


def test_the_eks_table_lists_the_documented_zone_ids() -> None:
    assert EKS_UNSUPPORTED_ZONE_IDS == {
        "use1-az3": "us-east-1",
        "usw1-az2": "us-west-1",
        "cac1-az3": "ca-central-1",
    }


@pytest.mark.parametrize("environment", ["sandbox", "production"])
@pytest.mark.integration
def test_the_built_in_environments_pass_on_moto(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], environment: str
) -> None:
    assert main(["--environment", environment], session=aws) == 0
    out = capsys.readouterr().out
    assert "us-east-1a       use1-az6" in out
    assert "us-east-1b       use1-az1" in out
    assert "Secrets the services read:\n  none (no ECS service reads a secret)\n" in out
    assert "No problems found." in out


def test_every_configured_instance_type_is_checked() -> None:
    uses = configured_instance_types(load_config("sandbox"))
    assert uses == {
        "t3.small": ["ecs.ec2.instance_types"],
        "t3a.medium": ["ecs.ec2.instance_types"],
        "t3.medium": ["ecs.ec2.instance_types"],
        "t4g.large": ["eks.compute.node_groups[0].instance_types"],
        "m7g.large": ["eks.compute.node_groups[0].instance_types"],
        "m6g.large": ["eks.compute.node_groups[0].instance_types"],
    }
    without_eks = configured_instance_types(
        load_config("sandbox", overrides={"eks": {"enabled": False}})
    )
    assert set(without_eks) == {"t3.small", "t3a.medium", "t3.medium"}
    without_ec2 = configured_instance_types(
        load_config("sandbox", overrides={"ecs": {"ec2": {"enabled": False}}})
    )
    assert set(without_ec2) == {"t4g.large", "m7g.large", "m6g.large"}


@pytest.mark.integration
def test_a_zone_eks_refuses_and_its_missing_offerings_fail_the_check(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    overrides = _overrides(
        tmp_path, {"network": {"availability_zones": ["us-east-1a", "us-east-1e"]}}
    )
    assert main(["--environment", "sandbox", "--overrides", overrides], session=aws) == 1
    out = capsys.readouterr().out
    assert "us-east-1e       use1-az3" in out
    problems = _problems(out)
    assert problems[0].startswith(
        "network.availability_zones: us-east-1e is use1-az3 in this account, where Amazon EKS "
        "does not create clusters"
    )
    missing = {line for line in problems if "is not offered in" in line}
    assert missing == {
        f"{path}: {instance_type} is not offered in us-east-1e (use1-az3)"
        for instance_type, paths in configured_instance_types(load_config("sandbox")).items()
        for path in paths[:1]
    }
    assert len(problems) == 1 + len(missing)


@pytest.mark.integration
def test_without_eks_the_zone_is_allowed_but_offerings_still_count(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    overrides = _overrides(
        tmp_path,
        {
            "network": {"availability_zones": ["us-east-1a", "us-east-1e"]},
            "eks": {"enabled": False},
        },
    )
    assert main(["--environment", "sandbox", "--overrides", overrides], session=aws) == 1
    problems = _problems(capsys.readouterr().out)
    assert not any("Amazon EKS" in line for line in problems)
    assert len(problems) == 3  # the three ECS instance types, none offered in us-east-1e


@pytest.mark.integration
def test_an_instance_type_not_offered_anywhere_lists_every_zone(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A made-up type in an EKS node group: ecs.ec2.instance_types must be in the capacity table
    # (platform_config/instance_capacity.py), node groups only need an instance type's shape.
    node_group = {"name": "x86", "instance_types": ["t3.large", "q9z.large"], "graviton": False}
    overrides = _overrides(tmp_path, {"eks": {"compute": {"node_groups": [node_group]}}})
    assert main(["--environment", "sandbox", "--overrides", overrides], session=aws) == 1
    out = capsys.readouterr().out
    assert re.search(r"t3\.large\s+ok\s", out)
    assert re.search(r"q9z\.large\s+missing in us-east-1a, us-east-1b", out)
    assert _problems(out) == [
        "eks.compute.node_groups[0].instance_types: q9z.large is not offered in us-east-1a "
        "(use1-az6)",
        "eks.compute.node_groups[0].instance_types: q9z.large is not offered in us-east-1b "
        "(use1-az1)",
    ]


@pytest.mark.integration
def test_a_zone_name_the_account_lacks_is_a_problem(aws: boto3.Session) -> None:
    config = load_config(
        "sandbox", overrides={"network": {"availability_zones": ["us-east-1a", "us-east-1z"]}}
    )
    report = check_account(config, aws)
    assert report.zone_ids == {"us-east-1a": "use1-az6", "us-east-1z": ""}
    assert report.problems == [
        "network.availability_zones: us-east-1z is not an available zone of account "
        "123456789012 in us-east-1"
    ]


def test_a_zone_that_is_not_available_counts_as_missing() -> None:
    class Ec2:
        def describe_availability_zones(self, **_: Any) -> dict[str, Any]:
            return {
                "AvailabilityZones": [
                    {"ZoneName": "us-east-1a", "ZoneId": "use1-az6", "State": "available"},
                    {"ZoneName": "us-east-1b", "ZoneId": "use1-az1", "State": "impaired"},
                ]
            }

    assert zone_ids(Ec2(), ["us-east-1a", "us-east-1b"]) == {"us-east-1a": "use1-az6"}


def test_missing_credentials_fail_with_one_line_and_no_traceback(
    outcome: Callable[[str], Outcome],
) -> None:
    result = outcome("check-without-credentials")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: no AWS credentials found: configure a profile (AWS_PROFILE) or export "
        "credentials, then rerun"
    ]


def test_an_unreadable_overrides_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.json"
    assert main(["--environment", "sandbox", "--overrides", str(missing)], session=object()) == 1
    assert capsys.readouterr().err.startswith(f"error: --overrides: cannot read {missing}")


def _problems(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("problem(s):"))
    return [line.removeprefix("  - ") for line in lines[start + 1 :]]


@pytest.mark.integration
def test_comma_separated_overrides_merge_in_order(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`--overrides A.json,B.json` as `make preflight-account OVERRIDES=A.json,B.json` passes it:
    B is merged over A (objects merge, lists replace), like app.py's `-c config_overrides=`."""
    first = tmp_path / "a.json"
    first.write_text(json.dumps({"network": {"availability_zones": ["us-east-1a", "us-east-1e"]}}))
    second = tmp_path / "b.json"
    second.write_text(json.dumps({"network": {"nat_gateways": 1}}))
    argv = ["--environment", "sandbox", "--overrides", f"{first},{second}"]
    assert main(argv, session=aws) == 1
    assert "us-east-1e       use1-az3" in capsys.readouterr().out
    third = tmp_path / "c.json"
    third.write_text(json.dumps({"network": {"availability_zones": ["us-east-1a", "us-east-1b"]}}))
    argv = ["--environment", "sandbox", "--overrides", f"{first}, {second},{third}"]
    assert main(argv, session=aws) == 0


def test_read_overrides_reads_each_file_as_a_layer_in_order(tmp_path: Path) -> None:
    """Each file is one layer, named by its path, merged later in order (as app.py does)."""
    (tmp_path / "a.json").write_text(json.dumps({"x": {"a": 1, "l": [1, 2]}, "y": 1}))
    (tmp_path / "b.json").write_text(json.dumps({"x": {"b": 2, "l": [3]}}))
    files = f"{tmp_path / 'a.json'},{tmp_path / 'b.json'}"
    assert read_overrides(files) == [
        Layer(str(tmp_path / "a.json"), {"x": {"a": 1, "l": [1, 2]}, "y": 1}),
        Layer(str(tmp_path / "b.json"), {"x": {"b": 2, "l": [3]}}),
    ]
    assert read_overrides(None) == []
    assert read_overrides("") == []


def test_an_overrides_file_of_a_list_names_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "ok.json").write_text("{}")
    (tmp_path / "list.json").write_text("[]")
    files = f"{tmp_path / 'ok.json'},{tmp_path / 'list.json'}"
    assert main(["--environment", "sandbox", "--overrides", files], session=object()) == 1
    assert capsys.readouterr().err == (
        f"error: --overrides: {tmp_path / 'list.json'} must hold a JSON object\n"
    )

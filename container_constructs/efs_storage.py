"""Persistent storage of one service on Amazon EFS: an encrypted file system of its own with mount
targets in the private subnets, reachable on NFS (2049) only from the service's tasks; one access
point that makes every client the app's POSIX user in a directory it owns; the task mounts it
through that access point with IAM authorization and TLS, and its role may mount and write through
that access point only."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_efs as efs
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_constructs import defaults

EFS_VOLUME = "efs"
NFS_PORT = 2049
# What an NFS client may do (EFS actions of the service authorization reference); the file
# system policy refuses each without TLS (a deny of every action would also refuse a later
# PutFileSystemPolicy, locking the policy).
CLIENT_ACTIONS = ("ClientMount", "ClientWrite", "ClientRootAccess")


@dataclass(frozen=True, kw_only=True)
class EfsStorage:
    """What `add_efs_storage` created.

    Attributes:
        file_system: the file system. Required.
        access_point: the access point the task mounts through. Required.
        security_group: the file system's security group (NFS from the tasks only). Required.
    """

    file_system: efs.FileSystem
    access_point: efs.AccessPoint
    security_group: ec2.SecurityGroup


def posix_ids(user: str) -> tuple[str, str]:
    """(uid, gid) of a numeric uid[:gid] (gid defaults to uid)."""
    uid, _, gid = user.partition(":")
    return uid, gid or uid


def add_efs_storage(
    scope: Construct,
    *,
    task_definition: ecs.TaskDefinition,
    container: ecs.ContainerDefinition,
    task_role: iam.IRole,
    vpc: ec2.IVpc,
    tasks_security_group: ec2.ISecurityGroup,
    path: str,
    user: str,
    removal_policy: RemovalPolicy,
    backups: bool,
) -> EfsStorage:
    """Add the storage (see the module doc) to `scope` (`FileSystem`, `FileSystemSecurityGroup`)
    and mount it in `container` at `path`.

    Args:
        task_definition: the service's task definition (gets the volume). Required.
        container: the app container (mounts it read-write). Required.
        task_role: the task's role (may mount and write through the access point). Required.
        vpc: the VPC of the service. Required.
        tasks_security_group: the service's tasks' group (the only NFS clients). Required.
        path: where the app sees the file system. Required.
        user: the app's numeric uid[:gid]: the access point's POSIX user and directory owner.
            Required.
        removal_policy: of the file system (RETAIN keeps the data). Required.
        backups: AWS Backup's automatic daily backups of the file system. Required.
    """
    security_group = ec2.SecurityGroup(
        scope,
        "FileSystemSecurityGroup",
        vpc=vpc,
        description="EFS of one service: NFS from its tasks only",
        allow_all_outbound=False,
    )
    security_group.add_ingress_rule(
        tasks_security_group, ec2.Port.tcp(NFS_PORT), "NFS from the tasks of the service"
    )
    file_system = efs.FileSystem(
        scope,
        "FileSystem",
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        security_group=security_group,
        encrypted=True,
        enable_automatic_backups=backups,
        removal_policy=removal_policy,
        throughput_mode=efs.ThroughputMode.ELASTIC,
        file_system_policy=iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="DenyWithoutTls",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=[f"elasticfilesystem:{action}" for action in CLIENT_ACTIONS],
                    conditions={"Bool": {"aws:SecureTransport": "false"}},
                )
            ]
        ),
    )
    uid, gid = posix_ids(user)
    access_point = file_system.add_access_point(
        "AccessPoint",
        path="/data",
        create_acl=efs.Acl(
            owner_uid=uid, owner_gid=gid, permissions=defaults.EFS_DIRECTORY_PERMISSIONS
        ),
        posix_user=efs.PosixUser(uid=uid, gid=gid),
    )
    task_definition.add_volume(
        name=EFS_VOLUME,
        efs_volume_configuration=ecs.EfsVolumeConfiguration(
            file_system_id=file_system.file_system_id,
            transit_encryption="ENABLED",
            authorization_config=ecs.AuthorizationConfig(
                access_point_id=access_point.access_point_id, iam="ENABLED"
            ),
        ),
    )
    container.add_mount_points(
        ecs.MountPoint(container_path=path, source_volume=EFS_VOLUME, read_only=False)
    )
    task_role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            resources=[file_system.file_system_arn],
            conditions={
                "StringEquals": {"elasticfilesystem:AccessPointArn": access_point.access_point_arn}
            },
        )
    )
    return EfsStorage(
        file_system=file_system, access_point=access_point, security_group=security_group
    )

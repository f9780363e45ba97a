"""What a Dockerfile's final stage declares (USER, EXPOSE), and where that disagrees with how the
service runs the image: `push` warns about it before anything is built."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from platform_config.ecs import ServiceConfig


@dataclass(frozen=True)
class DockerfileFacts:
    """What the final stage of a Dockerfile declares: its last USER (None: root) and EXPOSEd
    ports."""

    user: str | None = None
    ports: frozenset[int] = field(default_factory=frozenset)


def read_dockerfile(text: str) -> DockerfileFacts:
    """USER and EXPOSE of the final build stage (each FROM starts a stage; continuation lines
    are joined)."""
    user: str | None = None
    ports: set[int] = set()
    for line in re.sub(r"\\\n", " ", text).splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        instruction, arguments = words[0].upper(), words[1:]
        if instruction == "FROM":
            user, ports = None, set()
        elif instruction == "USER" and arguments:
            user = arguments[0]
        elif instruction == "EXPOSE":
            ports |= {int(port.split("/")[0]) for port in arguments if port.split("/")[0].isdigit()}
    return DockerfileFacts(user, frozenset(ports))


def dockerfile_warnings(facts: DockerfileFacts, service: ServiceConfig, label: str) -> list[str]:
    """Where the image disagrees with how the service runs it. The task definition sets the user
    (so the service's wins) and sends traffic to container_port."""
    warnings = []
    uid = (facts.user or "0").split(":")[0]
    if uid in ("0", "root") or not uid.isdigit():
        warnings.append(
            f"the Dockerfile's final stage runs as {facts.user or 'root (no USER)'}: declare a "
            f"numeric non-root USER (the service runs it as {service.user}; Kubernetes' "
            "runAsNonRoot needs a numeric one)"
        )
    elif facts.user != service.user:
        warnings.append(
            f"the Dockerfile's USER is {facts.user} but {label} runs it as {service.user} "
            "(`user`): files the image gives its USER are not that user's"
        )
    if service.container_port not in facts.ports:
        exposed = ", ".join(str(port) for port in sorted(facts.ports)) or "nothing"
        warnings.append(
            f"the Dockerfile EXPOSEs {exposed} but {label} sends traffic to port "
            f"{service.container_port} (`container_port`)"
        )
    return warnings

"""Cloud assemblies on disk for the plan's tests, in the shape the CDK writes them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.plan.helpers.templates import listener, load_balancer


def lb_assembly(directory: Path) -> Path:
    """A cloud assembly as the CDK writes one: a stack, its asset manifest (the template as a
    file asset under its hash) and an asset directory."""
    directory.mkdir()
    template = json.dumps({"Resources": {"Alb": load_balancer(), "Redirect": listener()}})
    digest = hashlib.sha256(template.encode()).hexdigest()
    (directory / "lb.template.json").write_text(template)
    (directory / "asset.abc").mkdir()
    (directory / "asset.abc" / "index.js").write_text("code")
    bucket = "cdk-assets-${AWS::AccountId}-us-east-1"
    (directory / "lb.assets.json").write_text(
        json.dumps(
            {
                "files": {
                    digest: {
                        "source": {"path": "lb.template.json", "packaging": "file"},
                        "destinations": {
                            "d": {"bucketName": bucket, "objectKey": f"{digest}.json"}
                        },
                    }
                }
            }
        )
    )
    manifest = {
        "artifacts": {
            "lb": {
                "type": "aws:cloudformation:stack",
                "properties": {
                    "templateFile": "lb.template.json",
                    "stackTemplateAssetObjectUrl": f"s3://{bucket}/{digest}.json",
                },
            }
        }
    }
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def staged_change(work: Path) -> list[str]:
    """A base assembly (an ALB with its redirect listener), an app that turns HTTPS off (the
    listener moves back to the redirect listener's port: a staged change) and a stages directory
    holding a stale stage 7, in `work`; the `tools.plan.cli` arguments that plan it with
    `--stages work/stages --json`."""
    base = lb_assembly(work / "base")
    app = work / "app"
    app.mkdir()
    for entry in base.iterdir():
        if entry.is_file():
            (app / entry.name).write_bytes(entry.read_bytes())
    resources = {"Alb": load_balancer(), "Web": listener()}
    (app / "lb.template.json").write_text(json.dumps({"Resources": resources}))
    stages = work / "stages"
    (stages / "7").mkdir(parents=True)
    return [
        "--environment", "test", "--assembly", str(app), "--base", str(base),
        "--stages", str(stages), "--json",
    ]  # fmt: skip

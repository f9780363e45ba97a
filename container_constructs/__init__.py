"""Reusable constructs of the container platform.

Each module imports only aws-cdk-lib, constructs, the standard library and
`container_constructs.common`, so it can be copied into another CDK app (with `common.py`).
"""

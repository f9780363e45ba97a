"""Reusable constructs of the container platform.

Each module imports only aws-cdk-lib, constructs, the standard library and the shared modules
`common` (log groups, their key), `defaults` (every prop default) and `checks` (field rules), so
it can be copied into another CDK app with those three. `defaults` and `checks` import only the
standard library: the platform's config reads them without loading aws-cdk-lib.
"""

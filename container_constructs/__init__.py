"""Reusable constructs of the container platform.

Each module imports only aws-cdk-lib, constructs, the standard library and the shared modules
`common` (log groups, their key), `defaults` (every prop default), `checks` (field rules) and
`value_formats` (ARNs, regions, account ids), so it can be copied into another CDK app with those
four. `defaults`, `checks` and `value_formats` import only the standard library: the platform's
config reads them without loading aws-cdk-lib.
"""

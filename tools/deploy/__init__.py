"""Operations around `cdk deploy` and `cdk destroy`: `deployed_stacks` records what `make deploy`
deployed so `make destroy` removes all of it, overrides or not; `retained_resources` lists the
retained resources with fixed names and writes the `cdk import` mappings that adopt them before
the next deploy (`make retained-resources`)."""

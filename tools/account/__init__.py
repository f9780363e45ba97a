"""The account tools: read an AWS account with the deployer's credentials, before and during a
deploy (never at synth). `session` holds what they share (the environment's config with its
overrides, the boto3 session, one-line errors); `bootstrap` prepares a fresh account (`make
bootstrap`), `check` checks the config against the account (`make preflight-account`; each
kind of lookup in a module of its own: `secrets`, `images`, `certificates`, `principals`,
`addons`, `quotas`, reporting `findings`), and
`caller_arn` gives the deployer's IAM principal to `make deploy` for the EKS access entry."""

"""The repository's command-line tools, each run by a make target as
`python -m tools.<part>.<module>` (the Makefile has the exact commands). None of them is part of
the deployed platform, and synth never runs them: what calls AWS does so with the deployer's
credentials, when a make target asks for it.

- `tools.docs`: generators of docs/ from the code (`make docs`, `make diagram`).
- `tools.gates`: checks of a synthesized cloud assembly (`make synth`, and so `make deploy`).
- `tools.account`: the account tools, run before and during a deploy (`make bootstrap`,
  `make preflight-account`, the deployer's principal for `make deploy`).
- `tools.deploy`: what `make deploy` records so `make destroy` removes it all, and the `cdk import`
  mappings that adopt retained resources after a destroy (`make retained-resources`).
- `tools.plan`: what a deploy will do to each stack and resource, and the changes refused before
  CloudFormation fails on them (`make plan`, and so `make deploy`).
- `tools.verify`: the post-deploy check that what was deployed is up (`make verify`).
- `tools.images`: build and push a service's image, set the image tag it runs (`make push-image`,
  `make set-image-tag`), check the pinned image digests (`make image-digests`).
"""

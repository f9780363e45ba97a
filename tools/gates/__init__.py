"""Checks of a synthesized cloud assembly that run outside synth: cfn-lint of every template in the
region it deploys to (`make synth`, and so `make deploy`, run it on what is deployed)."""

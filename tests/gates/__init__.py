"""Test-side gates over synthesized assemblies: cfn-lint, and the project's rules for
acknowledgements. The platform's own rules are the product's (`container_constructs.rules`),
run by every synth; `tests/test_gate_*.py` apply them and these to every environment."""

"""Validation gates over synthesized templates: checkers live here as readable tables; the
`tests/test_gate_*.py` modules apply them to every environment's cloud assembly."""

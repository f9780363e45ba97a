"""Generators of the documents in docs/ (and their README blocks) from the code: the architecture
diagram from a synthesized assembly, the configuration reference from the pydantic models. Run by
`make docs`; a test fails when a generated document no longer matches the code."""

"""Generators of the documents in docs/ from the code: the architecture diagram from a synthesized
assembly, the configuration reference from the pydantic models (each can also replace its marked
block in another Markdown file: `--readme`). Run by `make docs`; a test fails when a generated
document no longer matches the code."""

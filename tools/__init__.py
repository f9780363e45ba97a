"""Developer tools that generate documentation from the code (run by `make docs`)."""

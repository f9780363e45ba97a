"""Helpers the tests share: in-process apps, assemblies, the real CLI, the config space, gates."""

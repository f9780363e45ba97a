"""Deployable units of the platform: each stack composes constructs and wires grants."""

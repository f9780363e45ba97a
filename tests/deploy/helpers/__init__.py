"""Helpers of the emulator deploy tests: the moto server, CLI runs, what moto keeps."""

"""A boto3 session (moto's, in the tests) with fake clients in place of some of its own: for the
answers moto does not give (a refused call, an operation it lacks, a quota it does not know)."""

from __future__ import annotations

from typing import Any


class FakeSession:
    """`session`'s clients, but `fakes` (service name -> client) for those services."""

    def __init__(self, session: Any, **fakes: Any) -> None:
        self.session = session
        self.fakes = fakes

    def client(self, name: str, **kwargs: Any) -> Any:
        fake = self.fakes.get(name.replace("-", "_"))
        return fake if fake is not None else self.session.client(name, **kwargs)

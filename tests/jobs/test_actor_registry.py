"""The actor seam: an actor that is not declared is an error, never a silently skipped job."""

from __future__ import annotations

from typing import Any, cast

import pytest
from dramatiq.brokers.stub import StubBroker

from app.jobs import actors
from app.jobs.actors import ActorName, UnknownActor
from app.jobs.launch import enqueue_child


async def test_enqueue_child_of_an_undeclared_actor_raises() -> None:
    with pytest.raises(UnknownActor, match="no_such_actor"):
        await enqueue_child(cast(ActorName, "no_such_actor"), "x")


def test_every_actor_name_is_declared_on_the_wired_broker() -> None:
    for name in ActorName:
        assert actors.find_actor(name).actor_name == name.value


def test_wiring_a_broker_without_the_app_actors_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actors, "_broker", actors._broker)  # restored after the test
    with pytest.raises(UnknownActor) as raised:
        actors.wire(cast(Any, StubBroker()))
    assert all(name.value in str(raised.value) for name in ActorName)

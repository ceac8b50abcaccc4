"""The aiogram adapter keeps aiogram's response models alive, so they are built once."""

from __future__ import annotations

import gc

from aiogram.methods.base import Response
from aiogram.types import Message

from tgserve.bots.aiogram import _response_models, keep_response_models


def test_response_models_survive_garbage_collection() -> None:
    keep_response_models()
    kept = len(_response_models)
    assert kept > 30  # one per distinct result type of aiogram's methods
    first = id(Response[Message])
    gc.collect()
    assert id(Response[Message]) == first
    keep_response_models()
    assert len(_response_models) == kept  # built once per process

"""aiogram's pure magic filters (``F.text``, ``F.data.startswith("x")``) run on the loop.

aiogram runs every filter that is not a coroutine function in a worker thread
(``asyncio.to_thread``), ``F`` expressions included: a thread hand-off and back for each
filter of each update, which costs more CPU than the check itself (docs/benchmarks.md).
An ``F`` expression made only of attribute and item look-ups, comparisons with plain
constants, ``&``/``|``/``~``, ``in_``/``contains``/``len``/``regexp``, ``.as_()`` and
calls of ``str`` methods runs no code of the bot's and cannot block, so tgserve
evaluates it on the loop, with the same result. Anything else (``F.func(...)``,
``.cast(...)``, a filter function of the bot's) still goes to a thread, as aiogram does.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable, Iterator
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.utils.magic_filter import AsFilterResultOperation
from magic_filter import MagicFilter
from magic_filter import operations as ops
from magic_filter.util import and_op, contains_op, in_op, not_contains_op, not_in_op, or_op

PURE_FUNCTIONS: frozenset[Callable[..., Any]] = frozenset(
    {
        *(getattr(operator, name) for name in ("eq", "ne", "lt", "gt", "le", "ge", "not_")),
        *(getattr(operator, name) for name in ("and_", "or_", "xor", "is_", "is_not")),
        *(getattr(operator, name) for name in ("pos", "neg", "add", "sub", "mul", "mod")),
        and_op, or_op, in_op, not_in_op, contains_op, not_contains_op, len,
    }
)  # fmt: skip
STR_METHODS = frozenset(name for name in dir(str) if not name.startswith("_"))
REGEXP_MODES = frozenset({"match", "search", "fullmatch", "findall", "finditer"})
PLAIN = (str, int, float, bool, bytes, type(None))


def inline_pure_filters(router: Router) -> int:
    """Mark the pure ``F`` filters of ``router`` and its sub-routers to run on the loop;
    how many were marked."""
    marked = 0
    for handler in _handlers(router):
        for item in handler.filters or ():
            if not item.awaitable and item.magic is not None and pure(item.magic):
                _run_inline(item, item.magic)
                marked += 1
    return marked


def _handlers(router: Router) -> Iterator[HandlerObject]:
    for observer in router.observers.values():
        handler = getattr(observer, "_handler", None)  # the observer's own filters
        if isinstance(handler, HandlerObject):
            yield handler
        yield from getattr(observer, "handlers", ())
    for sub in router.sub_routers:
        yield from _handlers(sub)


def _run_inline(item: FilterObject, magic: MagicFilter) -> None:
    resolve = magic.resolve

    async def on_loop(value: Any) -> Any:
        return resolve(value)

    item.callback = on_loop  # the same one parameter as magic.resolve: the same call
    item.awaitable = True


def pure(magic: MagicFilter) -> bool:
    """Whether evaluating ``magic`` can only look at the event and compare plain values."""
    operations = list(getattr(magic, "_operations", ()))
    for index, op in enumerate(operations):
        before = operations[index - 1] if index else None
        if not _pure_operation(op, before):
            return False
    return True


def _pure_operation(op: Any, before: Any) -> bool:
    kind = type(op)
    if kind in (ops.GetAttributeOperation, AsFilterResultOperation):
        return True
    if kind is ops.GetItemOperation:
        return _constant(op.key)
    if kind in (ops.SelectorOperation, ops.ExtractOperation):
        return isinstance(op.inner, MagicFilter) and pure(op.inner)
    if kind is ops.ComparatorOperation:
        return op.comparator in PURE_FUNCTIONS and _operand(op.right)
    if kind in (ops.CombinationOperation, ops.ImportantCombinationOperation):
        return op.combinator in PURE_FUNCTIONS and _operand(op.right)
    if kind is ops.RCombinationOperation:
        return op.combinator in PURE_FUNCTIONS and _operand(op.left)
    if kind in (ops.FunctionOperation, ops.ImportantFunctionOperation):
        known = op.function in PURE_FUNCTIONS or _regexp(op.function)
        return known and all(_operand(a) for a in (*op.args, *op.kwargs.values()))
    if kind is ops.CallOperation:  # F.text.startswith("/"): a str method, plain arguments
        is_str_method = type(before) is ops.GetAttributeOperation and before.name in STR_METHODS
        return is_str_method and all(_constant(a) for a in (*op.args, *op.kwargs.values()))
    return False  # FunctionOperation of the bot's (F.func), CastOperation, unknown kinds


def _regexp(function: Any) -> bool:
    """``F.regexp(...)``: a compiled pattern's own match, search, fullmatch or findall."""
    owner = getattr(function, "__self__", None)
    return isinstance(owner, re.Pattern) and getattr(function, "__name__", "") in REGEXP_MODES


def _operand(value: Any) -> bool:
    return pure(value) if isinstance(value, MagicFilter) else _constant(value)


def _constant(value: Any) -> bool:
    """A plain value whose comparisons run no code of the bot's."""
    if type(value) in PLAIN or (isinstance(value, enum.Enum) and isinstance(value, PLAIN)):
        return True
    if type(value) in (tuple, list, set, frozenset):
        return all(_constant(v) for v in value)
    return False

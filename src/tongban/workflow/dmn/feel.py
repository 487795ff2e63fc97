"""S-FEEL for decision tables: the unary tests of input entries and the simple expressions of
input expressions and output entries (DMN 1.3 §9).

Expressions are parsed by Python's own parser (``ast``), as SpiffWorkflow's DMN support does:
S-FEEL's simple expressions (literals, names, paths, arithmetic, comparisons, ``date(…)``) are
Python-shaped once ``=`` is written ``==`` and ``date and time(`` is given one name, so only a
short rewrite precedes ``ast.parse``. The tree is then *interpreted* over a closed set of node
types, never compiled or passed to ``eval``. What this file adds is FEEL's meaning: decimal
numbers, ``null`` and three-valued logic, and the unary-test syntax around the expressions
(``-``, comparisons, intervals, lists, ``not(…)``).
"""

import ast
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

INPUT = "_feel_input_"  # the name ``?`` stands for
_DATE_AND_TIME = "_feel_date_and_time_"


class FeelError(ValueError):
    """A text that is not S-FEEL (message in Chinese, for the table's author)."""


# ------------------------------------------------------------------ reading the text


def _outside_strings(text: str) -> list[tuple[bool, str]]:
    """Pieces of ``text``: (True, code) outside string literals, (False, literal) inside."""
    pieces: list[tuple[bool, str]] = []
    at = 0
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"', text):
        pieces.append((True, text[at : match.start()]))
        pieces.append((False, match.group(0)))
        at = match.end()
    pieces.append((True, text[at:]))
    return pieces


def _rewrite(text: str, names: tuple[str, ...]) -> str:
    """FEEL's few differences from Python's syntax, outside string literals: ``=`` compares,
    ``?`` is the input, ``date and time(`` is one function and names with spaces (the table's
    own input names) become identifiers."""
    out = []
    for code, piece in _outside_strings(text):
        if code:
            for index, name in enumerate(names):
                piece = piece.replace(name, f"_feel_name_{index}_")
            piece = re.sub(r"date\s+and\s+time\s*\(", f"{_DATE_AND_TIME}(", piece)
            piece = re.sub(r"(?<![<>=!])=(?!=)", "==", piece)
            piece = piece.replace("?", INPUT)
        out.append(piece)
    return "".join(out)


@lru_cache(maxsize=4096)
def _parse(text: str, spaced: tuple[str, ...]) -> ast.expr:
    source = _rewrite(text.strip(), spaced)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise FeelError(f"无法识别的表达式：{text.strip()}") from exc
    _check_nodes(tree.body, text)
    return tree.body


_ALLOWED = (
    ast.Constant,
    ast.Name,
    ast.Attribute,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.Call,
    ast.List,
    ast.Tuple,
    ast.Load,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)
_FUNCTIONS = {"date", "time", _DATE_AND_TIME, "duration", "not", "number", "string"}


def _check_nodes(node: ast.AST, text: str) -> None:
    for child in ast.walk(node):
        if not isinstance(child, _ALLOWED):
            raise FeelError(f"表达式中有不支持的写法：{text.strip()}")
        if isinstance(child, ast.Call):
            if not isinstance(child.func, ast.Name) or child.func.id not in _FUNCTIONS or child.keywords:
                raise FeelError(f"表达式中有不支持的函数：{text.strip()}")
        if isinstance(child, ast.Constant) and not isinstance(child.value, str | int | float | bool):
            raise FeelError(f"表达式中有不支持的常量：{text.strip()}")


def _spaced(context: dict) -> tuple[str, ...]:
    return tuple(sorted((k for k in context if " " in k), key=len, reverse=True))


# ------------------------------------------------------------------ values


def number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def coerce(value: Any, type_ref: str | None) -> Any:
    """An input value as FEEL sees it: Python ints and floats as decimals, ISO dates as dates
    when the column says ``date``."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: coerce(v, None) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [coerce(v, None) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    kind = (type_ref or "").rsplit(":", 1)[-1].lower()
    if kind == "number" and isinstance(value, str):
        return number(value)
    if kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value


def _comparable(a: Any, b: Any) -> bool:
    kinds = (Decimal, str, bool, dt.datetime, dt.date, dt.time, dt.timedelta)
    for kind in kinds:
        if isinstance(a, kind) and isinstance(b, kind):
            # a datetime is a date in Python; FEEL keeps them apart
            return isinstance(a, dt.datetime) == isinstance(b, dt.datetime)
    return False


def equal(a: Any, b: Any) -> bool | None:
    """FEEL ``=``: null equals only null; values of different types give null."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) is True for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) is True for k in a)
    if not _comparable(a, b):
        return None
    return a == b


def compare(op: str, a: Any, b: Any) -> bool | None:
    if op == "=":
        return equal(a, b)
    if op == "!=":
        result = equal(a, b)
        return None if result is None else not result
    if a is None or b is None or not _comparable(a, b) or isinstance(a, bool):
        return None
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


# ------------------------------------------------------------------ evaluating


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {ast.Eq: "=", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def _arith(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        if op == "/":
            return None if b == 0 else a / b
        if op == "**":
            return a**b
        return {"+": a + b, "-": a - b, "*": a * b}[op]
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if op in "+-" and isinstance(a, dt.date) and isinstance(b, dt.timedelta):
        return a + b if op == "+" else a - b
    if op == "-" and isinstance(a, dt.date) and isinstance(b, dt.date):
        return a - b
    return None


def _call(name: str, args: list[Any]) -> Any:
    if name == "not":
        (value,) = args
        return None if not isinstance(value, bool) else not value
    if len(args) != 1 or not isinstance(args[0], str):
        return None
    text = args[0]
    try:
        if name == "date":
            return dt.date.fromisoformat(text)
        if name == "time":
            return dt.time.fromisoformat(text)
        if name == _DATE_AND_TIME:
            return dt.datetime.fromisoformat(text)
        if name == "number":
            return number(text)
        if name == "string":
            return str(text)
        if name == "duration":
            match = re.fullmatch(r"(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", text)
            if not match:
                return None
            sign, days, hours, minutes, seconds = match.groups()
            delta = dt.timedelta(
                days=int(days or 0),
                hours=int(hours or 0),
                minutes=int(minutes or 0),
                seconds=int(seconds or 0),
            )
            return -delta if sign else delta
    except ValueError:
        return None
    return None


def _lookup(context: dict, name: str, spaced: tuple[str, ...]) -> Any:
    if name.startswith("_feel_name_"):
        name = spaced[int(name.removeprefix("_feel_name_").rstrip("_"))]
    return {"true": True, "false": False, "null": None}.get(name, context.get(name))


def _eval(node: ast.expr, context: dict, spaced: tuple[str, ...]) -> Any:
    match node:
        case ast.Constant(value=bool() as value) | ast.Constant(value=str() as value):
            return value
        case ast.Constant(value=value):
            return number(value)
        case ast.Name(id=name):
            return _lookup(context, name, spaced)
        case ast.Attribute(value=base, attr=attr):
            parent = _eval(base, context, spaced)
            return parent.get(attr) if isinstance(parent, dict) else None
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            value = _eval(operand, context, spaced)
            return -value if isinstance(value, Decimal | dt.timedelta) else None
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            value = _eval(operand, context, spaced)
            return value if isinstance(value, Decimal) else None
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return _call("not", [_eval(operand, context, spaced)])
        case ast.BinOp(left=left, op=op, right=right):
            return _arith(_BINOPS[type(op)], _eval(left, context, spaced), _eval(right, context, spaced))
        case ast.BoolOp(op=op, values=values):
            results = [_eval(v, context, spaced) for v in values]
            if isinstance(op, ast.And):
                if any(r is False for r in results):
                    return False
                return True if all(r is True for r in results) else None
            if any(r is True for r in results):
                return True
            return False if all(r is False for r in results) else None
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            result: bool | None = True
            a = _eval(left, context, spaced)
            for op, right in zip(ops, comparators, strict=True):
                b = _eval(right, context, spaced)
                step = compare(_CMPOPS[type(op)], a, b) if type(op) in _CMPOPS else None
                if step is False:
                    return False
                if step is None:
                    result = None
                a = b
            return result
        case ast.Call(func=ast.Name(id=name), args=args):
            return _call(name, [_eval(a, context, spaced) for a in args])
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return [_eval(e, context, spaced) for e in elts]
    raise FeelError("表达式中有不支持的写法。")


def evaluate(text: str, context: dict) -> Any:
    """The value of a simple expression (an input expression or an output entry)."""
    spaced = _spaced(context)
    return _eval(_parse(text, spaced), context, spaced)


# ------------------------------------------------------------------ unary tests


@dataclass(frozen=True)
class Test:
    """One positive unary test: a comparison with an endpoint, an interval, ``null`` or an
    expression (equal to the input, or containing it when a list, or true when it uses ``?``)."""

    kind: str  # "cmp", "interval", "null", "expr"
    op: str = "="
    low: str = ""
    high: str = ""
    low_closed: bool = True
    high_closed: bool = True
    expr: str = ""


@dataclass(frozen=True)
class UnaryTests:
    """The parsed text of one input entry: ``-`` (any), or tests joined by ``,``, maybe negated."""

    text: str
    any: bool
    negated: bool
    tests: tuple[Test, ...]


def _split_top(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside strings and brackets."""
    parts, depth, current, in_string, i = [], 0, [], False, 0
    while i < len(text):
        ch = text[i]
        if in_string:
            current.append(ch)
            if ch == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            current.append(ch)
        elif ch in "([":
            depth += 1
            current.append(ch)
        elif ch in ")]":
            depth -= 1
            current.append(ch)
        elif depth == 0 and text.startswith(sep, i):
            parts.append("".join(current))
            current = []
            i += len(sep)
            continue
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


_INTERVAL = re.compile(r"^([\[\(\]])(.*)([\]\)\[])$", re.S)


def _positive(text: str) -> Test:
    text = text.strip()
    if not text:
        raise FeelError("条件中有空白项（两个逗号之间没有内容）。")
    if text == "null":
        return Test("null")
    for op in ("<=", ">=", "!=", "<", ">", "="):
        if text.startswith(op):
            endpoint = text[len(op) :].strip()
            if not endpoint:
                raise FeelError(f"比较符号 {op} 后面缺少比较的值。")
            return Test("cmp", op=op, expr=endpoint)
    match = _INTERVAL.match(text)
    if match:
        bounds = _split_top(match.group(2), "..")
        if len(bounds) == 2:
            return Test(
                "interval",
                low=bounds[0].strip(),
                high=bounds[1].strip(),
                low_closed=match.group(1) == "[",
                high_closed=match.group(3) == "]",
            )
    return Test("expr", expr=text)


@lru_cache(maxsize=4096)
def parse_unary(text: str | None) -> UnaryTests:
    """Parse an input entry; raises ``FeelError`` for text that is not S-FEEL."""
    raw = (text or "").strip()
    if raw in ("", "-"):
        return UnaryTests(raw, True, False, ())
    negated = False
    body = raw
    if raw.startswith("not(") and raw.endswith(")") and len(_split_top(raw[3:], ",")) == 1:
        negated, body = True, raw[4:-1]
    tests = tuple(_positive(part) for part in _split_top(body, ","))
    for test in tests:
        for expr in (test.expr, test.low, test.high):
            if expr:
                _parse(expr, ())
    return UnaryTests(raw, False, negated, tests)


def _test_matches(test: Test, value: Any, context: dict) -> bool | None:
    if test.kind == "null":
        return value is None
    scope = {**context, INPUT: value}
    if test.kind == "cmp":
        return compare(test.op, value, evaluate(test.expr, scope))
    if test.kind == "interval":
        low, high = evaluate(test.low, scope), evaluate(test.high, scope)
        above = compare(">=" if test.low_closed else ">", value, low)
        below = compare("<=" if test.high_closed else "<", value, high)
        if above is False or below is False:
            return False
        return True if above and below else None
    endpoint = evaluate(test.expr, scope)
    if INPUT in _rewrite(test.expr, ()):
        return endpoint if isinstance(endpoint, bool) else None
    if isinstance(endpoint, list):
        if any(equal(value, item) is True for item in endpoint):
            return True
        return False
    return equal(value, endpoint)


def matches(tests: UnaryTests, value: Any, context: dict) -> bool:
    """Does the input ``value`` satisfy the entry? (null, FEEL's unknown, does not match.)"""
    if tests.any:
        return True
    results = [_test_matches(t, value, context) for t in tests.tests]
    if any(r is True for r in results):
        outcome: bool | None = True
    elif all(r is False for r in results):
        outcome = False
    else:
        outcome = None
    if tests.negated and outcome is not None:
        outcome = not outcome
    return outcome is True

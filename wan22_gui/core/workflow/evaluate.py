"""Work out a workflow's switches, math expressions and primitives into plain input values.

The official Wan 2.2 template of 2026 picks its sampling with `ComfySwitchNode`s (turbo: 4
steps split 2/2, CFG 1, shift 5 and the LoRA; otherwise 20 steps split 10/10, CFG 3.5, shift 8)
and computes its frame count with a `ComfyMathExpression` (floor(duration·fps+1)). Those are
core nodes of newer ComfyUI versions only, and the app patches steps, length and the rest into
plain inputs. So, where a switch's condition or an expression's inputs are constants, the node
is replaced by its result in every input it feeds; the graph then runs on any server that has
the remaining nodes, and its roles are found as in the classic template.

Rules (the node schemas of comfy_extras/nodes_logic.py and nodes_math.py, see
resources/comfyui_versions.toml): a switch outputs `on_true` when `switch` is true, else
`on_false`; an expression sees its `values.<name>` inputs as names and returns FLOAT (slot 0),
INT (slot 1, `int()` of the result) and BOOLEAN (slot 2); Primitive* nodes output `value`.
Nodes left feeding nothing that leads to an output are removed.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from wan22_gui.core.workflow.graph import Graph, is_link

SWITCH = "ComfySwitchNode"
MATH = "ComfyMathExpression"
PRIMITIVES = {"PrimitiveInt", "PrimitiveFloat", "PrimitiveBoolean", "PrimitiveString",
              "PrimitiveStringMultiline"}
EVALUATED = {SWITCH, MATH, *PRIMITIVES}
_MAX_EXPONENT = 4000  # nodes_math.py caps pow() the same way

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min, "max": max, "abs": abs, "round": round, "sqrt": math.sqrt, "ceil": math.ceil,
    "floor": math.floor, "log": math.log, "log2": math.log2, "log10": math.log10,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "int": int, "float": float,
    "sum": lambda *a: sum(a[0]) if len(a) == 1 and hasattr(a[0], "__iter__") else sum(a),
    "pow": lambda b, e: _power(b, e),
}
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: lambda b, e: _power(b, e),
}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}


class ExpressionError(ValueError):
    """An expression the app cannot work out (unknown name, unsupported syntax)."""


@dataclass
class Evaluation:
    """What `evaluate` did.

    Attributes:
        graph: the graph with the evaluated nodes gone and their results in place.
        evaluated: node id -> class of each node replaced by its result.
        computed: (node id, input name) -> (expression, value) for each input that now holds
            a math expression's result (for notes such as a frame count snapped to 4n+1).
        notes: what could not be worked out, and why (those nodes stay in the graph).
    """

    graph: Graph
    evaluated: dict[str, str] = field(default_factory=dict)
    computed: dict[tuple[str, str], tuple[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def evaluate(graph: Graph, object_info: Mapping[str, Any]) -> Evaluation:
    """Replace the switches and math expressions that have constant inputs by their results."""
    work = {k: {**v, "inputs": dict(v.get("inputs") or {})} for k, v in graph.items()}
    result = Evaluation(work)
    if not any(n.get("class_type") in (SWITCH, MATH) for n in work.values()):
        return result  # nothing newer to work out: the graph stays exactly as it was
    before = _needed(work, object_info)
    for _ in range(len(work) + 1):  # each round settles at least one node, or stops
        if not _one_round(result):
            break
    _drop_orphans(result, before, object_info)
    return result


def _one_round(result: Evaluation) -> bool:
    changed = False
    for node_id, node in list(result.graph.items()):
        kind = node.get("class_type")
        if kind not in (SWITCH, MATH):
            continue
        outputs = _switch_output(result.graph, node) if kind == SWITCH else \
            _math_outputs(result, node_id)
        if outputs is None:
            continue
        _replace_links(result, node_id, outputs, node)
        del result.graph[node_id]
        result.evaluated[node_id] = str(kind)
        changed = True
    return changed


def _constant(graph: Graph, value: Any) -> tuple[bool, Any]:
    """(True, v) when `value` is a constant or a link to a primitive holding one."""
    if not is_link(value):
        return True, value
    source = graph.get(str(value[0])) or {}
    if source.get("class_type") in PRIMITIVES:
        inner = (source.get("inputs") or {}).get("value")
        if inner is not None and not is_link(inner):
            return True, inner
    return False, None


def _switch_output(graph: Graph, node: dict) -> dict[int, Any] | None:
    """{0: the chosen branch} when the condition is known (a later round may settle it)."""
    known, switch = _constant(graph, node["inputs"].get("switch"))
    if not known:
        return None
    chosen = node["inputs"].get("on_true" if switch else "on_false")
    return None if chosen is None else {0: chosen}


def _math_outputs(result: Evaluation, node_id: str) -> dict[int, Any] | None:
    node = result.graph[node_id]
    inputs = node["inputs"]
    expression = inputs.get("expression")
    if not isinstance(expression, str):
        return None
    names: dict[str, Any] = {}
    for name, value in inputs.items():
        if not name.startswith("values."):
            continue
        ok, constant = _constant(result.graph, value)
        if not ok:
            return None
        names[name.split(".", 1)[1]] = constant
    try:
        value = evaluate_expression(expression, names)
    except (ExpressionError, ArithmeticError, ValueError, TypeError) as exc:
        note = f"Node #{node_id} ({MATH}) '{expression}' cannot be worked out: {exc}."
        if note not in result.notes:
            result.notes.append(note)
        return None
    return {0: float(value), 1: int(value), 2: bool(value)}


def _replace_links(result: Evaluation, node_id: str, outputs: dict[int, Any], node: dict) -> None:
    expression = node["inputs"].get("expression") if node.get("class_type") == MATH else None
    for other_id, other in result.graph.items():
        for name, value in list(other["inputs"].items()):
            if is_link(value) and str(value[0]) == node_id and int(value[1]) in outputs:
                ok, constant = _constant(result.graph, outputs[int(value[1])])
                other["inputs"][name] = constant if ok else outputs[int(value[1])]
                if expression is not None:
                    result.computed[(other_id, name)] = (expression, other["inputs"][name])


def _needed(graph: Graph, object_info: Mapping[str, Any]) -> set[str]:
    """Ids of the nodes an output node depends on (what ComfyUI would run)."""
    outputs = [k for k, n in graph.items()
               if (object_info.get(str(n.get("class_type"))) or {}).get("output_node")]
    seen: set[str] = set()
    stack = list(outputs)
    while stack:
        node_id = stack.pop()
        if node_id in seen or node_id not in graph:
            continue
        seen.add(node_id)
        stack += [str(v[0]) for v in graph[node_id]["inputs"].values() if is_link(v)]
    return seen


def _drop_orphans(result: Evaluation, before: set[str], object_info: Mapping[str, Any]) -> None:
    """Remove the nodes that fed outputs before but feed nothing now (the unchosen branch)."""
    now = _needed(result.graph, object_info)
    for node_id in sorted(before - now):
        node = result.graph.pop(node_id, None)
        if node is not None and node.get("class_type") in PRIMITIVES:
            result.evaluated[node_id] = str(node["class_type"])


def evaluate_expression(expression: str, names: Mapping[str, Any]) -> Any:
    """The value of a ComfyMathExpression formula ('floor(a*b+1)') with its inputs as names.

    Raises:
        ExpressionError: syntax or names the node would not accept either.
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not a formula ({exc.msg})") from None
    context = {**names, "values": list(names.values())}
    return _eval(tree.body, context)


def _eval(node: ast.AST, names: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ExpressionError(f"'{node.id}' is not one of its inputs")
        return names[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, names), _eval(node.right, names))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        operand = _eval(node.operand, names)
        return -operand if isinstance(node.op, ast.USub) else (
            +operand if isinstance(node.op, ast.UAdd) else not operand)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _eval(node.left, names)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, names)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, names) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.IfExp):
        return _eval(node.body if _eval(node.test, names) else node.orelse, names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in _FUNCTIONS:
            raise ExpressionError(f"'{node.func.id}' is not a function it knows")
        return _FUNCTIONS[node.func.id](*[_eval(a, names) for a in node.args])
    raise ExpressionError(f"'{ast.unparse(node)}' is not supported")


def _power(base: Any, exponent: Any) -> Any:
    if abs(exponent) > _MAX_EXPONENT:
        raise ExpressionError(f"exponent {exponent} is above {_MAX_EXPONENT}")
    return base ** exponent


__all__ = ["EVALUATED", "Evaluation", "ExpressionError", "evaluate", "evaluate_expression"]

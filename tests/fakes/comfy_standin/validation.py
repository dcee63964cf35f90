"""`POST /prompt` validation with ComfyUI 0.3.64's rules, messages and quirks.

Behaviour reproduced on purpose (see api-facts section (a) and transcripts 08/10):
- Only V1 combos (the option list *is* the type) are checked for membership; V3 ``COMBO`` inputs
  are not. ``step`` is never checked.
- Literal values are converted in place (fps ``16`` -> ``16.0``), so queue and history show them
  normalised.
- A node whose own validator covers an input (LoadImage ``image``) skips min/max/combo checks for
  it and reports ``custom_validation_failed`` instead.
- ``dependent_outputs``: every failing output is appended to every node that has errors so far,
  as the real loop does.
Inputs are checked in declaration order; the real server walks a ``set`` (random order), so
tests should compare error lists without caring about their order.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.fakes.comfy_standin.catalog import NodeCatalog
from tests.fakes.comfy_standin.folders import Folders

# class -> (input checked by the node's own validator, message template)
_CUSTOM_VALIDATORS: dict[str, tuple[str, str]] = {
    "LoadImage": ("image", "Invalid image file: {}"),
    "LoadImageMask": ("image", "Invalid image file: {}"),
    "LoadVideo": ("file", "Invalid video file: {}"),
    "VHS_LoadVideo": ("video", "Invalid video file: {}"),
    "LoadLatent": ("latent", "Invalid latent file: {}"),
}
_CONVERTERS: dict[str, Callable[[Any], Any]] = {"INT": int, "FLOAT": float, "STRING": str,
                                                "BOOLEAN": bool}


@dataclass
class ValidationResult:
    """What validate_prompt decided: ok, the top-level error, outputs to run, node errors."""

    ok: bool
    error: dict | None
    outputs: list[str]
    node_errors: dict[str, dict]
    log: list[str] = field(default_factory=list)  # console lines, as the real server logs them


def full_type_name(cls: type) -> str:
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def types_match(received: Any, expected: Any) -> bool:
    """ComfyUI's non-strict link check: equal, or comma-separated type sets that overlap."""
    if not received != expected:
        return True
    if not isinstance(received, str) or not isinstance(expected, str):
        return False
    got = {t.strip() for t in received.split(",")}
    want = {t.strip() for t in expected.split(",")}
    return bool(got & want)


def _error(kind: str, message: str, details: str, **extra: Any) -> dict:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


class _Validator:
    def __init__(self, catalog: NodeCatalog, folders: Folders, prompt: dict) -> None:
        self.catalog = catalog
        self.folders = folders
        self.prompt = prompt
        self.validated: dict[str, tuple[bool, list, str]] = {}

    def node(self, unique_id: str) -> tuple[bool, list, str]:
        if unique_id in self.validated:
            return self.validated[unique_id]
        inputs = self.prompt[unique_id]["inputs"]
        class_type = self.prompt[unique_id]["class_type"]
        info = self.catalog.info(class_type)
        declared = info.get("input", {})
        custom = _CUSTOM_VALIDATORS.get(class_type)
        errors: list[dict] = []
        valid = True
        for category in ("required", "optional"):
            for name, spec in declared.get(category, {}).items():
                outcome = self._input(name, category, spec, inputs, custom)
                if outcome is False:
                    valid = False
                elif outcome is not None:
                    errors.append(outcome)
        if custom is not None and custom[0] in inputs:
            name, template = custom
            value = inputs[name]
            if not isinstance(value, str):  # the real check calls name.endswith(...)
                raise AttributeError(f"'{type(value).__name__}' object has no attribute 'endswith'")
            if not self.folders.exists_annotated(value):
                errors.append(_error("custom_validation_failed", "Custom validation failed for node",
                                     f"{name} - {template.format(value)}", input_name=name))
        result = (not errors and valid, errors, unique_id)
        self.validated[unique_id] = result
        return result

    def _input(self, name: str, category: str, spec: list, inputs: dict,
               custom: tuple[str, str] | None) -> dict | bool | None:
        """One input: an error dict, False (an upstream node failed) or None (fine)."""
        input_type = spec[0]
        extra = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
        if name not in inputs:
            if category == "required":
                return _error("required_input_missing", "Required input is missing", name,
                              input_name=name)
            return None
        value = inputs[name]
        config = [input_type, extra]
        if isinstance(value, list):
            return self._link(name, value, input_type, config)
        try:
            if isinstance(value, dict) and "__value__" in value:
                value = inputs[name] = value["__value__"]
            if isinstance(input_type, str) and input_type in _CONVERTERS:
                value = inputs[name] = _CONVERTERS[input_type](value)
        except Exception as ex:  # noqa: BLE001 - the real server reports any conversion error
            return _error("invalid_input_type",
                          f"Failed to convert an input value to a {input_type} value",
                          f"{name}, {value}, {ex}", input_name=name, input_config=config,
                          received_value=value, exception_message=str(ex))
        if custom is not None and custom[0] == name:
            return None
        if "min" in extra and value < extra["min"]:
            return _error("value_smaller_than_min",
                          "Value {} smaller than min of {}".format(value, extra["min"]), name,
                          input_name=name, input_config=config, received_value=value)
        if "max" in extra and value > extra["max"]:
            return _error("value_bigger_than_max",
                          "Value {} bigger than max of {}".format(value, extra["max"]), name,
                          input_name=name, input_config=config, received_value=value)
        if isinstance(input_type, list) and value not in input_type:
            if len(input_type) > 20:
                listed, config = f"(list of length {len(input_type)})", None
            else:
                listed = str(input_type)
            return _error("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {listed}",
                          input_name=name, input_config=config, received_value=value)
        return None

    def _link(self, name: str, value: list, input_type: Any, config: list) -> dict | bool | None:
        if len(value) != 2:
            return _error("bad_linked_input",
                          "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                          name, input_name=name, input_config=config, received_value=value)
        source_id = value[0]
        source_class = self.prompt[source_id]["class_type"]  # KeyError -> exception_during_validation
        received = tuple(self.catalog.output_types(source_class))[value[1]]
        if not types_match(received, input_type):
            return _error("return_type_mismatch", "Return type mismatch between linked nodes",
                          f"{name}, received_type({received}) mismatch input_type({input_type})",
                          input_name=name, input_config=config, received_type=received,
                          linked_node=value)
        try:
            if self.node(source_id)[0] is False:
                return False
        except Exception as ex:  # noqa: BLE001
            self.validated[source_id] = (False, [_error(
                "exception_during_inner_validation", "Exception when validating inner node", str(ex),
                input_name=name, input_config=config, exception_message=str(ex),
                exception_type=full_type_name(type(ex)),
                traceback=traceback.format_tb(sys.exc_info()[2]), linked_node=value)], source_id)
            return False
        return None


def validate_prompt(catalog: NodeCatalog, folders: Folders, prompt: Any,
                    partial_targets: list[str] | None = None) -> ValidationResult:
    """Validate an API-format graph the way ComfyUI 0.3.64's `validate_prompt` does."""
    outputs: list[str] = []
    for node_id in prompt:
        node = prompt[node_id]
        if "class_type" not in node:
            return ValidationResult(False, _error(
                "invalid_prompt", "Cannot execute because a node is missing the class_type property.",
                f"Node ID '#{node_id}'"), [], {})
        class_type = node["class_type"]
        if not catalog.has(class_type):
            return ValidationResult(False, _error(
                "invalid_prompt", f"Cannot execute because node {class_type} does not exist.",
                f"Node ID '#{node_id}'"), [], {})
        if catalog.is_output_node(class_type) and (partial_targets is None or node_id in partial_targets):
            outputs.append(node_id)
    if not outputs:
        return ValidationResult(False, _error("prompt_no_outputs", "Prompt has no outputs", ""), [], {})

    checker = _Validator(catalog, folders, prompt)
    good: list[str] = []
    failures: list[tuple[str, list]] = []
    node_errors: dict[str, dict] = {}
    log: list[str] = []
    for output in outputs:
        try:
            valid, reasons, _ = checker.node(output)
        except Exception as ex:  # noqa: BLE001
            valid, reasons = False, [_error(
                "exception_during_validation", "Exception when validating node", str(ex),
                exception_type=full_type_name(type(ex)),
                traceback=traceback.format_tb(sys.exc_info()[2]))]
            checker.validated[output] = (False, reasons, output)
        if valid is True:
            good.append(output)
            continue
        log.append(f"Failed to validate prompt for output {output}:")
        if reasons:
            log.append("* (prompt):")
            log.extend(f"  - {r['message']}: {r['details']}" for r in reasons)
        failures.append((output, reasons))
        for node_id, (node_ok, node_reasons, _) in checker.validated.items():
            if node_ok is True or not node_reasons:
                continue
            if node_id not in node_errors:
                class_type = prompt[node_id]["class_type"]
                node_errors[node_id] = {"errors": node_reasons, "dependent_outputs": [],
                                        "class_type": class_type}
                log.append(f"* {class_type} {node_id}:")
                log.extend(f"  - {r['message']}: {r['details']}" for r in node_reasons)
            node_errors[node_id]["dependent_outputs"].append(output)
        log.append("Output will be ignored")
    if not good:
        details = "\n".join(f"{e['message']}: {e['details']}" for _, errs in failures for e in errs)
        error = _error("prompt_outputs_failed_validation", "Prompt outputs failed validation", details)
        return ValidationResult(False, error, [], node_errors, log)
    return ValidationResult(True, None, good, node_errors, log)

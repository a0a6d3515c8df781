"""CloudFormation templates as data: YAML with the short-form intrinsic tags, and conditions.

``load_template`` turns ``!Ref X`` into ``{"Ref": "X"}``, ``!GetAtt A.B`` into
``{"Fn::GetAtt": ["A", "B"]}`` and so on, exactly the JSON form CloudFormation itself uses, so
the rest of the package reads one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_SHORT_TAGS = (
    "Base64", "Cidr", "FindInMap", "GetAZs", "If", "ImportValue", "Join", "Select", "Split",
    "Sub", "Transform", "And", "Equals", "Not", "Or",
)  # fmt: skip


@cache
def _loader():
    import yaml

    class TemplateLoader(yaml.SafeLoader):
        pass

    def construct(loader, node, name):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if name == "Ref":
            return {"Ref": value}
        if name == "Condition":
            return {"Condition": value}
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{name}": value}

    for name in (*_SHORT_TAGS, "Ref", "Condition", "GetAtt"):
        TemplateLoader.add_constructor(f"!{name}", lambda ld, nd, n=name: construct(ld, nd, n))
    return TemplateLoader


@dataclass(frozen=True)
class Template:
    """One parsed template file."""

    path: Path
    body: str
    document: dict[str, Any]

    @property
    def parameters(self) -> dict[str, dict]:
        return self.document.get("Parameters", {})

    @property
    def resources(self) -> dict[str, dict]:
        return self.document.get("Resources", {})

    @property
    def conditions(self) -> dict[str, Any]:
        return self.document.get("Conditions", {})


def load_template(path: Path) -> Template:
    """Parse ``path`` (YAML or JSON) into a :class:`Template`."""
    import yaml

    body = path.read_text(encoding="utf-8")
    return Template(path, body, yaml.load(body, Loader=_loader()))  # noqa: S506 - SafeLoader


def evaluate_condition(expr: Any, template: Template, parameters: dict[str, str]) -> bool:
    """Evaluate a ``Conditions`` expression with the stack's parameter values."""
    if isinstance(expr, bool):
        return expr
    if isinstance(expr, dict) and len(expr) == 1:
        ((name, args),) = expr.items()
        if name == "Condition":
            return evaluate_condition(template.conditions[args], template, parameters)
        if name == "Fn::Equals":
            left, right = (_condition_value(a, parameters) for a in args)
            return left == right
        if name == "Fn::Not":
            return not evaluate_condition(args[0], template, parameters)
        if name == "Fn::And":
            return all(evaluate_condition(a, template, parameters) for a in args)
        if name == "Fn::Or":
            return any(evaluate_condition(a, template, parameters) for a in args)
    raise ValueError(f"{template.path.name}: unsupported condition expression {expr!r}")


def _condition_value(value: Any, parameters: dict[str, str]) -> Any:
    if isinstance(value, dict) and "Ref" in value:
        return parameters[value["Ref"]]
    return value


def resource_enabled(resource: dict, template: Template, parameters: dict[str, str]) -> bool:
    """False when the resource has a ``Condition`` that is false for these parameters."""
    condition = resource.get("Condition")
    if condition is None:
        return True
    return evaluate_condition(template.conditions[condition], template, parameters)

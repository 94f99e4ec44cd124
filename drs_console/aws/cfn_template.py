"""CloudFormation templates as data: YAML or JSON with the short intrinsic tags, and a resolver of
the intrinsics our template uses (Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::Equals, Fn::Join)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain.errors import BadInput


def parse_template(body: Any) -> dict[str, Any]:
    """A template body (YAML or JSON; GetTemplate may return it parsed) as plain data, with the
    short intrinsic tags (!Ref, !Sub, !GetAtt…) as their long forms."""
    if isinstance(body, Mapping):
        return json.loads(json.dumps(body, default=str))
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when there: templates are ~50 kB
        pass

    def construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        if suffix == "Condition":
            return {"Condition": value}
        return {f"Fn::{suffix}": value}

    Loader.add_multi_constructor("!", construct)
    try:
        doc = yaml.load(str(body), Loader=Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise BadInput(f"The template is not valid YAML or JSON: {exc}".splitlines()[0], "") from exc
    return doc if isinstance(doc, dict) else {}


_NO_VALUE = object()  # AWS::NoValue


@dataclass
class Resolver:
    """Resolves Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::Equals, Fn::Not, Fn::Join, Fn::Split and AWS::NoValue
    (an element or member it chooses is left out) for one stack. A CommaDelimitedList parameter
    (``list_params``) refers to its items."""

    params: Mapping[str, str]
    pseudo: Mapping[str, str]
    physical: Mapping[str, str]  # logical id -> physical id
    attrs: Mapping[str, str]  # "Logical.Attr" -> value
    conditions: Mapping[str, Any] = field(default_factory=dict)
    list_params: frozenset[str] = frozenset()

    def value(self, node: Any) -> Any:
        out = self._value(node)
        return None if out is _NO_VALUE else out

    def _value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self._value(v) for v in node) if v is not _NO_VALUE]
        if not isinstance(node, Mapping):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                if arg == "AWS::NoValue":
                    return _NO_VALUE
                if arg in self.list_params and arg in self.params:
                    text = str(self.params[arg])
                    return [p.strip() for p in text.split(",")] if text else []
                return self._ref(str(arg))
            if key == "Fn::GetAtt":
                parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return self.attrs.get(".".join(str(p) for p in parts), "")
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                cond, yes, no = arg
                return self._value(yes if self.condition(cond) else no)
            if key == "Fn::Equals":
                a, b = (self.value(v) for v in arg)
                return a == b
            if key == "Fn::Not":
                return not self.value(arg[0] if isinstance(arg, list) else arg)
            if key == "Fn::Split":
                sep, text = arg
                return str(self.value(text)).split(str(sep))
            if key == "Fn::Join":
                sep, items = arg
                items = self.value(items)
                items = items if isinstance(items, list) else [items]
                return str(sep).join(str(i) for i in items)
        return {k: v for k, v in ((k, self._value(v)) for k, v in node.items()) if v is not _NO_VALUE}

    def condition(self, name: str) -> bool:
        return bool(self.value(self.conditions.get(name, False)))

    def _ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return self.params[name]
        return self.physical.get(name, "")

    def _sub(self, arg: Any) -> str:
        text, extra = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})

        def one(m: re.Match) -> str:
            name = m.group(1)
            if name in extra:
                return str(self.value(extra[name]))
            if "." in name and not name.startswith("AWS::"):
                return str(self.attrs.get(name, ""))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}!]+)\}", one, str(text))


def template_defaults(template: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v.get("Default", "")) for k, v in (template.get("Parameters") or {}).items()}

"""Request models for API Gateway, generated from the pydantic body models.

pydantic emits JSON Schema 2020-12 (``$defs`` with ``$ref``, numeric ``exclusiveMinimum``, ``const``);
API Gateway validates with JSON Schema draft-04, where ``$ref`` may not point into ``$defs``,
``exclusiveMinimum`` is a boolean beside ``minimum`` and ``const`` does not exist. The conversion
is pure and total: it either produces an equivalent draft-04 document or raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

DRAFT_04 = "http://json-schema.org/draft-04/schema#"
_DEFS_PREFIX = "#/$defs/"

# Keywords whose value is a schema, a list of schemas, or a map of name -> schema.
_SCHEMA_VALUED = frozenset({"items", "additionalProperties", "not", "additionalItems"})
_SCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties"})
# 2020-12 annotations draft-04 does not know; dropping them never changes what validates.
_DROPPED = frozenset(
    {
        "$defs",
        "$schema",
        "$id",
        "examples",
        "readOnly",
        "writeOnly",
        "deprecated",
        "contentMediaType",
        "contentEncoding",
        "discriminator",
    }
)
# Keywords that change validation in 2020-12 but have no draft-04 equivalent: refuse, never guess.
_UNSUPPORTED = frozenset(
    {
        "prefixItems",
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentSchemas",
        "dependentRequired",
        "if",
        "then",
        "else",
        "$dynamicRef",
        "contains",
        "propertyNames",
        "minContains",
        "maxContains",
    }
)


class SchemaConversionError(ValueError):
    """The pydantic schema uses something draft-04 cannot express."""


def request_model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The draft-04 schema API Gateway validates a request body of ``model`` with."""
    return to_draft4(model.model_json_schema(mode="validation"))


def to_draft4(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a self-contained JSON Schema 2020-12 document (as pydantic emits it) to draft-04.

    Raises
    ------
    SchemaConversionError
        On external or recursive ``$ref``\\s and on keywords draft-04 cannot express.
    """
    definitions = schema.get("$defs", {})
    converted = _convert(schema, definitions, frozenset())
    return {"$schema": DRAFT_04, **converted}


def _convert(node: Any, definitions: Mapping[str, Any], expanding: frozenset[str]) -> Any:
    if isinstance(node, list):
        return [_convert(item, definitions, expanding) for item in node]
    if not isinstance(node, Mapping):
        return node
    if "$ref" in node:
        return _inline_ref(node, definitions, expanding)
    unsupported = _UNSUPPORTED.intersection(node)
    if unsupported:
        raise SchemaConversionError(f"draft-04 cannot express {sorted(unsupported)}")
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED or (key == "default" and value is None):
            # A null default is only an annotation, and CloudFormation would drop the null anyway.
            continue
        if key in _SCHEMA_VALUED and isinstance(value, Mapping):
            result[key] = _convert(value, definitions, expanding)
        elif key in _SCHEMA_LISTS:
            result[key] = [_convert(item, definitions, expanding) for item in value]
        elif key in _SCHEMA_MAPS:
            result[key] = {name: _convert(inner, definitions, expanding) for name, inner in value.items()}
        elif key == "const":
            result["enum"] = [value]
        else:
            result[key] = value
    _rewrite_exclusive_bound(result, "exclusiveMinimum", "minimum", max)
    _rewrite_exclusive_bound(result, "exclusiveMaximum", "maximum", min)
    return result


def _inline_ref(node: Mapping[str, Any], definitions: Mapping[str, Any], expanding: frozenset[str]) -> Any:
    reference = node["$ref"]
    if not isinstance(reference, str) or not reference.startswith(_DEFS_PREFIX):
        raise SchemaConversionError(f"only local $defs references can be inlined, not {reference!r}")
    name = reference.removeprefix(_DEFS_PREFIX)
    if name in expanding:
        raise SchemaConversionError(f"recursive schema {name!r} cannot be inlined")
    if name not in definitions:
        raise SchemaConversionError(f"{reference!r} names no definition")
    target = _convert(definitions[name], definitions, expanding | {name})
    # In 2020-12 keywords beside $ref apply too (pydantic puts `default` and `description` there);
    # in draft-04 they would be ignored, so they are merged into the inlined schema.
    siblings = _convert({key: value for key, value in node.items() if key != "$ref"}, definitions, expanding)
    if set(siblings) & set(target) - {"description", "title", "default"}:
        return {"allOf": [target, siblings]}
    return {**target, **siblings}


def _rewrite_exclusive_bound(schema: dict[str, Any], exclusive: str, inclusive: str, stricter: Any) -> None:
    bound = schema.get(exclusive)
    if isinstance(bound, bool) or not isinstance(bound, int | float):
        return
    if inclusive in schema and stricter(schema[inclusive], bound) != bound:
        # The inclusive bound is already the stricter one; the exclusive one adds nothing.
        del schema[exclusive]
        return
    schema[inclusive] = bound
    schema[exclusive] = True

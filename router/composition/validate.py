"""Federation rules one subgraph must keep on its own, before any merging.

`@key`, `@requires` and `@provides` field sets must select what they may,
`@external` fields must be used, `@override` must not point at its own
subgraph or sit on an external field, and directives only valid on object
types must not sit on interfaces.
"""

from __future__ import annotations

import re

from router.composition.errors import Code, Errors
from router.composition.fieldset import Walk, named_type, walk
from router.composition.model import Field, Subgraph, TypeDef

_LABEL = re.compile(r"^[a-zA-Z][a-zA-Z0-9_\-:./]*$")
_PERCENT = re.compile(r"^percent\((\d{1,2}(\.\d{1,8})?|100(\.0{1,8})?)\)$")

_PROBLEM_CODES = {
    "key": {
        "syntax": Code.KEY_INVALID_FIELDS,
        "arguments": Code.KEY_INVALID_FIELDS,
        "unknown": Code.KEY_INVALID_FIELDS,
        "selection": Code.KEY_INVALID_FIELDS,
        "directive": Code.KEY_DIRECTIVE_IN_FIELDS_ARG,
        "args": Code.KEY_FIELDS_HAS_ARGS,
    },
    "requires": {
        "syntax": Code.REQUIRES_INVALID_FIELDS,
        "unknown": Code.REQUIRES_INVALID_FIELDS,
        "selection": Code.REQUIRES_INVALID_FIELDS,
        "directive": Code.REQUIRES_DIRECTIVE_IN_FIELDS_ARG,
    },
    "provides": {
        "syntax": Code.PROVIDES_INVALID_FIELDS,
        "arguments": Code.PROVIDES_INVALID_FIELDS,
        "unknown": Code.PROVIDES_INVALID_FIELDS,
        "selection": Code.PROVIDES_INVALID_FIELDS,
        "directive": Code.PROVIDES_DIRECTIVE_IN_FIELDS_ARG,
        "args": Code.PROVIDES_FIELDS_HAS_ARGS,
    },
}


class _Validator:
    def __init__(self, subgraph: Subgraph, errors: Errors) -> None:
        self.subgraph = subgraph
        self.errors = errors
        self.used_externals: set[tuple[str, str]] = set()

    def error(self, code: str, message: str, coordinate: str) -> None:
        name = self.subgraph.name
        self.errors.add(code, f"[{name}] {message}", (name,), coordinate)

    def field_set(self, directive: str, fields: str, type_name: str, coordinate: str) -> Walk:
        result = walk(fields, type_name, self.subgraph)
        codes = _PROBLEM_CODES[directive]
        for problem, detail in result.problems:
            code = codes.get(problem)
            if code is not None:
                self.error(
                    code,
                    f'On "{coordinate}", for @{directive}(fields: "{fields}"): {detail}',
                    coordinate,
                )
        for selected in result.selected:
            if selected.field.external:
                self.used_externals.add((selected.parent.name, selected.field.name))
        return result

    def run(self) -> None:
        for typedef in self.subgraph.types.values():
            self.keys(typedef)
            if typedef.kind == "object" and typedef.interface_object and not typedef.keys:
                self.error(
                    Code.INTERFACE_OBJECT_USAGE_ERROR,
                    "The @interfaceObject directive can only be applied to entity types but"
                    f' type "{typedef.name}" has no @key in this subgraph.',
                    typedef.name,
                )
            for field in typedef.fields.values():
                self.field(typedef, field)
        for typedef in self.subgraph.types.values():
            self.externals(typedef)

    def keys(self, typedef: TypeDef) -> None:
        if typedef.kind == "interface" and typedef.keys and self.subgraph.version < (2, 3):
            self.error(
                Code.KEY_UNSUPPORTED_ON_INTERFACE,
                f'Cannot use @key on interface "{typedef.name}": @key is not yet supported on'
                " interfaces before federation v2.3",
                typedef.name,
            )
            return
        for key in typedef.keys:
            result = self.field_set("key", key.fields, typedef.name, typedef.name)
            for selected in result.selected:
                # Lists are fine (Apollo's rule despite older docs); abstract types are not.
                target = self.subgraph.types.get(named_type(selected.field.type))
                if target is not None and target.kind in ("interface", "union"):
                    self.error(
                        Code.KEY_FIELDS_SELECT_INVALID_TYPE,
                        f'On type "{typedef.name}", for @key(fields: "{key.fields}"): field'
                        f' "{selected.parent.name}.{selected.field.name}" is a {target.kind}'
                        " type which is not allowed in @key",
                        typedef.name,
                    )
            if typedef.kind == "interface" and key.resolvable:
                self.interface_key(typedef, key.fields)

    def interface_key(self, interface: TypeDef, fields: str) -> None:
        for typedef in self.subgraph.types.values():
            if interface.name not in typedef.interfaces or typedef.kind != "object":
                continue
            if not any(k.fields == fields and k.resolvable for k in typedef.keys):
                self.error(
                    Code.INTERFACE_KEY_NOT_ON_IMPLEMENTATION,
                    f'Key @key(fields: "{fields}") on interface type "{interface.name}" is'
                    f' missing on implementation type "{typedef.name}".',
                    typedef.name,
                )

    def field(self, typedef: TypeDef, field: Field) -> None:
        coordinate = f"{typedef.name}.{field.name}"
        on_interface = typedef.kind == "interface"
        if on_interface:
            for flag, code, directive in (
                (field.requires, Code.REQUIRES_UNSUPPORTED_ON_INTERFACE, "requires"),
                (field.provides, Code.PROVIDES_UNSUPPORTED_ON_INTERFACE, "provides"),
                (field.override_from, Code.OVERRIDE_ON_INTERFACE, "override"),
                (field.external or None, Code.EXTERNAL_ON_INTERFACE, "external"),
                (field.shareable or None, Code.INVALID_SHAREABLE_USAGE, "shareable"),
            ):
                if flag is not None:
                    self.error(
                        code,
                        f'Cannot use @{directive} on field "{coordinate}" of interface type'
                        f' "{typedef.name}"',
                        coordinate,
                    )
            return
        if field.requires is not None:
            result = self.field_set("requires", field.requires, typedef.name, coordinate)
            for selected in result.selected:
                if not selected.field.external and not selected.under_external:
                    self.error(
                        Code.REQUIRES_FIELDS_MISSING_EXTERNAL,
                        f'On field "{coordinate}", for @requires(fields: "{field.requires}"):'
                        f' field "{selected.parent.name}.{selected.field.name}" should not be'
                        " part of a @requires since it is already provided by this subgraph"
                        " (it is not marked @external)",
                        coordinate,
                    )
        if field.provides is not None:
            self.provides(typedef, field, coordinate)
        if field.override_from is not None:
            self.override(field, coordinate)

    def provides(self, typedef: TypeDef, field: Field, coordinate: str) -> None:
        fields = field.provides or ""
        target = self.subgraph.types.get(named_type(field.type))
        if target is None or target.kind not in ("object", "interface", "union"):
            self.error(
                Code.PROVIDES_ON_NON_OBJECT_FIELD,
                f'Invalid @provides directive on field "{coordinate}": field has type'
                f' "{named_type(field.type)}" which is not a Composite Type',
                coordinate,
            )
            return
        result = self.field_set("provides", fields, target.name, coordinate)
        for selected in result.selected:
            external = selected.field.external or selected.under_external
            if not external:
                self.error(
                    Code.PROVIDES_FIELDS_MISSING_EXTERNAL,
                    f'On field "{coordinate}", for @provides(fields: "{fields}"): field'
                    f' "{selected.parent.name}.{selected.field.name}" should not be part of a'
                    " @provides since it is already provided by this subgraph (it is not"
                    " marked @external)",
                    coordinate,
                )

    def override(self, field: Field, coordinate: str) -> None:
        if field.override_from == self.subgraph.name:
            self.error(
                Code.OVERRIDE_FROM_SELF_ERROR,
                f'Source and destination subgraphs "{self.subgraph.name}" are the same for'
                f' overridden field "{coordinate}"',
                coordinate,
            )
        if field.external:
            self.error(
                Code.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE,
                f'@override cannot be used on field "{coordinate}" on subgraph'
                f' "{self.subgraph.name}" since "{coordinate}" on "{self.subgraph.name}" is'
                ' marked with directive "@external"',
                coordinate,
            )
        label = field.override_label
        if label is not None and not (_LABEL.match(label) or _PERCENT.match(label)):
            self.error(
                Code.OVERRIDE_LABEL_INVALID,
                f'Invalid @override label "{label}" on field "{coordinate}": labels start with a'
                ' letter followed by letters, digits, "_-:./", or are "percent(x)" with x'
                " between 0 and 100",
                coordinate,
            )

    def externals(self, typedef: TypeDef) -> None:
        implemented: set[str] = set()
        for interface in typedef.interfaces:
            found = self.subgraph.types.get(interface)
            if found is not None:
                implemented |= set(found.fields)
        for field in typedef.fields.values():
            if not field.external or typedef.kind != "object":
                continue
            used = (
                (typedef.name, field.name) in self.used_externals
                or field.name in typedef.key_field_names()
                or field.name in implemented
            )
            if not used:
                self.error(
                    Code.EXTERNAL_UNUSED,
                    f'Field "{typedef.name}.{field.name}" is marked @external but is not used'
                    " in any federation directive (@key, @provides, @requires) or to satisfy"
                    " an interface; the field declaration has no use and should be removed"
                    " (or the field should not be @external).",
                    f"{typedef.name}.{field.name}",
                )


def validate_subgraph(subgraph: Subgraph, errors: Errors) -> None:
    _Validator(subgraph, errors).run()

"""Serializers whose fields are built once a process, not once an instance.

Django REST framework gives every serializer instance its own copy of the fields (a deep copy
of the declared ones, and a ModelSerializer builds its fields from the model anew each time):
for the observation POST that was about 0.6 ms of CPU a request, a fifth of it, for the same
six input and twelve output fields every time.

`FieldsBuiltOnce` builds them once for each class, bound to an instance of the class made for
that purpose (no data, no context), and every instance of the class reads those. This is
sound only for fields that keep nothing of a request: the field classes used here take a
value and return one, and none of them reads `context`, `parent` or `root` while validating
or representing (no SerializerMethodField, no HiddenField, no relation field that builds URLs
from the request, no nested serializer). A serializer's own methods (`validate`, `validate_*`)
still run on the instance of the request, with its context.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

_BUILT: dict[type, BindingDict] = {}


class FieldsBuiltOnce(serializers.Serializer[Any]):
    @property
    def fields(self) -> BindingDict:
        cls = type(self)
        fields = _BUILT.get(cls)
        if fields is None:
            # Two threads may both build them the first time; either result is the same.
            template = cls()
            fields = BindingDict(template)
            for name, field in template.get_fields().items():
                fields[name] = field
            _BUILT[cls] = fields
        return fields

"""Each schema's fastjsonschema validator as Python, written by `python -m tide.schemas.compile`."""


class Invalid(ValueError):
    """What the generated validators raise: the data does not fit the schema (tide.validate
    words each fault with jsonschema)."""

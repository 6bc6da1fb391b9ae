"""Each schema's fastjsonschema validator as Python, written by `python -m tide.schemas.compile`."""

"""Shim so that ``tfds build datasets/nottingham`` finds the builder in ``mguv.data.nottingham``.

The TFDS CLI imports this module and takes the one builder class *defined* here (it looks builders
up by module), so a bare re-export would not be found. The subclass adds nothing, keeps the name
``nottingham`` (same data layout as ``mguv.data.nottingham.Builder``) and skips registration,
since the parent already registers that name.
"""

from mguv.data import nottingham


class Builder(nottingham.Builder, skip_registration=True):
    """``mguv.data.nottingham.Builder``, for the TFDS CLI."""

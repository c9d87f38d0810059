"""The fracast family: Fracast-0 through the ``fracast`` package, whose wheel carries its weights."""

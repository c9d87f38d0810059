"""The timesfm family: Google TimesFM 2.5 through the ``timesfm`` package's torch model."""

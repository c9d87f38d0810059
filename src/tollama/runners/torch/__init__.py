"""The torch family: Chronos-2, Chronos-Bolt (``chronos-forecasting``) and Granite TTM (``granite-tsfm``)."""

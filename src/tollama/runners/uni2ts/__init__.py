"""The uni2ts family: Salesforce Moirai 2.0 through the ``uni2ts`` code (timecopilot-uni2ts build)."""

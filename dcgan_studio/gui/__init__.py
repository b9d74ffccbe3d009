"""The studio window: thin Qt views over the Qt-free core."""

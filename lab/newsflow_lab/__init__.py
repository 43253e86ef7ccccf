"""The laboratory: what trains, evaluates and measures newsflow, apart from what runs it.

Reads the development sets under ``../shared/eval`` (or the paths in ``NEWSFLOW_DEV_SET`` /
``NEWSFLOW_TRAIN_SETS``); services never import this package.
"""

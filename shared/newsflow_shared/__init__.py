"""newsflow's shared package: the wire contract and the stage runtime.

Every service depends on this package instead of copying models or loops:

- :mod:`newsflow_shared.models`   pydantic v2 wire models for every hop, and the dead-letter record
- :mod:`newsflow_shared.topics`   the topic names (dot-separated, versioned)
- :mod:`newsflow_shared.settings` the typed, frozen settings object (env prefix ``NEWSFLOW_``)
- :mod:`newsflow_shared.stage`    the ``Stage`` base class a service implements
- :mod:`newsflow_shared.runtime`  the Faust-driven consume → validate → process → produce → commit loop
"""

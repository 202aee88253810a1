"""The built-in payload formats, one module each; every module has ``register(registry)``
and is named in :data:`inspector.views.registry.BUILTIN_FORMATS`."""

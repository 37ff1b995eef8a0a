"""The demo's sample municipality: generated data (``people``, ``directory``) and the loaders
that put it into a running system through the public APIs (``api`` and the phase modules)."""

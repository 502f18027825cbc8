"""Registry adapters, one per cloud, behind :class:`registries.base.Registry`.

``make_registry`` picks one by platform name and imports its cloud SDK only then.
"""

from __future__ import annotations

from collections.abc import Callable

from faasforge.errors import InvalidValue
from faasforge.settings import DEFAULT_LOCAL_REGISTRY, Settings
from registries.base import NamingOptions, Registry


def _local(settings: Settings, naming: NamingOptions) -> Registry:
    from registries.oci import OciRegistry

    return OciRegistry.from_environment(
        settings.registry or DEFAULT_LOCAL_REGISTRY, settings.repository, "local", naming
    )


ADAPTERS: dict[str, Callable[[Settings, NamingOptions], Registry]] = {
    "local": _local,
}


def make_registry(platform: str, settings: Settings) -> Registry:
    """The adapter for ``platform``, configured from settings and the environment."""
    naming = NamingOptions(settings.tag_style, settings.tag_prefix, settings.sebs_version)
    try:
        factory = ADAPTERS[platform]
    except KeyError:
        raise InvalidValue("platform (no registry adapter)", platform, ADAPTERS) from None
    return factory(settings, naming)

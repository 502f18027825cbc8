"""Registry adapters, one per cloud, behind :class:`registries.base.Registry`.

``make_registry`` picks one by platform name and imports its cloud SDK only then:

    local      registries.oci  any OCI distribution registry (default 127.0.0.1:5000)
    openwhisk  registries.oci  Docker Hub (``docker.io/<namespace>``) or any OCI registry
    aws        registries.ecr  Elastic Container Registry (boto3)
    gcp        registries.gar  Artifact Registry (google-cloud-artifact-registry, google-auth)
    azure      registries.acr  Azure Container Registry (azure-containerregistry, azure-identity)

Each reads its table of the registries config (registries.config, docs/CLOUDS.md).
``ADAPTERS_SOURCE`` hands this table to a core ``Workspace`` (``faasforge.registry.RegistrySource``);
``open_workspace(settings)`` is the usual way to get one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from faasforge.registries.base import NamingOptions, Registry
from faasforge.registries.config import RegistriesConfig, RetryPolicy

from faasforge.errors import ConfigError, InvalidValue
from faasforge.settings import DEFAULT_LOCAL_REGISTRY, Settings

if TYPE_CHECKING:
    from faasforge.pipeline import Workspace

__all__ = ["ADAPTERS", "ADAPTERS_SOURCE", "AdapterSource", "make_registry", "open_workspace"]

Factory = Callable[[Settings, NamingOptions, RegistriesConfig], Registry]
OPENWHISK_REPOSITORY = "serverless-benchmarks"  # SeBS pushes to <user>/serverless-benchmarks:<tag>
OPENWHISK_USERNAME_ENV = "FAASFORGE_OPENWHISK_USERNAME"
OPENWHISK_PASSWORD_ENV = "FAASFORGE_OPENWHISK_PASSWORD"  # the variable's name, not a secret


def _local(settings: Settings, naming: NamingOptions, config: RegistriesConfig) -> Registry:
    from faasforge.registries.oci import OciRegistry

    return OciRegistry.from_environment(
        settings.registry or DEFAULT_LOCAL_REGISTRY, settings.repository, "local", naming, config.retry
    )


def _openwhisk(settings: Settings, naming: NamingOptions, config: RegistriesConfig) -> Registry:
    from faasforge.registries.oci import OciRegistry, parse_registry

    section = config.section("openwhisk")
    registry = settings.registry or section.get("registry", "docker.io") or "docker.io"
    namespace = section.get("namespace")
    address = parse_registry(registry)
    if namespace:
        registry = f"{registry.rstrip('/')}/{namespace.strip('/')}"
    elif address.is_docker_hub and not address.namespace:
        raise ConfigError(
            "openwhisk on Docker Hub needs a namespace (your Docker Hub user or organisation): set "
            "openwhisk.namespace in the registries config or FAASFORGE_OPENWHISK_NAMESPACE, or "
            "openwhisk.registry to a private registry"
        )
    user_env, username = section.secret("username_env", OPENWHISK_USERNAME_ENV)
    password_env, password = section.secret("password_env", OPENWHISK_PASSWORD_ENV)
    if bool(username) != bool(password):
        raise ConfigError(
            f"openwhisk registry credentials need both variables: {password_env if username else user_env} is not set"
        )
    return OciRegistry(
        registry,
        settings.repository or section.get("repository") or OPENWHISK_REPOSITORY,
        platform="openwhisk",
        username=username,
        password=password,
        naming=naming,
        verify=section.get("ca_bundle") or True,
        retry=config.retry,
    )


def _aws(settings: Settings, naming: NamingOptions, config: RegistriesConfig) -> Registry:
    from faasforge.registries.ecr import EcrRegistry

    return EcrRegistry.from_config(config.section("aws"), settings, naming, config.retry)


def _gcp(settings: Settings, naming: NamingOptions, config: RegistriesConfig) -> Registry:
    from faasforge.registries.gar import GarRegistry

    return GarRegistry.from_config(config.section("gcp"), settings, naming, config.retry)


def _azure(settings: Settings, naming: NamingOptions, config: RegistriesConfig) -> Registry:
    from faasforge.registries.acr import AcrRegistry

    return AcrRegistry.from_config(config.section("azure"), settings, naming, config.retry)


ADAPTERS: dict[str, Factory] = {
    "local": _local,
    "openwhisk": _openwhisk,
    "aws": _aws,
    "gcp": _gcp,
    "azure": _azure,
}


def make_registry(platform: str, settings: Settings) -> Registry:
    """The adapter for ``platform``, configured from settings, the registries config and the
    environment."""
    sebs_version = settings.sebs_version
    if sebs_version is None:
        from faasforge.systems import Systems

        sebs_version = Systems.load(settings.systems_config).sebs_version()
    naming = NamingOptions(tag_style=settings.tag_style, sebs_version=sebs_version)
    try:
        factory = ADAPTERS[platform]
    except KeyError:
        raise InvalidValue("platform (no registry adapter)", platform, ADAPTERS) from None
    return factory(settings, naming, RegistriesConfig.load(settings.registries_config))


class AdapterSource:
    """The adapter table as a Workspace's registry source (``faasforge.registry.RegistrySource``)."""

    def registry(self, platform: str, settings: Settings) -> Registry:
        return make_registry(platform, settings)

    def push_retry(self, settings: Settings) -> RetryPolicy:
        """The registries config's ``[retry]`` table, overridden by ``FAASFORGE_RETRY_ATTEMPTS``
        and ``FAASFORGE_RETRY_BACKOFF_SECONDS``: pushes retry as registry calls do."""
        return RegistriesConfig.load(settings.registries_config).retry


ADAPTERS_SOURCE = AdapterSource()


def open_workspace(settings: Settings) -> Workspace:
    """A Workspace whose registries are the adapters of this table."""
    from faasforge.pipeline import Workspace

    return Workspace.from_settings(settings, ADAPTERS_SOURCE)

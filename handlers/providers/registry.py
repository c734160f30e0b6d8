"""Which provider answers which geo model: an explicit, exact-name routing table.

The old system guessed the provider from substrings of the model name ("gpt" or "4.1" meant
Azure, anything unrecognised aborted the whole org; weakness 8). Here each geo model name has a
route in configuration, looked up by its trimmed, case-folded text and nothing else. A name
without a route goes to the default provider when one is configured (offline: the simulator),
otherwise `resolve` raises `UnknownModelError` naming the model and listing the configured ones,
and the caller fails that model's cells, not the org.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from handlers.errors import InvalidInputError
from handlers.providers.base import Provider, UnknownModelError
from handlers.providers.config import ModelRoute, ProviderKind, normalise_model_name

ProviderFactory = Callable[[dict[str, ModelRoute]], Provider]
"""Builds one provider from the routes (geo model name → route) that point at it."""

DEFAULT_GEO_MODELS: tuple[str, ...] = (
    "chatgpt",
    "perplexity",
    "gemini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-5",
    "gpt-5-mini",
)
"""The geo model names Senso's orgs use today; offline they are all simulated."""


def default_routes(model_names: Iterable[str] = DEFAULT_GEO_MODELS) -> dict[str, ModelRoute]:
    """Routes that send every given model to the simulated provider (the offline setup)."""
    return {name: ModelRoute(provider="simulated") for name in model_names}


class ProviderRegistry:
    """Resolves a geo model name to the provider instance that answers it."""

    def __init__(
        self,
        routes: Mapping[str, ModelRoute],
        providers: Mapping[ProviderKind, Provider],
        *,
        default_provider: ProviderKind | None = None,
        unavailable: Mapping[str, str] | None = None,
        closers: Iterable[Callable[[], None]] = (),
    ) -> None:
        self._routes = {normalise_model_name(name): route for name, route in routes.items()}
        self._names = {normalise_model_name(name): name for name in routes}
        self._unavailable = {normalise_model_name(n): why for n, why in (unavailable or {}).items()}
        self._providers = dict(providers)
        self.default_provider = default_provider
        self._closers = list(closers)
        needed = {route.provider for route in self._routes.values()}
        if default_provider is not None:
            needed.add(default_provider)
        missing = sorted(needed - set(self._providers))
        if missing:
            raise InvalidInputError(f"no provider instance for {', '.join(missing)}")

    @classmethod
    def from_config(
        cls,
        models: Mapping[str, ModelRoute],
        factories: Mapping[ProviderKind, ProviderFactory],
        *,
        default_provider: ProviderKind | None = None,
        unavailable: Mapping[str, str] | None = None,
        closers: Iterable[Callable[[], None]] = (),
    ) -> ProviderRegistry:
        """Build each routed-to provider once, from the routes that point at it."""
        grouped: dict[ProviderKind, dict[str, ModelRoute]] = {}
        for name, route in models.items():
            grouped.setdefault(route.provider, {})[name] = route
        if default_provider is not None:
            grouped.setdefault(default_provider, {})
        providers: dict[ProviderKind, Provider] = {}
        for kind, routes in grouped.items():
            factory = factories.get(kind)
            if factory is None:
                raise InvalidInputError(
                    f"models {sorted(routes)} route to {kind!r} but no factory builds it"
                )
            providers[kind] = factory(routes)
        return cls(
            models,
            providers,
            default_provider=default_provider,
            unavailable=unavailable,
            closers=closers,
        )

    @property
    def configured_models(self) -> list[str]:
        """Model names with an explicit route (including ones that cannot be served)."""
        return sorted([*self._names.values(), *self._unavailable_names()])

    def route_for(self, model_name: str) -> ModelRoute:
        """The route of a model (the default provider's when it has none of its own)."""
        key = normalise_model_name(model_name)
        if key in self._unavailable:
            raise UnknownModelError(
                model_name, self.configured_models, detail=self._unavailable[key]
            )
        route = self._routes.get(key)
        if route is not None:
            return route
        if self.default_provider is not None:
            return ModelRoute(provider=self.default_provider)
        raise UnknownModelError(model_name, self.configured_models)

    def resolve(self, model_name: str) -> Provider:
        """The provider that answers `model_name`; raises `UnknownModelError` when none does."""
        return self._providers[self.route_for(model_name).provider]

    def providers(self) -> dict[ProviderKind, Provider]:
        """Every provider instance, e.g. to size worker pools from `max_batch`."""
        return dict(self._providers)

    def close(self) -> None:
        """Close the HTTP clients the registry's builder opened."""
        for close in self._closers:
            close()
        self._closers.clear()

    def __enter__(self) -> ProviderRegistry:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _unavailable_names(self) -> list[str]:
        return [key for key in self._unavailable if key not in self._names]

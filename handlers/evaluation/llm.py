"""One structured-output chat completion, shared by the language-model evaluation components.

Every extraction asks for a strict JSON schema, validates the answer with pydantic and records
its tokens and cost. SDK failures become the library's own errors so the workflow can tell a
retryable provider hiccup (ProviderTransientError) from a request that will never work
(ProviderError).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from handlers.errors import ProviderError, ProviderTransientError
from handlers.evaluation.models import Usage
from handlers.evaluation.pricing import call_cost

if TYPE_CHECKING:
    import openai  # the SDK loads where a client is built, not here

ModelT = TypeVar("ModelT", bound=BaseModel)

# HTTP statuses worth a retry: request timeout, conflict, throttling and server-side failures.
_TRANSIENT_STATUSES = frozenset({408, 409, 429})


def _retry_after(response: Any) -> float | None:
    try:
        value = response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def _sampling_options(model: str, temperature: float) -> dict[str, Any]:
    # Reasoning models reject a temperature; they take an effort level instead (domain §4).
    if model.lower().startswith("gpt-5"):
        return {"reasoning_effort": "low"}
    return {"temperature": temperature}


def structured_completion(
    client: openai.OpenAI,
    *,
    model: str,
    schema_name: str,
    schema: dict[str, Any],
    system: str,
    user: str,
    result_type: type[ModelT],
    temperature: float = 0.0,
) -> tuple[ModelT, Usage]:
    """Ask `model` for JSON matching `schema` and return it parsed as `result_type`, with usage."""
    import openai  # loaded already by whoever built `client`

    try:
        completion = client.chat.completions.create(
            model=model,
            messages=[
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": schema_name, "strict": True, "schema": schema},
            },
            **_sampling_options(model, temperature),
        )
    except openai.APIStatusError as exc:
        status = exc.status_code
        message = f"{schema_name}: the model API answered HTTP {status}"
        if status in _TRANSIENT_STATUSES or status >= 500:
            raise ProviderTransientError(message, retry_after=_retry_after(exc.response)) from exc
        raise ProviderError(message, hint="check the model name, key and endpoint") from exc
    except openai.APIConnectionError as exc:
        # APITimeoutError is a subclass: both are worth another attempt.
        raise ProviderTransientError(f"{schema_name}: the model API is unreachable") from exc
    except openai.OpenAIError as exc:
        raise ProviderError(f"{schema_name}: {exc}") from exc

    if not completion.choices:
        raise ProviderError(f"{schema_name}: the model returned no choices")
    message_obj = completion.choices[0].message
    if getattr(message_obj, "refusal", None):
        raise ProviderError(f"{schema_name}: the model refused: {message_obj.refusal}")
    content = message_obj.content
    if not content:
        raise ProviderError(f"{schema_name}: the model returned an empty message")
    try:
        result = result_type.model_validate(json.loads(content))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ProviderError(f"{schema_name}: the model's answer does not match the schema") from exc

    usage = completion.usage
    input_tokens = usage.prompt_tokens if usage is not None else 0
    output_tokens = usage.completion_tokens if usage is not None else 0
    return result, Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=call_cost(model, input_tokens, output_tokens),
    )


def object_schema(properties: dict[str, Any]) -> dict[str, Any]:
    """A strict-mode object schema: every property required, nothing else allowed."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }

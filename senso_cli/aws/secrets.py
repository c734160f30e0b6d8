"""Secrets Manager calls senso makes: check that secrets exist, and read one in the container.

The operator side only ever needs names and metadata (does the provider key exist, when did it
change), so `describe` and `list_names` never fetch values. `get_secret_value` is for the
container, which must hand the key to a provider client; nothing here logs a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from senso_cli.aws.errors import AwsError, AwsNotFoundError, translate_errors

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


@dataclass(frozen=True)
class SecretInfo:
    """A secret's metadata; deliberately has no field that could hold its value."""

    name: str
    arn: str
    description: str | None
    last_changed: datetime | None
    deleted: bool


class Secrets:
    """A thin wrapper over the Secrets Manager client."""

    def __init__(self, client: SecretsManagerClient) -> None:
        self._client = client

    def describe(self, secret_id: str) -> SecretInfo:
        """The secret's metadata; raises AwsNotFoundError if it does not exist."""
        with translate_errors("secretsmanager", "DescribeSecret"):
            raw = self._client.describe_secret(SecretId=secret_id)
        return SecretInfo(
            name=raw.get("Name", secret_id),
            arn=raw.get("ARN", ""),
            description=raw.get("Description"),
            last_changed=raw.get("LastChangedDate"),
            deleted="DeletedDate" in raw,
        )

    def exists(self, secret_id: str) -> bool:
        """True if the secret exists and is not scheduled for deletion."""
        try:
            return not self.describe(secret_id).deleted
        except AwsNotFoundError:
            return False

    def list_names(self, *, prefix: str | None = None) -> list[str]:
        """Names of all secrets, optionally only those starting with `prefix`."""
        kwargs: dict[str, Any] = {}
        if prefix:
            kwargs["Filters"] = [{"Key": "name", "Values": [prefix]}]
        names: list[str] = []
        paginator = self._client.get_paginator("list_secrets")
        with translate_errors("secretsmanager", "ListSecrets"):
            for page in paginator.paginate(**kwargs):
                names.extend(raw["Name"] for raw in page.get("SecretList", []) if "Name" in raw)
        # The name filter matches prefixes of words too; keep only true prefixes.
        return sorted(name for name in names if prefix is None or name.startswith(prefix))

    def get_secret_value(self, secret_id: str) -> str:
        """The secret's string value, for the container only."""
        with translate_errors("secretsmanager", "GetSecretValue"):
            raw = self._client.get_secret_value(SecretId=secret_id)
        if "SecretString" not in raw:
            raise AwsError(
                f"Secret {secret_id} holds binary data, not a string",
                service="secretsmanager",
                action="GetSecretValue",
            )
        return raw["SecretString"]

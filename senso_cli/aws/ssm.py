"""SSM Parameter Store calls senso makes; rollout state lives in parameters.

Values are returned to the caller and never logged here, because a parameter may be a
SecureString.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from senso_cli.aws.errors import AwsNotFoundError, translate_errors

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_ssm.literals import ParameterTypeType


@dataclass(frozen=True)
class Parameter:
    name: str
    value: str
    version: int
    last_modified: datetime | None
    type: str = "String"


@dataclass(frozen=True)
class ParameterVersion:
    """One entry of a parameter's history; the value is what it was at that version."""

    name: str
    value: str
    version: int
    last_modified: datetime | None
    modified_by: str | None
    description: str | None


class Parameters:
    """A thin wrapper over the SSM client for reading and writing named parameters."""

    def __init__(self, client: SSMClient) -> None:
        self._client = client

    def get(self, name: str, *, decrypt: bool = True) -> Parameter:
        """The parameter's current value; raises AwsNotFoundError if it does not exist."""
        with translate_errors("ssm", "GetParameter"):
            raw = self._client.get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]
        return Parameter(
            name=raw.get("Name", name),
            value=raw.get("Value", ""),
            version=int(raw.get("Version", 0)),
            last_modified=raw.get("LastModifiedDate"),
            type=raw.get("Type", "String"),
        )

    def find(self, name: str, *, decrypt: bool = True) -> Parameter | None:
        """Like `get`, but None when the parameter was never written (first rollout)."""
        try:
            return self.get(name, decrypt=decrypt)
        except AwsNotFoundError:
            return None

    def put(
        self,
        name: str,
        value: str,
        *,
        overwrite: bool = True,
        parameter_type: ParameterTypeType = "String",
        description: str | None = None,
    ) -> int:
        """Write the parameter and return its new version.

        With overwrite=False an existing parameter is an AwsInvalidRequestError, which makes
        "create only if absent" a safe first-writer-wins lock.
        """
        kwargs: dict[str, Any] = {
            "Name": name,
            "Value": value,
            "Type": parameter_type,
            "Overwrite": overwrite,
        }
        if description is not None:
            kwargs["Description"] = description
        with translate_errors("ssm", "PutParameter"):
            return int(self._client.put_parameter(**kwargs)["Version"])

    def history(self, name: str, *, decrypt: bool = True) -> list[ParameterVersion]:
        """Every stored version of the parameter, oldest first, all pages."""
        versions: list[ParameterVersion] = []
        paginator = self._client.get_paginator("get_parameter_history")
        with translate_errors("ssm", "GetParameterHistory"):
            for page in paginator.paginate(Name=name, WithDecryption=decrypt):
                for raw in page.get("Parameters", []):
                    versions.append(
                        ParameterVersion(
                            name=raw.get("Name", name),
                            value=raw.get("Value", ""),
                            version=int(raw.get("Version", 0)),
                            last_modified=raw.get("LastModifiedDate"),
                            modified_by=raw.get("LastModifiedUser"),
                            description=raw.get("Description"),
                        )
                    )
        versions.sort(key=lambda version: version.version)
        return versions

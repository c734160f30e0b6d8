"""A factory for boto3 clients, built lazily from region, profile and an optional endpoint.

Credentials and (when `region` is None) the region follow boto3's own chain, so AWS_PROFILE,
SSO profiles, instance roles and the fake credentials tests set all work unchanged. One
addition: boto3 reads only AWS_DEFAULT_REGION, while the AWS CLI, the other SDKs, Terraform's
provider and ECS use AWS_REGION first, so AWS_REGION is honoured ahead of it here too.
`endpoint_url` points every client at moto's server in tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from senso_cli.aws.errors import translate_errors

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_sts import STSClient

# botocore's "standard" mode retries throttling and 5xx a few times with jitter before our own
# backoff (throttle.py) sees anything; bulk callers add a client-side rate limit on top.
DEFAULT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4},
    user_agent_extra="senso-cli",
)


class AwsClients:
    """Builds and caches one boto3 client per service; nothing touches AWS until first use."""

    def __init__(
        self,
        *,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        config: Config | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        variables = os.environ if environ is None else environ
        # Configured region, then AWS_REGION; else boto3's AWS_DEFAULT_REGION and profile.
        self.region = region or variables.get("AWS_REGION") or None
        self.profile = profile
        self.endpoint_url = endpoint_url
        self._config = config or DEFAULT_CONFIG
        self._session: boto3.session.Session | None = None
        self._clients: dict[str, Any] = {}

    @property
    def session(self) -> boto3.session.Session:
        if self._session is None:
            # An unknown profile fails here, so it is translated like any other setup error.
            with translate_errors("sts", "session"):
                self._session = boto3.session.Session(
                    region_name=self.region, profile_name=self.profile
                )
        return self._session

    @property
    def region_name(self) -> str | None:
        """The region the clients will use: the explicit one or boto3's resolved one."""
        return self.region or self.session.region_name

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            # NoRegionError is raised while the client is built, not on the first call.
            with translate_errors(service, "client"):
                client = self.session.client(
                    service,  # type: ignore[call-overload]
                    endpoint_url=self.endpoint_url,
                    config=self._config,
                )
            self._clients[service] = client
        return client

    def stepfunctions(self) -> SFNClient:
        client: SFNClient = self._client("stepfunctions")
        return client

    def logs(self) -> CloudWatchLogsClient:
        client: CloudWatchLogsClient = self._client("logs")
        return client

    def ecs(self) -> ECSClient:
        client: ECSClient = self._client("ecs")
        return client

    def ssm(self) -> SSMClient:
        client: SSMClient = self._client("ssm")
        return client

    def secretsmanager(self) -> SecretsManagerClient:
        client: SecretsManagerClient = self._client("secretsmanager")
        return client

    def scheduler(self) -> EventBridgeSchedulerClient:
        client: EventBridgeSchedulerClient = self._client("scheduler")
        return client

    def ecr(self) -> ECRClient:
        client: ECRClient = self._client("ecr")
        return client

    def sts(self) -> STSClient:
        client: STSClient = self._client("sts")
        return client

"""botocore failures become senso errors with the permission, hint and retry class right."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from handlers.errors import InvalidInputError, NotFoundError, TransientError
from senso_cli.aws.errors import (
    AwsAccessDeniedError,
    AwsCredentialsError,
    AwsError,
    AwsInvalidRequestError,
    AwsNotFoundError,
    AwsThrottledError,
    AwsTransientError,
    translate_errors,
)
from senso_cli.aws.session import AwsClients
from senso_cli.aws.stepfunctions import StepFunctions

SM_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:senso-org-eval"
DENIED = (
    "User: arn:aws:sts::123456789012:assumed-role/operator/alice is not authorized to perform: "
    f"states:StartExecution on resource: {SM_ARN} because no identity-based policy allows "
    "the states:StartExecution action"
)


def client_error(code: str, message: str = "boom", status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "SomeAction")


def test_access_denied_names_the_missing_permission(aws_env: None) -> None:
    client = boto3.client("stepfunctions", region_name="us-east-1")
    with Stubber(client) as stubber:
        # Stubber: moto does not enforce IAM in-process, so the denial is scripted.
        stubber.add_client_error(
            "start_execution", service_error_code="AccessDeniedException", service_message=DENIED
        )
        with pytest.raises(AwsAccessDeniedError) as caught:
            StepFunctions(client).start_execution(SM_ARN, "org-1-20250301-a1", "{}")

    error = caught.value
    assert error.permission == "states:StartExecution"
    assert error.resource == SM_ARN
    assert error.principal == "arn:aws:sts::123456789012:assumed-role/operator/alice"
    assert error.message == f"Access denied: missing permission states:StartExecution on {SM_ARN}"
    assert error.hint is not None
    assert "Grant states:StartExecution to arn:aws:sts::123456789012:assumed-role" in error.hint
    assert "AWS_PROFILE" in error.hint


def test_access_denied_without_details_falls_back_to_the_called_action() -> None:
    with pytest.raises(AwsAccessDeniedError) as caught, translate_errors("logs", "FilterLogEvents"):
        raise client_error("AccessDeniedException", "Access denied")
    assert caught.value.permission == "logs:FilterLogEvents"
    assert caught.value.message == "Access denied: missing permission logs:FilterLogEvents"


@pytest.mark.parametrize(
    ("code", "status", "expected", "senso_parent", "error_name"),
    [
        ("ThrottlingException", 400, AwsThrottledError, TransientError, "Senso.Transient"),
        ("ExecutionDoesNotExist", 400, AwsNotFoundError, NotFoundError, "Senso.NotFound"),
        ("ParameterNotFound", 400, AwsNotFoundError, InvalidInputError, "Senso.NotFound"),
        ("InvalidArn", 400, AwsInvalidRequestError, InvalidInputError, "Senso.InvalidInput"),
        ("InternalServerError", 500, AwsTransientError, TransientError, "Senso.Transient"),
        ("SomethingNew", 503, AwsTransientError, TransientError, "Senso.Transient"),
        ("SomethingNew", 400, AwsError, AwsError, "Senso.Error"),
    ],
)
def test_client_error_codes_map_to_senso_classes(
    code: str, status: int, expected: type, senso_parent: type, error_name: str
) -> None:
    with pytest.raises(AwsError) as caught, translate_errors("states", "DescribeExecution"):
        raise client_error(code, "it failed", status)
    assert type(caught.value) is expected
    assert isinstance(caught.value, senso_parent)
    # The workflow's Retry/Catch match on these names, so AWS errors must keep them.
    assert caught.value.error_name == error_name
    assert caught.value.code == code
    assert caught.value.message == "states:DescribeExecution failed: it failed"


def test_expired_token_is_a_credentials_problem() -> None:
    with pytest.raises(AwsCredentialsError) as caught, translate_errors("ssm", "GetParameter"):
        raise client_error("ExpiredTokenException", "The security token included has expired")
    assert caught.value.hint is not None
    assert "aws configure" in caught.value.hint


def test_unreachable_endpoint_is_transient() -> None:
    with pytest.raises(AwsTransientError) as caught, translate_errors("logs", "FilterLogEvents"):
        raise EndpointConnectionError(endpoint_url="https://logs.moon-1.amazonaws.com/")
    assert caught.value.message == "Could not reach https://logs.moon-1.amazonaws.com/"


def test_translate_errors_works_as_a_decorator() -> None:
    @translate_errors("ecs", "StopTask")
    def stop() -> None:
        raise client_error("ClusterNotFoundException", "Cluster not found.")

    with pytest.raises(AwsNotFoundError, match=r"ecs:StopTask failed: Cluster not found\."):
        stop()


def test_no_region_is_a_credentials_error_with_a_hint(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION")
    clients = AwsClients()
    with pytest.raises(AwsCredentialsError) as caught:
        clients.stepfunctions()
    assert caught.value.message == "No AWS region configured for stepfunctions:client"
    assert caught.value.hint is not None
    assert "environments.<name>.region" in caught.value.hint
    assert "aws configure" in caught.value.hint
    assert "SENSO_ENV" in caught.value.hint


def test_no_credentials_is_a_credentials_error_with_a_hint(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    for name in (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    client = AwsClients(region="us-east-1").stepfunctions()

    def never_send(**_: object) -> None:
        raise AssertionError("a request without credentials must not be sent")

    # Signing fails before sending; the hook proves no request leaves the machine either way.
    client.meta.events.register("before-send", never_send)
    with pytest.raises(AwsCredentialsError) as caught:
        StepFunctions(client).describe_execution(SM_ARN.replace("stateMachine", "execution") + ":x")
    assert caught.value.message == "No usable AWS credentials for states:DescribeExecution"
    assert caught.value.hint is not None
    for fix in ("aws configure", "AWS_PROFILE", "SENSO_ENV"):
        assert fix in caught.value.hint


def test_unknown_profile_is_a_credentials_error(aws_env: None) -> None:
    clients = AwsClients(profile="no-such-profile")
    with pytest.raises(AwsCredentialsError, match="AWS profile not found: no-such-profile"):
        clients.ssm()

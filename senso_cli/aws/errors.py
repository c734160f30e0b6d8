"""AWS failures turned into senso errors with a one-line message and a hint.

    SensoError (handlers.errors)
    └── AwsError                    any AWS call that failed; carries service, action and code
        ├── AwsAccessDeniedError    the caller lacks one IAM permission, named in the message
        ├── AwsCredentialsError     no/expired credentials, unknown profile, no region
        ├── AwsInvalidRequestError  AWS rejected the request itself; also InvalidInputError
        ├── AwsNotFoundError        the named resource does not exist; also NotFoundError
        ├── AwsTransientError       5xx, timeouts, unreachable endpoint; also TransientError
        │   └── AwsThrottledError   AWS asked us to slow down
        └── LiveTailUnsupportedError StartLiveTail cannot be used here; callers fall back to polling

`translate_errors(service, action)` is a context manager (and decorator) that maps botocore's
exceptions into this tree, so no botocore exception leaves `senso_cli.aws`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    TokenRetrievalError,
)

from handlers.errors import InvalidInputError, NotFoundError, SensoError, TransientError

CREDENTIALS_HINT = (
    "Run `aws configure` (or `aws sso login`), set AWS_PROFILE or environments.<name>.profile, "
    "or set SENSO_ENV to use that environment's profile."
)
REGION_HINT = (
    "Set environments.<name>.region or AWS_REGION, add `region` to the profile with "
    "`aws configure`, "
    "or set SENSO_ENV to use that environment's region."
)

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
    }
)
ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)
# These mean the credentials themselves are wrong or stale, not that a permission is missing.
BAD_CREDENTIALS_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "ExecutionDoesNotExist",
        "StateMachineDoesNotExist",
        "ActivityDoesNotExist",
        "TaskDoesNotExist",
        "ParameterNotFound",
        "ParameterVersionNotFound",
        "ClusterNotFoundException",
        "NotFoundException",
    }
)
INVALID_REQUEST_CODES = frozenset(
    {
        "ValidationException",
        "InvalidParameterException",
        "InvalidParameterValueException",
        "InvalidRequestException",
        "InvalidArn",
        "InvalidName",
        "InvalidToken",
        "InvalidDefinition",
        "InvalidExecutionInput",
        "InvalidOutput",
        "ExecutionNotRedrivable",
        "ExecutionLimitExceeded",
        "StateMachineAlreadyExists",
        "ParameterAlreadyExists",
        "ConflictException",
    }
)
TRANSIENT_CODES = frozenset(
    {"InternalServerError", "InternalFailure", "ServiceUnavailable", "ServiceException"}
)

_PERMISSION = re.compile(r"not authorized to perform:?\s+(?P<permission>[\w-]+:[\w*-]+)")
_RESOURCE = re.compile(r"on resource:?\s+(?P<resource>[^\s,;]+)")
_PRINCIPAL = re.compile(r"User:?\s+(?P<principal>arn:[^\s]+)")


class AwsError(SensoError):
    """An AWS call failed.

    It deliberately sets no `error_name`: the subclasses inherit it from their senso parent so
    the workflow's Retry/Catch on Senso.Transient or Senso.InvalidInput keeps working.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str = "",
        action: str = "",
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.service = service
        self.action = action
        self.code = code


class AwsAccessDeniedError(AwsError):
    """The caller lacks an IAM permission; `permission` names it (e.g. states:StartExecution)."""

    def __init__(
        self,
        message: str,
        *,
        permission: str,
        resource: str | None = None,
        principal: str | None = None,
        service: str = "",
        action: str = "",
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, service=service, action=action, code=code, hint=hint)
        self.permission = permission
        self.resource = resource
        self.principal = principal


class AwsCredentialsError(AwsError):
    """No usable credentials or region: nothing to do until the operator fixes the setup."""


class AwsInvalidRequestError(AwsError, InvalidInputError):
    """AWS rejected the request itself; retrying the same request cannot help."""


class AwsNotFoundError(AwsError, NotFoundError):
    """The execution, log group, parameter or other resource does not exist."""


class AwsTransientError(AwsError, TransientError):
    """A failure a later attempt may not meet: 5xx, timeouts, a dropped connection."""


class AwsThrottledError(AwsTransientError):
    """AWS throttled the call; back off (see `senso_cli.aws.throttle`) and try again."""


class LiveTailUnsupportedError(AwsError):
    """StartLiveTail cannot be used (no API, no endpoint, no permission, session limit)."""


def error_code(error: ClientError) -> str:
    """The AWS error code of a ClientError, or '' when the response carried none."""
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


def access_denied(error: ClientError, *, service: str, action: str) -> AwsAccessDeniedError:
    """Build the access-denied error, naming the permission AWS says is missing."""
    text = error_message(error)
    permission_match = _PERMISSION.search(text)
    resource_match = _RESOURCE.search(text)
    principal_match = _PRINCIPAL.search(text)
    # Not every service spells the permission out; the action we called is the best guess.
    permission = permission_match["permission"] if permission_match else f"{service}:{action}"
    resource = resource_match["resource"] if resource_match else None
    principal = principal_match["principal"] if principal_match else None
    message = f"Access denied: missing permission {permission}"
    if resource:
        message += f" on {resource}"
    who = principal or "your AWS identity"
    return AwsAccessDeniedError(
        message,
        permission=permission,
        resource=resource,
        principal=principal,
        service=service,
        action=action,
        code=error_code(error),
        hint=f"Grant {permission} to {who}, or use a profile that has it "
        "(AWS_PROFILE or environments.<name>.profile).",
    )


def translate_client_error(error: ClientError, *, service: str, action: str) -> AwsError:
    """Map one ClientError to the senso error for its code."""
    code = error_code(error)
    text = f"{service}:{action} failed: {error_message(error)}"
    context = {"service": service, "action": action, "code": code}
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in ACCESS_DENIED_CODES:
        return access_denied(error, service=service, action=action)
    if code in BAD_CREDENTIALS_CODES:
        return AwsCredentialsError(text, hint=CREDENTIALS_HINT, **context)
    if code in THROTTLING_CODES:
        return AwsThrottledError(text, hint="Retry later or lower the request rate.", **context)
    if code in NOT_FOUND_CODES:
        return AwsNotFoundError(text, **context)
    if code in INVALID_REQUEST_CODES:
        return AwsInvalidRequestError(text, **context)
    if code in TRANSIENT_CODES or status >= 500:
        return AwsTransientError(text, hint="AWS had a temporary failure; retry.", **context)
    return AwsError(text, **context)


@contextmanager
def translate_errors(service: str, action: str) -> Iterator[None]:
    """Re-raise botocore failures inside the block (or decorated function) as AwsError.

    `service` is the IAM prefix (states, logs, ecs, ssm, secretsmanager, scheduler) and `action`
    the API action, so messages read like the permission an operator would grant.
    """
    context = {"service": service, "action": action}
    try:
        yield
    except ClientError as error:
        raise translate_client_error(error, service=service, action=action) from error
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise AwsCredentialsError(
            f"No usable AWS credentials for {service}:{action}",
            hint=CREDENTIALS_HINT,
            **context,
        ) from error
    except TokenRetrievalError as error:
        raise AwsCredentialsError(
            f"The AWS SSO session has expired ({service}:{action})",
            hint="Run `aws sso login` for the same profile.",
            **context,
        ) from error
    except ProfileNotFound as error:
        raise AwsCredentialsError(
            f"AWS profile not found: {error.kwargs.get('profile', '?')}",
            hint="Check AWS_PROFILE / environments.<name>.profile against "
            "`aws configure list-profiles`.",
            **context,
        ) from error
    except NoRegionError as error:
        raise AwsCredentialsError(
            f"No AWS region configured for {service}:{action}", hint=REGION_HINT, **context
        ) from error
    except EndpointConnectionError as error:
        raise AwsTransientError(
            f"Could not reach {error.kwargs.get('endpoint_url', 'the AWS endpoint')}",
            hint="Check the network or VPN, the region, and environments.<name>.endpoint_url.",
            **context,
        ) from error
    except (ConnectTimeoutError, ReadTimeoutError) as error:
        raise AwsTransientError(
            f"{service}:{action} timed out", hint="Retry; check the network.", **context
        ) from error

"""Error names of the Amazon States Language and the exceptions the interpreter raises.

Two kinds of failure exist and they must not be confused:

- ``StatesError`` is a *runtime* error inside an execution, named like AWS names it
  (``States.TaskFailed``, ``MyApp.NotFound``...). Retriers and catchers match on its ``error``;
  uncaught, it fails the execution with that error and cause.
- ``DefinitionError`` means the state machine itself is malformed, which AWS reports when the
  machine is created, before anything runs.

Both derive from ``SfnError`` so a caller can catch everything this package raises in one place::

    SfnError
    ├── StatesError        error + cause of a failed state
    ├── DefinitionError    list of problems found in a definition
    ├── PathSyntaxError    a JSONPath the interpreter cannot parse
    ├── PathNotFoundError  a JSONPath that selects nothing in the data it is applied to
    └── MockConfigError    a Step Functions Local mock configuration that cannot be used

The last three are internal currencies: the interpreter turns them into the ``StatesError`` AWS
would report at that place (``States.ParameterPathFailure``, ``States.Runtime``...).
"""

from __future__ import annotations

from senso_cli.sfn import causes

ALL = "States.ALL"
BRANCH_FAILED = "States.BranchFailed"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
ITEM_READER_FAILED = "States.ItemReaderFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
PERMISSIONS = "States.Permissions"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
RUNTIME = "States.Runtime"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"

# The developer guide ("Handling errors in Step Functions workflows"): States.Runtime is never
# retried or caught, and States.DataLimitExceeded is terminal for the States.ALL wildcard.
UNCATCHABLE = frozenset({RUNTIME})
LOCATED_ERRORS = frozenset({RUNTIME, QUERY_EVALUATION_ERROR})
TERMINAL_FOR_WILDCARDS = frozenset({RUNTIME, DATA_LIMIT_EXCEEDED})


class SfnError(Exception):
    """Root of every exception raised by ``senso_cli.sfn``."""


class StatesError(SfnError):
    """A runtime error of a state, identified by an error name and a human-readable cause.

    ``from_branch`` records that the error escaped a Parallel branch or a Map iteration, so a
    retrier or catcher listing ``States.BranchFailed`` can match it while the original error
    name still propagates (which is what AWS reports for the failed state).
    """

    def __init__(
        self,
        error: str,
        cause: str | None = None,
        *,
        from_branch: bool = False,
        located: bool = False,
    ) -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause
        self.from_branch = from_branch
        # Whether ``cause`` already names the state it happened in (see ``causes.located``).
        self.located = located

    def at_state(self, state: str, entered_event_id: int) -> StatesError:
        """This error with the service's "An error occurred while executing the state..." prefix.

        AWS prefixes the causes of the runtime's own errors (States.Runtime and
        States.QueryEvaluationError) this way, once, at the state where they happen.
        """
        if self.located or self.error not in LOCATED_ERRORS:
            return self
        cause = causes.located(state, entered_event_id, self.cause or "")
        return StatesError(self.error, cause, from_branch=self.from_branch, located=True)

    def as_output(self) -> dict[str, str]:
        """The error object a catcher's ResultPath receives: ``{"Error", "Cause"}``."""
        output = {"Error": self.error}
        if self.cause is not None:
            output["Cause"] = self.cause
        return output


class DefinitionError(SfnError):
    """A state machine definition that cannot run; ``problems`` lists every issue found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid state machine definition:\n- " + "\n- ".join(problems))
        self.problems = problems


class PathSyntaxError(SfnError):
    """A JSONPath (or intrinsic function call) that does not parse."""


class PathNotFoundError(SfnError):
    """A definite JSONPath that selects nothing, or a path that cannot be written to.

    The message is the reason as AWS words it; ``path`` and ``data`` are set by callers that
    know which path failed on which value (an intrinsic function's argument, for one).
    """

    path: str | None = None
    data: object = None


class MockConfigError(SfnError):
    """A MockConfigFile that is malformed or has no answer for a call."""

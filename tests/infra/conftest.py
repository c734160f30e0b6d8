"""Fixtures for the infrastructure tests (the machinery lives in tests/infra/harness.py)."""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Iterator

import pytest

from tests.infra.harness import (
    REGION,
    MotoServer,
    Terraform,
    TerraformSetup,
    find_provider_mirror,
    patch_moto_stepfunctions,
    require_executable,
)


@pytest.fixture(scope="session")
def terraform_setup(tmp_path_factory: pytest.TempPathFactory) -> TerraformSetup:
    binary = require_executable(
        "terraform", "install Terraform >= 1.6 (CI images have it next to the provider mirror)."
    )
    mirror = find_provider_mirror()
    if mirror is None:
        pytest.fail(
            "No hashicorp/aws provider mirror found within 6 levels of /; set "
            "SENSO_TF_PROVIDER_MIRROR to the folder that holds registry.terraform.io."
        )
    home = tmp_path_factory.mktemp("terraform")
    cli_config = home / "terraform.rc"
    cli_config.write_text(
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        '  direct { exclude = ["registry.terraform.io/hashicorp/*"] }\n'
        "}\n"
    )
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        # Fake credentials: nothing here may reach a real account.
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "TF_DATA_DIR", "TF_WORKSPACE"):
        env.pop(name, None)
    return TerraformSetup(binary=binary, env=env, copies_root=home / "copies")


@pytest.fixture(scope="session")
def terraform_copy(terraform_setup: TerraformSetup) -> Terraform:
    """One initialised copy shared by the read-only checks (fmt, validate)."""
    return terraform_setup.copy("checks")


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    """moto's server on a free port of 127.0.0.1, in this process, with empty backends."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    patch_moto_stepfunctions()
    # One access-log line per request would bury any failure report.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        # Start from empty backends even if an earlier in-process moto test left state behind.
        reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 (local http URL)
        yield MotoServer(url)
    finally:
        server.stop()

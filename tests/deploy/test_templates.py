"""The deploy/ templates: the SAM template through aws-sam-translator and cfn-lint, and the
Serverless Framework file against the keys its documentation lists (its CloudFormation
resources through cfn-lint)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.timeout(120)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def lint(template: dict[str, Any]) -> list[str]:
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(template), config=ManualArgs(regions=["eu-west-1"]))
    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches]


def sam_template() -> dict[str, Any]:
    from cfnlint.decode import decode

    template, errors = decode(str(DEPLOY / "aws-sam" / "template.yaml"))
    assert not errors, errors
    return json.loads(json.dumps(template))


def test_sam_template_passes_cfn_lint() -> None:
    from cfnlint.api import ManualArgs, lint

    text = (DEPLOY / "aws-sam" / "template.yaml").read_text()
    assert [str(m) for m in lint(text, config=ManualArgs(regions=["eu-west-1"]))] == []


@pytest.mark.parametrize("function_url", ["false", "true"])
def test_sam_template_translates(function_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:  # the template names no managed policy to look up
        def load(self) -> dict[str, str]:
            return {}

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    template = sam_template()
    # `sam package` replaces the local CodeUri with the uploaded artifact's S3 URI
    template["Resources"]["BotFunction"]["Properties"]["CodeUri"] = "s3://bucket/bot.zip"
    params = {"UseFunctionUrl": function_url}
    out = transform(template, params, NoManagedPolicies())
    resources = out["Resources"]
    assert resources["BotFunction"]["Type"] == "AWS::Lambda::Function"
    props = resources["BotFunction"]["Properties"]
    assert props["Handler"] == "bot.handler"
    assert set(props["Environment"]["Variables"]) >= {"TELEGRAM_BOT_TOKEN", "TGSERVE_SECRET_TOKEN"}
    assert resources["ServerlessHttpApi"]["Type"] == "AWS::ApiGatewayV2::Api"
    assert resources["BotFunctionUrl"]["Condition"] == "FunctionUrl"
    assert lint(out) == []


# The Serverless Framework's documented serverless.yml keys (AWS provider reference).
TOP = {
    "service", "frameworkVersion", "provider", "functions", "package", "plugins", "custom",
    "resources", "params", "useDotenv", "configValidationMode", "org", "app", "stages",
}  # fmt: skip
PROVIDER = {
    "name", "runtime", "architecture", "region", "stage", "profile", "memorySize", "timeout",
    "logRetentionInDays", "environment", "iam", "httpApi", "apiGateway", "deploymentBucket",
    "tags", "stackTags", "tracing", "vpc", "layers", "versionFunctions", "logs", "ecr",
}  # fmt: skip
FUNCTION = {
    "handler", "image", "name", "description", "runtime", "architecture", "memorySize",
    "timeout", "environment", "events", "url", "layers", "package", "reservedConcurrency",
    "provisionedConcurrency", "vpc", "tags", "role", "snapStart", "maximumRetryAttempts",
}  # fmt: skip
EVENTS = {"httpApi", "http", "alb", "schedule", "sqs", "sns", "stream", "s3"}
HTTP_API = {"path", "method", "authorizer"}
RUNTIMES = {"python3.11", "python3.12", "python3.13", "python3.14"}


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short intrinsic tags, as the framework reads it."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CfnLoader.add_multi_constructor("!", _intrinsic)


def serverless() -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(
        (DEPLOY / "serverless" / "serverless.yml").read_text(), CfnLoader
    )
    return data


def test_serverless_yml_uses_documented_keys() -> None:
    config = serverless()
    assert set(config) <= TOP, set(config) - TOP
    assert {"service", "provider", "functions"} <= set(config)
    provider = config["provider"]
    assert set(provider) <= PROVIDER, set(provider) - PROVIDER
    assert provider["name"] == "aws" and provider["runtime"] in RUNTIMES
    assert 1 <= provider["timeout"] <= 900 and provider["memorySize"] >= 128
    env = provider["environment"]
    assert {"TELEGRAM_BOT_TOKEN", "TGSERVE_SECRET_TOKEN"} <= set(env)
    assert all(v.startswith("${ssm:") for k, v in env.items() if "TOKEN" in k)  # no secret inline
    for name, function in config["functions"].items():
        assert set(function) <= FUNCTION, (name, set(function) - FUNCTION)
        module, _, attr = function["handler"].rpartition(".")
        assert module and attr.isidentifier()
        for item in function["events"]:
            ((kind, spec),) = item.items()
            assert kind in EVENTS
            if kind == "httpApi":
                assert set(spec) <= HTTP_API and spec["path"].startswith("/")
    routes = {
        (e["httpApi"]["method"], e["httpApi"]["path"]) for e in config["functions"]["bot"]["events"]
    }
    assert ("POST", "/webhook") in routes
    assert config["package"]["patterns"][0] == "!**"


def _resolve(value: Any) -> Any:
    """Framework variables (``${...}``) replaced by a plain name, as the framework would."""
    if isinstance(value, str):
        return re.sub(r"\$\{[^}]*\}", "x", value)
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    return value


def test_serverless_resources_pass_cfn_lint() -> None:
    config = serverless()
    resources = _resolve(config["resources"]["Resources"])
    table = resources["UpdatesTable"]["Properties"]
    # the key schema tgserve's DynamoDB store checks at start
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    assert lint(template) == []
    store = config["provider"]["environment"]["TGSERVE_STORE"]
    name = config["resources"]["Resources"]["UpdatesTable"]["Properties"]["TableName"]
    assert store.startswith(f"dynamodb://{name}?region=")  # the store names the table made

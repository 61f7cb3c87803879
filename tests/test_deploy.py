"""The deployment artifacts agree with the service: commands, settings, metrics, probes.

No container engine or cluster is needed: every file under ``deploy/`` (and the
Dockerfile, the compose file) is parsed and checked against what the code really offers
-- the console scripts of ``pyproject.toml``, the settings ``Settings.from_env`` reads and
accepts, the metrics ``Metrics()`` registers -- so a renamed setting, metric or entry
point breaks this test rather than a deployment. PromQL is parsed by a real parser.
"""

from __future__ import annotations

import ast
import asyncio
import ipaddress
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client import Counter, Gauge, Histogram

from rdap_coop.core import metrics as metrics_module
from rdap_coop.core.config import PREFIX, ConfigError, Settings
from rdap_coop.core.internal_http import InternalEndpoints, serve_internal
from rdap_coop.core.replicas import Readiness
from rdap_coop.core.workers import STOP_GRACE_SECONDS

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SCRIPTS = frozenset(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])
OUR_IMAGE = "rdap-coop:local"
# Settings that arrive with the configuration file and structured logs: env.example may
# list them even where config.py does not read them yet.
TARGET_LABELS = frozenset({"job", "instance", "namespace", "pod"})
GRAFANA_MACROS = {"$__rate_interval": "5m", "$__range": "6h", "$__interval": "1m"}


def yaml_documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = (line.strip() for line in text.splitlines())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in lines if line and not line.startswith("#")]


def image_env() -> dict[str, str]:
    return dict(item.split("=", 1) for kind, args in dockerfile() if kind == "ENV"
                for item in shlex.split(args))


def settings_names_read() -> frozenset[str]:
    """Names the configuration code reads: ``reader.xxx("NAME", ...)`` calls, and every
    name ``Settings.from_env`` asks its mapping for by key."""
    names: set[str] = set()
    for path in (ROOT / "rdap_coop" / "core").glob("config*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and "reader" in node.func.value.id
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                names.add(node.args[0].value)

    class Recording(Mapping[str, str]):
        env: typing.ClassVar = {f"{PREFIX}DATABASE_DSN": "postgresql://reader@replica/db"}

        def __getitem__(self, key: str) -> str:
            if key.startswith(PREFIX):
                names.add(key.removeprefix(PREFIX))
            return self.env[key]

        def __iter__(self) -> Iterator[str]:
            return iter(self.env)

        def __len__(self) -> int:
            return len(self.env)

    Settings.from_env(Recording())
    return frozenset(name for name in names if re.fullmatch(r"[A-Z][A-Z0-9_]+", name))


def exported_metrics() -> dict[str, frozenset[str]]:
    """Every series name the service exports, with its label names (plus ``up``)."""
    metrics = metrics_module.Metrics()
    collectors = [value for value in (*vars(metrics).values(), *vars(metrics.database).values())
                  if isinstance(value, Counter | Gauge | Histogram)]
    registered = {family.name for family in metrics.registry.collect()}
    families = [(next(iter(c.describe())), frozenset(c._labelnames)) for c in collectors]
    assert {family.name for family, _ in families} == registered  # none overlooked
    names: dict[str, frozenset[str]] = {"up": frozenset()}
    for family, labels in families:
        if family.type == "counter":
            names[f"{family.name}_total"] = labels
        elif family.type == "histogram":
            names.update({f"{family.name}_bucket": labels | {"le"},
                          f"{family.name}_sum": labels, f"{family.name}_count": labels})
        else:
            names[family.name] = labels
    return names


CLOSED_VALUES = {
    "service": set(typing.get_args(metrics_module.Service)),
    "rdap_coop_requests_total.outcome": set(typing.get_args(metrics_module.Outcome)),
    "rdap_coop_rate_limit_decisions_total.outcome": set(
        typing.get_args(metrics_module.LimitOutcome)),
    "rdap_coop_personal_data_quota_decisions_total.outcome": set(
        typing.get_args(metrics_module.QuotaOutcome)),
    "rdap_coop_shed_requests_total.reason": set(typing.get_args(metrics_module.ShedReason)),
    "rdap_coop_disclosures_total.outcome": {"audited", "refused"},
    "up.job": {"rdap", "whois"},
}


def check_query(query: str, exported: Mapping[str, frozenset[str]]) -> set[str]:
    """Parse ``query``; every selector must name an exported series, with its own labels
    and values from the closed sets. Returns the series names used."""
    for macro, value in GRAFANA_MACROS.items():
        query = query.replace(macro, value)
    used: set[str] = set()

    def visit(node: promql_parser.Expr) -> None:
        if not isinstance(node, promql_parser.VectorSelector):
            return
        assert node.name is not None and node.name in exported, f"{node.name}: {query}"
        used.add(node.name)
        for matcher in node.matchers.matchers:
            assert matcher.name in exported[node.name] | TARGET_LABELS, (node.name, matcher.name)
            allowed = CLOSED_VALUES.get(f"{node.name}.{matcher.name}",
                                        CLOSED_VALUES.get(matcher.name))
            if allowed is not None and matcher.op in (promql_parser.MatchOp.Equal,
                                                      promql_parser.MatchOp.Re):
                assert set(matcher.value.split("|")) <= allowed, (node.name, matcher.value)
            if matcher.name == "le":  # a bucket bound, written as the client library does
                assert re.fullmatch(matcher.value, "4.0"), matcher.value

    promql_parser.walk(promql_parser.parse(query), visit)
    return used


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_queries() -> Iterator[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "rdap-coop.json").read_text())
    for panel in dashboard["panels"]:
        yield from (target["expr"] for target in panel.get("targets", ()))


def k8s_objects() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml_documents(path)]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in k8s_objects() if o["kind"] == kind}


def unit_file(path: Path) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_every_yaml_and_json_file_parses() -> None:
    paths = [ROOT / "docker-compose.yml", *DEPLOY.rglob("*.y*ml")]
    assert len(paths) > 15
    for path in paths:
        assert yaml_documents(path), path
    json.loads((DEPLOY / "grafana" / "dashboards" / "rdap-coop.json").read_text())


def test_image_is_multi_stage_non_root_and_starts_an_entry_point() -> None:
    steps = dockerfile()
    stages = [args for kind, args in steps if kind == "FROM"]
    assert len(stages) >= 2 and stages[-1].endswith("AS runtime")
    assert dict(steps)["ARG"].startswith("PYTHON_IMAGE=python:3.11-slim")
    cmd = json.loads([args for kind, args in steps if kind == "CMD"][-1])
    assert cmd == ["rdap-coop", "serve"] and cmd[0] in SCRIPTS
    user = [args for kind, args in steps if kind == "USER"][-1]
    assert int(user.split(":")[0]) != 0
    healthcheck = [args for kind, args in steps if kind == "HEALTHCHECK"][-1]
    assert "/usr/local/lib/rdap-coop/healthcheck.py" in healthcheck and "curl" not in healthcheck
    exposed = {int(port) for kind, args in steps if kind == "EXPOSE" for port in args.split()}
    assert exposed == {8080, 4343, 9108, 9109}
    runtime = steps[[i for i, (kind, _) in enumerate(steps) if kind == "FROM"][-1]:]
    assert not any(re.search(r"\b(gcc|build-essential|apt-get install)\b", args)
                   for _, args in runtime)


def dockerignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern also covers a directory's
    contents; ``!`` lets a path back in."""
    ignored = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated, pattern = pattern.startswith("!"), pattern.lstrip("!")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\[", "[").replace(r"\]", "]")
        parts = path.split("/")
        if any(re.fullmatch(regex, "/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            ignored = not negated
    return ignored


def test_build_context_holds_the_sources_and_nothing_else() -> None:
    for kind, args in dockerfile():
        if kind == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert (ROOT / source).exists() and not dockerignored(source), source
    for kept in ("rdap_coop/core/sql/schema.sql", "whois_coop/server.py", "pyproject.toml"):
        assert not dockerignored(kept), kept
    for left_out in (".venv/bin/python", "tests/test_deploy.py", ".git/HEAD", "bench/x.py",
                     "rdap_coop/__pycache__/cli.cpython-311.pyc", "rdap_coop.egg-info/PKG-INFO"):
        assert dockerignored(left_out), left_out


async def test_healthcheck_script_asks_the_internal_listener() -> None:
    not_ready = Readiness(False, "no replica reachable", None)
    server = await serve_internal(InternalEndpoints(lambda: b"", lambda: not_ready),
                                  "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    script = str(DEPLOY / "docker" / "healthcheck.py")

    async def healthcheck(**env: str) -> int:
        process = await asyncio.create_subprocess_exec(
            sys.executable, script, env={"PATH": os.environ.get("PATH", ""), **env},
            stderr=subprocess.DEVNULL)
        return await process.wait()

    try:  # alive though not ready: /health, not /ready, decides a container's health
        assert await healthcheck(RDAP_COOP_METRICS_HOST="0.0.0.0",
                                 RDAP_COOP_METRICS_PORT=str(port)) == 0
        assert await healthcheck(RDAP_COOP_METRICS_PORT="0", RDAP_COOP_RDAP_PORT=str(port)) == 0
    finally:
        server.close()
        await server.wait_closed()
    assert await healthcheck(RDAP_COOP_METRICS_PORT=str(port)) == 1


def test_compose_builds_mounts_and_orders_what_exists() -> None:
    document = compose()
    services: dict[str, Any] = document["services"]
    for name, service in services.items():
        build = service.get("build")
        if build is not None:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        files = service.get("env_file", [])
        for path in [files] if isinstance(files, str) else files:
            assert (ROOT / path).is_file(), (name, path)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists() and source.startswith("./deploy/"), volume
            else:
                assert source in document["volumes"], volume
        for target, condition in service.get("depends_on", {}).items():
            assert target in services, (name, target)
            if condition["condition"] == "service_healthy":  # our image brings its own
                assert "healthcheck" in services[target] or services[target]["image"] == OUR_IMAGE
        if service.get("image") == OUR_IMAGE:
            command = service["command"]
            assert command[0] in SCRIPTS or command[:1] == ["sh"], (name, command)
        if "restart" in service and service["restart"] != "no":
            assert "healthcheck" in service or name == "heartbeat", name


def compose_settings(name: str) -> Settings:
    service = compose()["services"][name]
    env = {**image_env(), **env_file(ROOT / service["env_file"]), **service["environment"]}
    return Settings.from_env(env)


def test_compose_services_read_only_the_replica_through_shared_state() -> None:
    services = compose()["services"]
    proxy_address = ipaddress.ip_address(
        services["proxy"]["networks"]["rdap-coop"]["ipv4_address"])
    for name in ("rdap", "whois"):
        settings = compose_settings(name)
        assert settings.workers == 2 and settings.rate_limit.redis_url is not None
        assert settings.rdap.cursor_secret is not None
        for dsn in settings.database.dsns:
            assert "@replica:" in dsn and "primary" not in dsn
    rdap = compose_settings("rdap")
    assert rdap.rdap.trusted_proxies == (ipaddress.ip_network(f"{proxy_address}/32"),)
    assert rdap.rdap.base_url.startswith("https://")
    assert "reverse_proxy rdap:8080" in (DEPLOY / "proxy" / "Caddyfile").read_text()
    rules = [line.split() for line in (DEPLOY / "postgres" / "primary-pg_hba.conf").read_text()
             .splitlines() if line.strip() and not line.startswith("#")]
    assert rules[0] == ["host", "all", "rdap_coop_reader", "all", "reject"]  # first match wins


def test_prometheus_scrapes_both_metrics_ports_and_loads_the_rules() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    mounts = dict(reversed(volume.split(":")[:2]) for volume in
                  compose()["services"]["prometheus"]["volumes"])
    for rule_file in config["rule_files"]:
        assert (ROOT / mounts[rule_file]).is_file(), rule_file
    targets = {job["job_name"]: job["static_configs"][0]["targets"]
               for job in config["scrape_configs"]}
    for service in ("rdap", "whois"):
        assert targets[service] == [f"{service}:{compose_settings(service).metrics.port}"]


def test_alerts_are_labelled_annotated_and_cover_what_must_be_watched() -> None:
    exported = exported_metrics()
    used: set[str] = set()
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        used |= check_query(rule["expr"], exported)
    assert {"up", "rdap_coop_request_duration_seconds_bucket", "rdap_coop_replica_up",
            "rdap_coop_database_freshness_timestamp_seconds", "rdap_coop_replica_lag_seconds",
            "rdap_coop_replica_failovers_total", "rdap_coop_requests_total",
            "rdap_coop_rate_limit_decisions_total", "rdap_coop_disclosures_total",
            "rdap_coop_rate_limit_store_degraded"} <= used


def test_every_alert_is_unit_tested_and_explained_in_the_readme() -> None:
    names = {rule["alert"] for rule in alert_rules()}
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts.test.yml").read_text())["tests"]
    firing = {case["alertname"] for test in tests for case in test["alert_rule_test"]
              if case["exp_alerts"]}
    assert firing == names
    operations = (ROOT / "README.md").read_text().split("\n## Operations\n", 1)[1]
    assert all(f"`{name}`" in operations for name in names), names


def test_dashboard_queries_use_exported_metrics_on_the_provisioned_datasource() -> None:
    exported = exported_metrics()
    used = set().union(*(check_query(query, exported) for query in dashboard_queries()))
    assert {name for name in exported if name.startswith("rdap_coop_")
            and not name.endswith(("_sum", "_count"))} <= used
    provisioning = DEPLOY / "grafana" / "provisioning"
    datasource = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "rdap-coop.json").read_text())
    uids = {panel["datasource"]["uid"] for panel in dashboard["panels"] if "targets" in panel}
    assert uids == {datasource["datasources"][0]["uid"]}
    provider = yaml.safe_load((provisioning / "dashboards" / "rdap-coop.yml").read_text())
    assert f"./deploy/grafana/dashboards:{provider['providers'][0]['options']['path']}:ro" in (
        compose()["services"]["grafana"]["volumes"])


def selected(selector: Mapping[str, str]) -> list[str]:
    """The Deployments whose pods carry every label of ``selector``."""
    return [name for name, deployment in by_kind("Deployment").items()
            if selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()]


def only_container(deployment: Mapping[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(container)


def k8s_settings(container: Mapping[str, Any], cursor_secret: str | None = "ab" * 32) -> Settings:
    """What a pod would start with: the ConfigMap, the Secret (with a real cursor secret
    unless told otherwise), then the container's own variables."""
    env = {**by_kind("ConfigMap")["rdap-coop-config"]["data"],
           **by_kind("Secret")["rdap-coop-secrets"]["stringData"]}
    if cursor_secret is not None:
        env[f"{PREFIX}CURSOR_SECRET"] = cursor_secret
    for variable in container["env"]:
        if "value" in variable:
            env[variable["name"]] = variable["value"].replace("$(POD_NAME)", "pod-0")
    return Settings.from_env(env)


def test_kustomization_lists_exactly_the_manifests() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    present = sorted(path.name for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")
    assert sorted(listed) == present
    for manifest in k8s_objects():
        assert manifest["apiVersion"] and manifest["kind"] and manifest["metadata"]["name"]


def test_deployments_run_entry_points_with_probes_limits_and_a_drain() -> None:
    deployments = by_kind("Deployment")
    assert set(deployments) == {"rdap", "whois"}
    for name, deployment in deployments.items():
        pod, container = deployment["spec"]["template"], only_container(deployment)
        assert container["command"] == [f"{name}-coop", "serve"]
        assert container["command"][0] in SCRIPTS
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert "/tmp" in {mount["mountPath"] for mount in container["volumeMounts"]}
        resources = container["resources"]
        assert {"cpu", "memory"} <= resources["requests"].keys() & resources["limits"].keys()
        settings = k8s_settings(container)
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        public = settings.rdap.port if name == "rdap" else settings.whois.port
        assert ports == {"http" if name == "rdap" else "whois": public,
                         "metrics": settings.metrics.port}
        assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(settings.metrics.port)
        for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
            assert container[probe]["httpGet"]["path"] == path
            assert ports[container[probe]["httpGet"]["port"]] == settings.metrics.port
        pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
        drain = (settings.rdap.request_timeout_seconds if name == "rdap"
                 else settings.whois.shutdown_grace_seconds)
        assert pod["spec"]["terminationGracePeriodSeconds"] > pause + drain


def test_pods_refer_to_configmaps_secrets_and_claims_that_exist() -> None:
    secrets, deployments = by_kind("Secret"), by_kind("Deployment")
    for deployment in deployments.values():
        spec = deployment["spec"]["template"]["spec"]
        assert selected(deployment["spec"]["selector"]["matchLabels"]) == [
            deployment["metadata"]["name"]]
        for source in only_container(deployment)["envFrom"]:
            kind, reference = next(iter(source.items()))
            assert reference["name"] in by_kind(
                {"configMapRef": "ConfigMap", "secretRef": "Secret"}[kind]), reference
        for volume in spec["volumes"]:
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in by_kind(
                    "PersistentVolumeClaim")


def test_services_ingress_and_policies_select_what_exists() -> None:
    secrets, deployments, services = by_kind("Secret"), by_kind("Deployment"), by_kind("Service")
    for service in services.values():
        (target,) = selected(service["spec"]["selector"])
        names = {port["name"] for port in only_container(deployments[target])["ports"]}
        assert {port["targetPort"] for port in service["spec"]["ports"]} <= names
    for ingress in by_kind("Ingress").values():
        assert {tls["secretName"] for tls in ingress["spec"]["tls"]} <= secrets.keys()
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = services[backend["name"]]["spec"]["ports"]
                assert backend["port"]["name"] in {port["name"] for port in ports}
    for autoscaler in by_kind("HorizontalPodAutoscaler").values():
        assert autoscaler["spec"]["scaleTargetRef"]["name"] in deployments
    for budget in by_kind("PodDisruptionBudget").values():
        assert len(selected(budget["spec"]["selector"]["matchLabels"])) == 1
    for policy in by_kind("NetworkPolicy").values():
        (target,) = selected(policy["spec"]["podSelector"]["matchLabels"])
        ports = {port["containerPort"] for port in only_container(deployments[target])["ports"]}
        assert {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]} == ports


def test_k8s_settings_refuse_the_placeholder_secret_and_accept_real_values() -> None:
    container = only_container(by_kind("Deployment")["rdap"])
    with pytest.raises(ConfigError, match="CURSOR_SECRET"):
        k8s_settings(container, cursor_secret=None)
    settings = k8s_settings(container)
    assert settings.workers == 1 and settings.rate_limit.redis_url is not None
    assert settings.access.audit_log == Path("/var/lib/rdap-coop/audit-pod-0.jsonl")
    assert len(settings.database.dsns) == 2 and settings.rdap.base_url.startswith("https://")


def seconds(value: str) -> float:
    return float(value.removesuffix("s"))


@pytest.mark.parametrize("unit", ["rdap-coop", "whois-coop"])
def test_systemd_units_run_an_entry_point_hardened_and_drain(unit: str) -> None:
    values = unit_file(DEPLOY / "systemd" / f"{unit}.service")
    one = {key: found[-1] for key, found in values.items()}
    executable, *arguments = shlex.split(one["ExecStart"])
    assert Path(executable).name == unit and unit in SCRIPTS and arguments == ["serve"]
    shared, own = values["EnvironmentFile"]
    assert shared == "/etc/rdap-coop/rdap-coop.env"
    env = {**env_file(DEPLOY / "env.example"),
           **env_file(DEPLOY / "systemd" / Path(own.lstrip("-")).name)}
    settings = Settings.from_env(env)
    assert settings.metrics.port == {"rdap-coop": 9108, "whois-coop": 9109}[unit]
    assert one["User"] == "rdap-coop" and one["Restart"] == "on-failure"
    assert one["NoNewPrivileges"] == one["ProtectHome"] == one["PrivateTmp"] == "yes"
    assert one["ProtectSystem"] == "strict" and one["KillSignal"] == "SIGTERM"
    assert seconds(one["TimeoutStopSec"]) > max(STOP_GRACE_SECONDS,
                                                 settings.whois.shutdown_grace_seconds,
                                                 settings.rdap.request_timeout_seconds)
    assert "/var/lib/rdap-coop" in one["ReadWritePaths"].split()
    assert "rdap-coop/usage" in one["StateDirectory"].split()
    privileged = unit == "whois-coop" and settings.whois.port < 1024
    capability = "CAP_NET_BIND_SERVICE" if privileged else ""
    assert one["CapabilityBoundingSet"] == one["AmbientCapabilities"] == capability


def test_env_example_lists_every_setting_commented_with_its_default() -> None:
    listed = env_file(DEPLOY / "env.example")
    names = {key.removeprefix(PREFIX) for key in listed}
    read = settings_names_read()
    assert read <= names, sorted(read - names)
    assert names <= read, sorted(names - read)
    commented = False
    for line in (DEPLOY / "env.example").read_text().splitlines():
        commented = line.startswith("#") or (commented and line.startswith(PREFIX))
        assert commented or not line.strip(), line
    dsn = f"{PREFIX}DATABASE_DSN"
    assert Settings.from_env(listed) == Settings.from_env({dsn: listed[dsn]})


def test_deployment_files_name_only_real_settings() -> None:
    known = settings_names_read()
    operations = (ROOT / "README.md").read_text().split("\n## Operations\n", 1)[1]
    texts = {path: path.read_text() for path in DEPLOY.rglob("*") if path.is_file()}
    texts.update({ROOT / "Dockerfile": (ROOT / "Dockerfile").read_text(),
                  ROOT / "docker-compose.yml": (ROOT / "docker-compose.yml").read_text(),
                  ROOT / "README.md": operations})
    for path, text in texts.items():
        for name in re.findall(rf"{PREFIX}([A-Z0-9_]+)", text):
            assert name in known, (path, name)

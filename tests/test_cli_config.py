"""``rdap-coop config check`` and ``--config``: the effective settings, never a secret."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rdap_coop.cli import main
from tests.conftest import SampleDatabase
from tests.core.test_config_file import toml_value
from whois_coop.__main__ import main as whois_main

DSN_PASSWORD = "dsn-pw-4f7c"
FALLBACK_PASSWORD = "fallback-pw-81ae"
QUERY_PASSWORD = "query-pw-d02b"
REDIS_PASSWORD = "redis-pw-9c1e"
CURSOR_SECRET = "00112233445566778899aabbccddeeff"
SECRETS = (DSN_PASSWORD, FALLBACK_PASSWORD, QUERY_PASSWORD, REDIS_PASSWORD, CURSOR_SECRET)
DSN = f"postgresql://reader:{DSN_PASSWORD}@replica:5432/registry"
LINE = re.compile(r"^(?P<key>[a-z0-9_]+) += (?P<value>.*)  # (?P<origin>default|environment|file)$")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rdap-coop.toml"
    path.write_text(text, encoding="utf-8")
    return path


def check(capsys: pytest.CaptureFixture[str], env: dict[str, str], *args: str
          ) -> tuple[int, str, str]:
    code = main(["config", "check", *args], env)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def settings_shown(out: str) -> dict[str, tuple[str, str]]:
    shown = {}
    for line in out.splitlines():
        if match := LINE.match(line):
            shown[match["key"]] = (match["value"], match["origin"])
    return shown


def test_every_setting_is_shown_with_its_value_and_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, 'database_dsn = "postgresql://replica/registry"\n'
                           "database_pool_max_size = 20\nrdap_port = 8443\n"
                           'trusted_proxies = ["10.0.0.0/8", "192.0.2.1"]\n')
    env = {"RDAP_COOP_DATABASE_POOL_MAX_SIZE": "30", "RDAP_COOP_WORKRES": "2", "HOME": "/root"}
    code, out, err = check(capsys, env, "--config", str(path))
    assert (code, err) == (0, "")
    shown = settings_shown(out)
    assert shown["database_pool_max_size"] == ("30", "environment")
    assert shown["rdap_port"] == ("8443", "file")
    assert shown["trusted_proxies"] == ('["10.0.0.0/8", "192.0.2.1/32"]', "file")
    assert shown["whois_port"] == ("43", "default")
    assert shown["log_format"] == ('"text"', "default")
    assert shown["access_log"] == ("true", "default")
    others = [line for line in out.splitlines() if not line.startswith(("#", "warning: "))]
    assert len(shown) == len(others)
    assert out.splitlines()[0] == f"# settings from {path} and RDAP_COOP_* variables (which win)"
    assert ("warning: RDAP_COOP_WORKRES is not a setting and is ignored "
            "(did you mean RDAP_COOP_WORKERS?)") in out.splitlines()
    assert out.splitlines()[-1] == "# configuration valid, 1 warning"


def test_secrets_are_masked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        f'database_fallback_dsns = ["postgresql://reader:{FALLBACK_PASSWORD}@r2/registry",'
        f' "postgresql://reader@r3/registry?sslmode=require&password={QUERY_PASSWORD}"]\n'
        f'redis_url = "redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0"\n',
    )
    env = {"RDAP_COOP_DATABASE_DSN": DSN, "RDAP_COOP_CURSOR_SECRET": CURSOR_SECRET}
    code, out, _ = check(capsys, env, "--config", str(path))
    assert code == 0
    for secret in SECRETS:
        assert secret not in out
    shown = settings_shown(out)
    assert shown["database_dsn"] == ('"postgresql://reader:***@replica:5432/registry"',
                                     "environment")
    assert shown["database_fallback_dsns"][0] == (
        '["postgresql://reader:***@r2/registry", '
        '"postgresql://reader@r3/registry?sslmode=require&password=***"]'
    )
    assert shown["redis_url"] == ('"redis://:***@127.0.0.1:6379/0"', "file")
    assert shown["cursor_secret"] == ("<set>", "environment")


def test_the_file_can_come_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}"\nwhois_port = 4343\n')
    code, out, _ = check(capsys, {"RDAP_COOP_CONFIG_FILE": str(path)})
    assert code == 0
    assert settings_shown(out)["whois_port"] == ("4343", "file")


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        (f'database_dsn = "{DSN}"\ndatabase_pool_max_size = 0\n', {},
         "rdap-coop: database_pool_max_size in {path} must be at least 1\n"),
        (f'database_dsn = "{DSN}"\n', {"RDAP_COOP_DATABASE_POOL_MAX_SIZE": "0"},
         "rdap-coop: RDAP_COOP_DATABASE_POOL_MAX_SIZE must be at least 1\n"),
        (f'database_dsn = "{DSN}"\nwrokers = 2\n', {},
         "rdap-coop: unknown setting wrokers in {path} (did you mean workers?)\n"),
        (f'database_dsn = "{DSN}"\nredis_url = "redis://:{REDIS_PASSWORD}@h/0"\nworkers = 2\n'
         "rdap_port = 0\n", {},
         "rdap-coop: workers = 2 in {path} needs fixed ports; port 0 picks one per process\n"),
    ],
)
def test_an_invalid_configuration_exits_2_with_the_reason_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, env: dict[str, str],
    message: str,
) -> None:
    path = write(tmp_path, text)
    code, out, err = check(capsys, {"RDAP_COOP_CURSOR_SECRET": CURSOR_SECRET, **env},
                           "--config", str(path))
    assert (code, out) == (2, "")
    assert err == message.format(path=path)
    for secret in SECRETS:
        assert secret not in err


def test_unparsable_or_missing_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}\n')
    code, out, err = check(capsys, {}, "--config", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"rdap-coop: the configuration file {path} is not valid TOML: ")
    assert "line 1, column" in err
    assert DSN_PASSWORD not in err
    code, out, err = check(capsys, {}, "--config", str(tmp_path / "absent.toml"))
    assert (code, out) == (2, "")
    assert "absent.toml: No such file or directory" in err


def test_serve_refuses_a_bad_file_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}"\nwhois_port = -1\n')
    assert main(["serve", "--config", str(path)], {}) == 2
    assert capsys.readouterr().err == f"rdap-coop: whois_port in {path} must be at least 0\n"
    assert whois_main(["serve", "--config", str(path)], {}) == 2
    assert capsys.readouterr().err == (
        f"whois-coop: configuration error: whois_port in {path} must be at least 0\n"
    )


TEXT_SETTINGS = ["rdap_host", "rdap_tos_url", "rdap_port43", "rdap_base_url", "metrics_host",
                 "whois_hosts", "usage_dir", "log_level", "clients_file", "audit_log"]


@given(
    password=st.text(min_size=1, max_size=30),
    user=st.text(min_size=1, max_size=10),
    values=st.dictionaries(st.sampled_from(TEXT_SETTINGS), st.text(max_size=60), max_size=6),
    in_file=st.sets(st.sampled_from(TEXT_SETTINGS)),
)
def test_config_check_never_shows_a_dsn_password(
    password: str, user: str, values: dict[str, str], in_file: set[str]
) -> None:
    secret = "Pw!" + password
    written = {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}
    assume(not any(form in value for form in written for value in values.values()))
    dsn = f"postgresql://{quote(user, safe='')}:{quote(secret, safe='')}@replica/registry"
    fallback = f"postgresql://replica-2/registry?password={quote(secret, safe='')}"
    env = {"RDAP_COOP_DATABASE_DSN": dsn, "RDAP_COOP_DATABASE_FALLBACK_DSNS": fallback}
    lines = []
    for key, value in values.items():
        if key in in_file:
            lines.append(f"{key} = {toml_value(value)}\n")
        else:
            env["RDAP_COOP_" + key.upper()] = value
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "rdap-coop.toml"
        path.write_text("".join(lines), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["config", "check", "--config", str(path)], env)
    assert code in (0, 2)
    shown = out.getvalue() + err.getvalue()
    assert shown.strip()
    for form in written:
        assert form not in shown


def test_the_installed_command_reads_the_process_environment(tmp_path: Path) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}"\nlog_format = "json"\n')
    env = {**os.environ, "RDAP_COOP_CONFIG_FILE": str(path),
           "RDAP_COOP_REDIS_URL": f"redis://:{REDIS_PASSWORD}@h/0"}
    result = subprocess.run([sys.executable, "-m", "rdap_coop.cli", "config", "check"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert settings_shown(result.stdout)["log_format"] == ('"json"', "file")
    assert settings_shown(result.stdout)["redis_url"] == ('"redis://:***@h/0"', "environment")
    assert DSN_PASSWORD not in result.stdout and REDIS_PASSWORD not in result.stdout


async def test_whois_serves_from_a_file_and_logs_json_lines(
    tmp_path: Path, test_database: SampleDatabase
) -> None:
    """A real whois-coop process configured by file alone: every stderr line is a JSON
    object, among them the access line of the query we send."""
    path = write(
        tmp_path,
        f"database_dsn = {toml_value(test_database.reader_dsn)}\n"
        'whois_hosts = ["127.0.0.1"]\nwhois_port = 0\nlog_format = "json"\n',
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("RDAP_COOP_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "whois_coop", "serve", "--config", str(path),
        env=env, stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    lines: list[dict[str, object]] = []
    try:
        port = await asyncio.wait_for(_listening_port(process.stderr, lines), 60)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"no-such-name.coop\r\n")
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert b"No match" in reply
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(process.communicate(), 30)
    lines += [json.loads(line) for line in rest.decode().splitlines()]
    assert process.returncode == 0
    [config] = [line for line in lines if line["logger"] == "rdap_coop.config"]
    assert config["message"] == f"settings from {path} and RDAP_COOP_* variables"
    [access] = [line for line in lines if line["logger"] == "rdap_coop.access"]
    assert access["service"] == "whois"
    assert access["outcome"] == "not_found"
    assert str(access["client"]).endswith("127.0.0.1")  # the rate limiter's key
    assert access["tier"] == "public"
    assert re.fullmatch(r"[0-9a-f]{32}", str(access["request_id"]))
    assert isinstance(access["duration_ms"], float)


async def _listening_port(stream: asyncio.StreamReader, lines: list[dict[str, object]]) -> int:
    while True:
        raw = await stream.readline()
        assert raw, "whois-coop exited before listening"
        line = json.loads(raw)
        lines.append(line)
        if match := re.search(r"port \[(\d+)\]", str(line["message"])):
            return int(match[1])

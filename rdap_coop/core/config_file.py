"""The operator's two sources of settings, merged into the one mapping the reader checks.

Settings come from a TOML file (``RDAP_COOP_CONFIG_FILE`` or ``--config``), whose keys
are the variable names without the prefix in lower case, and from ``RDAP_COOP_*``
variables, which override the file so one run can change one setting without editing
it. Both become the same raw strings (a file array becomes a tuple the reader takes
as a list), so ``config_reader`` is the only place values are validated.

An unknown key in the file is an error, since a typo there would silently leave a
default in force; an unknown variable is only a warning, since an environment carries
variables of other tools and other versions.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from rdap_coop.core.config_reader import PREFIX, ConfigError, RawSetting, RawValue

CONFIG_FILE_NAME = "CONFIG_FILE"
CONFIG_FILE_VARIABLE = PREFIX + CONFIG_FILE_NAME


@dataclass(frozen=True, slots=True)
class Sources:
    """Every raw setting the operator gave, and what they should hear about."""

    raw: dict[str, RawSetting]
    file: Path | None
    warnings: tuple[str, ...]


def gather_sources(
    env: Mapping[str, str], config_file: Path | None, known: Collection[str]
) -> Sources:
    """The file (``config_file``, else the one the environment names) under the environment.

    ``known`` holds the setting names without the prefix, in upper case.
    """
    named = env.get(CONFIG_FILE_VARIABLE, "")
    path = config_file or (Path(named) if named else None)
    raw = {} if path is None else read_config_file(path, known)
    from_env, warnings = _environment(env, known)
    raw.update(from_env)
    return Sources(raw, path, warnings)


def read_config_file(path: Path, known: Collection[str]) -> dict[str, RawSetting]:
    raw: dict[str, RawSetting] = {}
    for key, value in _parse(path).items():
        name = key.upper()
        if key != key.lower() or name not in known:
            hint = _key_hint(key, value, known)
            raise ConfigError(f"unknown setting {_quoted(key)} in {path}{hint}")
        label = f"{key} in {path}"
        text = _raw_value(value, label)
        if text != "":  # empty means unset, as in a variable: the default stands
            raw[name] = RawSetting(text, "file", label)
    return raw


def _parse(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(f"cannot read the configuration file {path}: {reason}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"the configuration file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        # The message carries TOML's line and column, never a value beyond one character.
        raise ConfigError(f"the configuration file {path} is not valid TOML: {error}") from None


def _raw_value(value: object, label: str) -> RawValue:
    if isinstance(value, list):
        return tuple(_text(item, label) for item in value)
    return _text(value, label)


def _text(value: object, label: str) -> str:
    """A TOML scalar as the string a variable would carry."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ConfigError(f"{label} must be a string, number, boolean, or an array of them")


def _quoted(key: str) -> str:
    return key if key.isprintable() and key.strip() == key and key else json.dumps(key)


def _key_hint(key: str, value: object, known: Collection[str]) -> str:
    if isinstance(value, dict):
        return "; settings are top-level keys such as database_pool_max_size, not tables"
    name = key.upper().removeprefix(PREFIX)
    if name in known:
        return f" (did you mean {name.lower()}?)"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    return f" (did you mean {close[0].lower()}?)" if close else ""


def _environment(
    env: Mapping[str, str], known: Collection[str]
) -> tuple[dict[str, RawSetting], tuple[str, ...]]:
    raw: dict[str, RawSetting] = {}
    warnings: list[str] = []
    for variable, value in env.items():
        if not variable.startswith(PREFIX) or variable == CONFIG_FILE_VARIABLE:
            continue
        name = variable.removeprefix(PREFIX)
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
            hint = f" (did you mean {PREFIX}{close[0]}?)" if close else ""
            warnings.append(f"{_quoted(variable)} is not a setting and is ignored{hint}")
        elif value != "":
            # Empty means unset, as it always has: the file's value or the default stands.
            raw[name] = RawSetting(value, "environment", variable)
    return raw, tuple(sorted(warnings))

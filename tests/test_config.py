"""The connector's TOML config: values, relative paths, environment overrides, errors naming file and key."""
import textwrap

import pytest

from creditguard.connector.config import load_config
from creditguard.mappings.errors import ConfigError
from tests.conftest import run_cli

GOOD = """\
    [erp]
    kind = "tryton"
    url = "http://127.0.0.1:8000"
    database = "credit"
    user = "connector"
    password = "secret-Pa55"

    [store]
    path = "state/creditguard.sqlite"
    """


def write(tmp_path, text, name="creditguard.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_complete_config(tmp_path):
    config = load_config(write(tmp_path, GOOD), environ={})
    assert (config.erp.kind, config.erp.url, config.erp.database, config.erp.user) == \
        ("tryton", "http://127.0.0.1:8000", "credit", "connector")
    assert config.erp.password == "secret-Pa55" and config.erp.timeout == 60
    assert config.store_path == tmp_path / "state" / "creditguard.sqlite"      # relative to the file
    assert config.policy_file is None and config.engine == "durable"
    assert config.policy_terms is None and config.country_risk == {}


def test_the_password_never_shows_in_the_repr(tmp_path):
    assert "secret-Pa55" not in repr(load_config(write(tmp_path, GOOD), environ={}))


def test_environment_overrides_the_file(tmp_path):
    text = GOOD.replace('    password = "secret-Pa55"\n', "")
    config = load_config(write(tmp_path, text), environ={
        "CREDITGUARD_ERP_PASSWORD": "from-env", "CREDITGUARD_ERP_URL": "http://127.0.0.1:9000",
        "CREDITGUARD_STORE_PATH": "/var/lib/cg.sqlite", "CREDITGUARD_ERP_TIMEOUT": "5"})
    assert config.erp.password == "from-env" and config.erp.url == "http://127.0.0.1:9000"
    assert str(config.store_path) == "/var/lib/cg.sqlite" and config.erp.timeout == 5


def test_the_password_may_be_left_to_connect_time(tmp_path):
    config = load_config(write(tmp_path, GOOD.replace('    password = "secret-Pa55"\n', "")), environ={})
    assert config.erp.password is None          # offline commands (holds, snapshot) need none


def test_policy_insurance_and_country_risk(tmp_path):
    text = GOOD + """
    [policy]
    file = "policies/mine.yaml"
    engine = "python"

    [insurance]
    insurer = "allianz-trade"
    max_credit_period_days = 90
    max_extension_days = 60
    overdue_notification_days = 60
    discretionary_limit = "10000"

    [country_risk]
    TR = 5
    XX = 7
    """
    config = load_config(write(tmp_path, text), environ={})
    assert config.policy_file == tmp_path / "policies" / "mine.yaml" and config.engine == "python"
    assert config.policy_terms.max_extension_days == 60 and str(config.policy_terms.discretionary_limit) == "10000"
    assert config.country_risk == {"TR": 5, "XX": 7}


@pytest.mark.parametrize("change, where, message", [
    (('url = "http://127.0.0.1:8000"\n', ""), "[erp]", "missing key 'url'"),
    (('kind = "tryton"', 'kind = "sap"'), "[erp] kind", "unknown ERP kind 'sap'"),
    (('url = "http://127.0.0.1:8000"', 'url = "127.0.0.1:8000"'), "[erp] url", "is not an http(s) URL"),
    (('user = "connector"', 'usr = "connector"'), "[erp] usr", "unknown key 'usr'"),
    (('database = "credit"', "database = 5"), "[erp] database", "must be a non-empty string"),
    (('[store]', '[stor]'), "", "unknown section [stor]"),
    (('path = "state/creditguard.sqlite"', 'path = ""'), "[store] path", "must be a non-empty string"),
])
def test_errors_name_the_file_and_key(tmp_path, change, where, message):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert error.value.where == (f"{path}: {where}" if where else str(path))
    assert message in error.value.message


def test_a_bad_environment_value_names_the_variable(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, GOOD), environ={"CREDITGUARD_ERP_TIMEOUT": "soon"})
    assert error.value.where == "environment variable CREDITGUARD_ERP_TIMEOUT"


def test_bad_insurance_terms_name_the_key(tmp_path):
    path = write(tmp_path, GOOD + "\n[insurance]\nmax_credit_period_days = -1\nmax_extension_days = 60\n"
                                  "overdue_notification_days = 60\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert error.value.where == f"{path}: [insurance] max_credit_period_days"


def test_bad_country_risk_grade(tmp_path):
    path = write(tmp_path, GOOD + "\n[country_risk]\nTR = 9\n")
    with pytest.raises(ConfigError, match="0..7") as error:
        load_config(path, environ={})
    assert error.value.where == f"{path}: [country_risk] TR"


def test_not_toml(tmp_path):
    path = write(tmp_path, "[erp\nkind = tryton\n")
    with pytest.raises(ConfigError, match="not valid TOML.*line 1"):
        load_config(path, environ={})


def test_the_command_line_exits_2_without_a_traceback(tmp_path):
    path = write(tmp_path, GOOD.replace('kind = "tryton"', 'kind = "sap"'))
    for command in (("run", "--once"), ("sync",), ("holds",), ("snapshot", "-o", tmp_path / "s.json")):
        proc = run_cli(command[0], "--config", path, *command[1:])
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == f"error: {path}: [erp] kind: unknown ERP kind 'sap'\n  hint: supported: tryton, odoo\n"


def test_run_without_a_password_says_where_to_put_it(tmp_path):
    path = write(tmp_path, GOOD.replace('    password = "secret-Pa55"\n', ""))
    proc = run_cli("run", "--once", "--config", path)
    assert proc.returncode == 2
    assert "no password (or API key) for the ERP user" in proc.stderr and "CREDITGUARD_ERP_PASSWORD" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_offline_commands_before_any_sync_say_what_to_run_first(tmp_path):
    path = write(tmp_path, GOOD)
    for command in (("holds",), ("snapshot", "-o", tmp_path / "s.json")):
        proc = run_cli(command[0], "--config", path, *command[1:])
        assert proc.returncode == 2
        assert "nothing has been synced yet" in proc.stderr and "--once" in proc.stderr
    assert not (tmp_path / "state").exists() and not (tmp_path / "s.json").exists()
